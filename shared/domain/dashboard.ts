// (domain) what the staff dashboard shows, computed from stored data: downsampled chart points, a series'
// state, the anomaly → alert funnel and the conversion rate, and the opaque cursor of the anomaly timeline.
// Pure: no I/O, `now` passed in.

import type { AlertQuality } from '../api/types';
import type { AlertState } from './alerting';
import { atLeast } from './alerting';
import { DEFAULT_DETECTOR_SETTINGS } from './detectors/settings';
import { medianOf } from './detectors/sorted-window';
import type { AlertLevel } from './types';

/** A point of a chart. When downsampled: the bucket's mean, with its min and max. */
export interface ChartPoint {
  readonly ts: number;
  readonly value: number;
  readonly min?: number;
  readonly max?: number;
}

/** Result of {@link downsample}. */
export interface Downsampled {
  readonly points: ChartPoint[];
  /** True when points were merged into buckets. */
  readonly downsampled: boolean;
}

/**
 * At most `maxPoints` points for [from, to]: the points themselves when they fit, else `maxPoints` equal
 * time buckets, each the mean of its points with their min and max (so a one-minute spike survives in
 * `max` even when a month is drawn). A bucket is stamped with its start; empty buckets are left out (a
 * gap stays a gap).
 * @param points - sorted by ts; points outside [from, to] are ignored
 * @param maxPoints - integer >= 1
 */
export function downsample(
  points: readonly { readonly ts: number; readonly value: number }[],
  from: number,
  to: number,
  maxPoints: number,
): Downsampled {
  const inRange = points.filter((p) => p.ts >= from && p.ts <= to && Number.isFinite(p.value));
  if (inRange.length <= maxPoints) {
    return { points: inRange.map((p) => ({ ts: p.ts, value: p.value })), downsampled: false };
  }
  const width = Math.max(1, Math.ceil((to - from) / maxPoints));
  const sum = new Float64Array(maxPoints);
  const count = new Uint32Array(maxPoints);
  const min = new Float64Array(maxPoints).fill(Number.POSITIVE_INFINITY);
  const max = new Float64Array(maxPoints).fill(Number.NEGATIVE_INFINITY);
  for (const p of inRange) {
    // The last bucket also takes ts === to.
    const i = Math.min(maxPoints - 1, Math.floor((p.ts - from) / width));
    sum[i] = (sum[i] as number) + p.value;
    count[i] = (count[i] as number) + 1;
    if (p.value < (min[i] as number)) min[i] = p.value;
    if (p.value > (max[i] as number)) max[i] = p.value;
  }
  const out: ChartPoint[] = [];
  for (let i = 0; i < maxPoints; i++) {
    const n = count[i] as number;
    if (n === 0) continue;
    out.push({
      ts: from + i * width,
      value: (sum[i] as number) / n,
      min: min[i] as number,
      max: max[i] as number,
    });
  }
  return { points: out, downsampled: true };
}

/** A series' state on the health view. */
export type SeriesState = 'ok' | 'anomalous' | 'learning' | 'no-data' | 'muted';

/** How far back the health view looks for a series' state: 5 minutes. */
export const STATE_WINDOW_MS = 5 * 60_000;

/**
 * How old a series' newest point (or anomaly) may be and still be current: points arrive in batches —
 * every `arrivalEveryMs` (collect's interval plus its settle delay), each up to a period late — so
 * anything younger than one batch plus two periods is as fresh as the pipeline makes it. Never under
 * {@link STATE_WINDOW_MS}.
 */
export function currentWindowMs(periodMs: number, arrivalEveryMs: number): number {
  return Math.max(STATE_WINDOW_MS, arrivalEveryMs + 2 * periodMs);
}

/** Points the detector needs before its first full verdict (its warm-up, `detection.minPoints` by default). */
export const WARM_UP_POINTS = DEFAULT_DETECTOR_SETTINGS.minPoints;

/**
 * When a series stops `learning`: its first point plus the detector's warm-up ({@link WARM_UP_POINTS}
 * periods), taken from the detector's own default.
 * @param firstTs - the series' first stored point (epoch ms)
 * @param periodMs - the series' sampling period
 */
export function learningUntil(firstTs: number, periodMs: number): number {
  return firstTs + WARM_UP_POINTS * periodMs;
}

/** What decides a series' state besides its points and anomalies. */
export interface StateContext {
  /** End of the warm-up (see {@link learningUntil}); null when it ended or is unknown. */
  readonly learningUntil?: number | null;
  /** A maintenance window mutes the series now. */
  readonly muted?: boolean;
}

/**
 * A series' state at `now`, first that applies: `muted` in a maintenance window, `anomalous` when it had
 * an anomaly within the window, `no-data` when no point arrived within it, `learning` before the end of
 * the detector's warm-up, else `ok`.
 */
export function seriesState(
  latestTs: number | undefined,
  lastAnomalyTs: number | undefined,
  now: number,
  windowMs = STATE_WINDOW_MS,
  context: StateContext = {},
): SeriesState {
  if (context.muted) return 'muted';
  if (lastAnomalyTs !== undefined && lastAnomalyTs >= now - windowMs) return 'anomalous';
  if (latestTs === undefined || latestTs < now - windowMs) return 'no-data';
  if (context.learningUntil != null && now < context.learningUntil) return 'learning';
  return 'ok';
}

/** How detected anomalies fared in alerting over a time range. */
export interface AlertFunnel {
  readonly anomalies: number;
  readonly sent: number;
  readonly grouped: number;
  readonly deduplicated: number;
  readonly rateLimited: number;
  readonly suppressed: number;
  readonly belowSeverity: number;
  readonly pending: number;
  readonly failed: number;
  /**
   * Anomalies that reached the NOC in a page (sent + grouped) ÷ anomalies at or above the page level;
   * 0 when there were none at that level.
   */
  readonly conversionRate: number;
}

const FUNNEL_KEY: Record<AlertState, keyof Omit<AlertFunnel, 'anomalies' | 'conversionRate'>> = {
  sent: 'sent',
  grouped: 'grouped',
  deduplicated: 'deduplicated',
  'rate-limited': 'rateLimited',
  suppressed: 'suppressed',
  'below-severity': 'belowSeverity',
  pending: 'pending',
  failed: 'failed',
};

/** Count anomalies per alert state and compute the anomaly → page conversion rate. */
export function alertFunnel(
  anomalies: readonly { readonly alertState: AlertState; readonly level: AlertLevel }[],
  minLevelToPage: AlertLevel,
): AlertFunnel {
  const counts = {
    sent: 0,
    grouped: 0,
    deduplicated: 0,
    rateLimited: 0,
    suppressed: 0,
    belowSeverity: 0,
    pending: 0,
    failed: 0,
  };
  let pageable = 0;
  for (const a of anomalies) {
    counts[FUNNEL_KEY[a.alertState]]++;
    if (atLeast(a.level, minLevelToPage)) pageable++;
  }
  return {
    anomalies: anomalies.length,
    ...counts,
    conversionRate: pageable === 0 ? 0 : (counts.sent + counts.grouped) / pageable,
  };
}

/** Where a page of the anomaly timeline ended: the last anomaly it returned. */
export interface TimelineCursor {
  readonly ts: number;
  readonly series: string;
}

/** The opaque `cursor` string of a timeline position. */
export function encodeCursor(cursor: TimelineCursor): string {
  return Buffer.from(JSON.stringify([cursor.ts, cursor.series]), 'utf8').toString('base64url');
}

/** The position a `cursor` string stands for; undefined when it is not one this API issued. */
export function decodeCursor(text: string): TimelineCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,2000}$/.test(text)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      Number.isSafeInteger(value[0]) &&
      (value[0] as number) >= 0 &&
      typeof value[1] === 'string' &&
      value[1] !== ''
    ) {
      return { ts: value[0] as number, series: value[1] };
    }
  } catch {
    // not JSON: not ours
  }
  return undefined;
}

/** Newest-first order of the timeline: by time, then by series id descending (the stored sort key's order). */
export function newerFirst(a: TimelineCursor, b: TimelineCursor): number {
  return b.ts - a.ts || (a.series < b.series ? 1 : a.series > b.series ? -1 : 0);
}

/** Alert quality of one metric (or of all) over a range: the API contract's type. */
export type { AlertQuality };
/** What the anomalies and their alerts say of a metric's alert quality (the contract's row less its cost). */
export type AlertQualityCounts = Omit<AlertQuality, 'estimatedMonthlyUsd'>;

const IN_PAGE: ReadonlySet<AlertState> = new Set<AlertState>(['sent', 'grouped', 'deduplicated']);

/**
 * Alert quality per metric and overall, from the range's anomalies and the alert each belongs to.
 * @param alertOf - the alert (page) an anomaly belongs to, if any
 * @param resolvedAfterMs - how long after it opened an alert's RESOLVED notice went out (none yet: undefined)
 */
export function alertQuality(
  anomalies: readonly {
    readonly metric: string;
    readonly alertState: AlertState;
    readonly feedback?: { readonly label: string } | undefined;
  }[],
  alertOf: (index: number) => string | undefined,
  rangeMs: number,
  resolvedAfterMs: (alertId: string) => number | undefined = () => undefined,
): AlertQualityCounts[] {
  const weeks = Math.max(rangeMs, 1) / (7 * 86_400_000);
  const build = (metric: string | null, rows: number[]): AlertQualityCounts => {
    const pages = new Set<string>();
    let inPages = 0;
    let fp = 0;
    let ok = 0;
    let rateLimited = 0;
    let suppressed = 0;
    for (const i of rows) {
      const a = anomalies[i]!;
      const alert = alertOf(i);
      if (alert !== undefined && IN_PAGE.has(a.alertState)) {
        pages.add(alert);
        inPages++;
        if (a.feedback?.label === 'false-positive') fp++;
        else if (a.feedback?.label === 'confirmed') ok++;
      }
      if (a.alertState === 'rate-limited') rateLimited++;
      if (a.alertState === 'suppressed') suppressed++;
    }
    const toResolved = [...pages].flatMap((id) => {
      const ms = resolvedAfterMs(id);
      return ms === undefined ? [] : [ms / 60_000];
    });
    return {
      metric,
      pages: pages.size,
      pagesPerWeek: pages.size / weeks,
      anomalies: rows.length,
      inPages,
      anomaliesPerPage: pages.size > 0 ? inPages / pages.size : null,
      falsePositives: fp,
      confirmed: ok,
      precision: fp + ok > 0 ? ok / (fp + ok) : null,
      rateLimited,
      suppressed,
      resolved: toResolved.length,
      medianMinutesToResolved: toResolved.length > 0 ? medianOf(toResolved) : null,
    };
  };
  const byMetric = new Map<string, number[]>();
  anomalies.forEach((a, i) => {
    const rows = byMetric.get(a.metric);
    if (rows) rows.push(i);
    else byMetric.set(a.metric, [i]);
  });
  return [
    build(
      null,
      anomalies.map((_, i) => i),
    ),
    ...[...byMetric.keys()].sort().map((m) => build(m, byMetric.get(m)!)),
  ];
}
