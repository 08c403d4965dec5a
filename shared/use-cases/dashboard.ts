// adapter --> (use case) --> domain: the staff dashboard's read models. Infrastructure health (latest value,
// state and sparkline per series), series data for a time range (downsampled), the anomaly timeline (filtered,
// paginated), alerts with the anomaly → page funnel, and ML models (volume, accuracy, latest drift). Every
// function reads through ports and takes `now` from the caller, so the API, the local stack and tests share
// them.
import { mapLimit } from '../async';
import {
  type AlertFunnel,
  alertFunnel,
  type ChartPoint,
  decodeCursor,
  downsample,
  encodeCursor,
  type SeriesState,
  seriesState,
} from '../domain/dashboard';
import { performanceOf } from '../domain/drift';
import type { CheckStatus, InfraCheck, PredictionCheck } from '../domain/drift-report';
import { dedupePredictions, sliceByTime } from '../domain/prediction-set';
import { type AlertLevel, compareSeverity, type SeriesSpec, type Severity } from '../domain/types';
import { NotFoundError, ValidationError } from '../errors';
import type { DriftConfig } from '../monitor-config';
import type {
  AlertStateStore,
  AnomalyDetail,
  AnomalyTimelineStore,
  DriftStateStore,
  MetricStore,
  PredictionStore,
} from '../ports';
import { alertFirstTs } from './feedback';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** The health view's sparkline: the last hour, at most one point a minute. */
export const SPARKLINE = { spanMs: HOUR_MS, maxPoints: 60 } as const;

/** A time range as the routes accept it: both ends optional. */
export interface RangeInput {
  readonly from?: number | undefined;
  readonly to?: number | undefined;
}

/**
 * Fill in a range: `to` defaults to now, `from` to `to` minus `defaultMs`.
 * @throws ValidationError naming `to` (not after `from`) or `from` (the span exceeds `maxMs`)
 */
export function resolveRange(
  input: RangeInput,
  now: number,
  limits: { readonly defaultMs: number; readonly maxMs: number },
): { from: number; to: number } {
  const to = input.to ?? now;
  const from = input.from ?? to - limits.defaultMs;
  if (to <= from) {
    throw new ValidationError('Invalid range', ['to: must be after from'], { field: 'to' });
  }
  if (to - from > limits.maxMs) {
    const days = Math.round(limits.maxMs / DAY_MS);
    throw new ValidationError('Invalid range', [`from: the range may span at most ${days} days`], {
      field: 'from',
    });
  }
  return { from, to };
}

// ---- infrastructure health ----

/** One tile of the health view. */
export interface SeriesHealth {
  readonly id: string;
  readonly label: string;
  readonly metric: string;
  readonly unit?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly latest: { readonly ts: number; readonly value: number } | null;
  readonly state: SeriesState;
  readonly lastAnomaly: {
    readonly ts: number;
    readonly severity: Severity;
    readonly level: AlertLevel;
    readonly explanation: string;
  } | null;
  readonly sparkline: { readonly ts: number; readonly value: number }[];
}

/** What the health view reads. */
export interface HealthDeps {
  readonly series: readonly SeriesSpec[];
  readonly store: MetricStore;
  readonly timeline: AnomalyTimelineStore;
}

/**
 * Infrastructure health at `now`.
 * 1. One read of the last 24 h of anomalies (the newest per series is its `lastAnomaly`).
 * 2. Per series (8 at a time): the points of the last hour → latest value and a ≤ 60-point sparkline.
 * 3. State from the last 5 minutes (see {@link seriesState}).
 */
export async function healthView(
  deps: HealthDeps,
  now: number,
): Promise<{ generatedAt: number; series: SeriesHealth[] }> {
  const { items } = await deps.timeline.listNewestFirst({ from: now - DAY_MS, to: now, now });
  const lastBySeries = new Map<string, AnomalyDetail>();
  for (const a of items) if (!lastBySeries.has(a.series)) lastBySeries.set(a.series, a);
  const series = await mapLimit(deps.series, 8, async (s): Promise<SeriesHealth> => {
    const points = await deps.store.queryRange(s.id, now - SPARKLINE.spanMs, now, now);
    const last = points.at(-1);
    const anomaly = lastBySeries.get(s.id);
    return {
      id: s.id,
      label: s.label,
      metric: s.metric,
      ...(s.unit !== undefined ? { unit: s.unit } : {}),
      tags: s.tags,
      latest: last ? { ts: last.ts, value: last.value } : null,
      state: seriesState(last?.ts, anomaly?.ts, now),
      lastAnomaly: anomaly
        ? {
            ts: anomaly.ts,
            severity: anomaly.severity,
            level: anomaly.level,
            explanation: anomaly.explanation,
          }
        : null,
      sparkline: downsample(points, now - SPARKLINE.spanMs, now, SPARKLINE.maxPoints).points.map((p) => ({
        ts: p.ts,
        value: p.value,
      })),
    };
  });
  return { generatedAt: now, series };
}

// ---- series data ----

/** What the series view reads. */
export interface SeriesDataDeps {
  readonly series: readonly SeriesSpec[];
  readonly store: MetricStore;
}

/**
 * One series' points in [from, to], at most `maxPoints` (min/max/mean buckets beyond that).
 * @throws NotFoundError (field `id`) for a series that is not configured
 */
export async function seriesData(
  deps: SeriesDataDeps,
  input: { readonly id: string; readonly from: number; readonly to: number; readonly maxPoints: number },
  now: number,
): Promise<{
  id: string;
  label: string;
  unit?: string;
  from: number;
  to: number;
  downsampled: boolean;
  points: ChartPoint[];
}> {
  const spec = deps.series.find((s) => s.id === input.id);
  if (!spec) throw new NotFoundError(`No configured series ${input.id}`, { field: 'id' });
  const points = await deps.store.queryRange(spec.id, input.from, input.to, now);
  const result = downsample(points, input.from, input.to, input.maxPoints);
  return {
    id: spec.id,
    label: spec.label,
    ...(spec.unit !== undefined ? { unit: spec.unit } : {}),
    from: input.from,
    to: input.to,
    downsampled: result.downsampled,
    points: result.points,
  };
}

// ---- anomaly timeline ----

/** One row of the anomaly timeline (JSON: non-finite numbers as null). */
export interface AnomalyRow {
  readonly series: string;
  readonly label: string;
  readonly metric: string;
  readonly unit?: string;
  readonly ts: number;
  readonly value: number;
  readonly expectedLow: number | null;
  readonly expectedHigh: number | null;
  readonly baseline: number | null;
  readonly deviation: number | null;
  readonly score: number;
  readonly severity: Severity;
  readonly level: AlertLevel;
  readonly methods: readonly string[];
  readonly explanation: string;
  readonly model?: string;
  readonly alertState: AnomalyDetail['alertState'];
  readonly alertId?: string;
  readonly feedback?: AnomalyDetail['feedback'];
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/**
 * The alert an anomaly belongs to: the page that listed it (`sent`, `grouped`), or the open alert it was
 * folded into (`deduplicated`, whose reason is that alert's id).
 */
export function alertIdOfAnomaly(a: AnomalyDetail): string | undefined {
  if (a.alertId !== undefined) return a.alertId;
  if (
    a.alertState === 'deduplicated' &&
    a.alertReason !== undefined &&
    alertFirstTs(a.alertReason) !== undefined
  )
    return a.alertReason;
  return undefined;
}

/** An anomaly as the timeline returns it. */
export function anomalyRow(a: AnomalyDetail): AnomalyRow {
  const alertId = alertIdOfAnomaly(a);
  return {
    series: a.series,
    label: a.label,
    metric: a.metric,
    ...(a.unit !== undefined ? { unit: a.unit } : {}),
    ts: a.ts,
    value: a.value,
    expectedLow: finite(a.expectedLow),
    expectedHigh: finite(a.expectedHigh),
    baseline: finite(a.baseline),
    deviation: finite(a.deviation),
    score: a.score,
    severity: a.severity,
    level: a.level,
    methods: a.methods,
    explanation: a.explanation,
    ...(a.model !== undefined ? { model: a.model } : {}),
    alertState: a.alertState,
    ...(alertId !== undefined ? { alertId } : {}),
    ...(a.feedback !== undefined ? { feedback: a.feedback } : {}),
  };
}

/** Filters and page of the timeline. */
export interface TimelineInput {
  readonly from: number;
  readonly to: number;
  /** Minimum severity. */
  readonly severity?: Severity | undefined;
  readonly series?: string | undefined;
  /** Only anomalies this method fired on. */
  readonly method?: string | undefined;
  readonly limit: number;
  /** A previous page's `nextCursor`. */
  readonly cursor?: string | undefined;
}

/**
 * One page of the anomaly timeline, newest first, filtered while reading (so a page is full whenever
 * enough anomalies match); `nextCursor` when more follow.
 * @throws ValidationError (field `cursor`) for a cursor this API did not issue
 */
export async function anomalyTimeline(
  deps: { readonly timeline: AnomalyTimelineStore },
  input: TimelineInput,
  now: number,
): Promise<{ items: AnomalyRow[]; nextCursor?: string }> {
  const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
  if (input.cursor !== undefined && after === undefined) {
    throw new ValidationError('Invalid cursor', ['cursor: pass back the nextCursor of a previous page'], {
      field: 'cursor',
    });
  }
  const { items, more } = await deps.timeline.listNewestFirst({
    from: input.from,
    to: input.to,
    now,
    limit: input.limit,
    ...(after ? { after } : {}),
    accept: (a) =>
      (input.severity === undefined || compareSeverity(a.severity, input.severity) >= 0) &&
      (input.series === undefined || a.series === input.series) &&
      (input.method === undefined || a.methods.includes(input.method)),
  });
  const last = items.at(-1);
  return {
    items: items.map(anomalyRow),
    ...(more && last ? { nextCursor: encodeCursor({ ts: last.ts, series: last.series }) } : {}),
  };
}

// ---- alerts ----

/** One alert (page) on the alert correlation view. */
export interface AlertRow {
  readonly alertId: string;
  /** Its first anomaly's time. */
  readonly ts: number;
  /** The worst level among its anomalies in the range. */
  readonly level: AlertLevel;
  /** Series ids of its anomalies in the range (labels in `labels`, same order). */
  readonly series: string[];
  readonly labels: string[];
  /** Its anomalies in the range: paged (sent, grouped) and folded in later (deduplicated). */
  readonly anomalies: number;
  /** `open` until its RESOLVED notice went out. */
  readonly state: 'open' | 'resolved';
}

const LEVEL_RANK: Record<AlertLevel, number> = { INFO: 0, WARNING: 1, CRITICAL: 2 };

/**
 * Alerts and the funnel over [from, to].
 * 1. One read of the range's anomalies with their alert states.
 * 2. The funnel: counts per state, conversion = (sent + grouped) / anomalies at or above the page level.
 * 3. Alerts: anomalies grouped by the alert they belong to, newest first; open per the open-alert store.
 */
export async function alertsOverview(
  deps: {
    readonly timeline: AnomalyTimelineStore;
    readonly alerts: AlertStateStore;
    readonly minLevelToPage: AlertLevel;
  },
  range: { readonly from: number; readonly to: number },
  now: number,
): Promise<{ from: number; to: number; summary: AlertFunnel; alerts: AlertRow[] }> {
  const [{ items }, open] = await Promise.all([
    deps.timeline.listNewestFirst({ from: range.from, to: range.to, now }),
    deps.alerts.listOpen(),
  ]);
  const openIds = new Set(open.map((a) => a.alertId));
  const byAlert = new Map<string, AnomalyDetail[]>();
  for (const a of items) {
    const id = alertIdOfAnomaly(a);
    if (id === undefined) continue;
    const members = byAlert.get(id);
    if (members) members.push(a);
    else byAlert.set(id, [a]);
  }
  const alerts = [...byAlert.entries()].map(([alertId, members]): AlertRow => {
    const series = [...new Set(members.map((m) => m.series))];
    const labelOf = new Map(members.map((m) => [m.series, m.label]));
    const level = members.reduce<AlertLevel>(
      (worst, m) => (LEVEL_RANK[m.level] > LEVEL_RANK[worst] ? m.level : worst),
      'INFO',
    );
    return {
      alertId,
      ts: alertFirstTs(alertId) ?? Math.min(...members.map((m) => m.ts)),
      level,
      series,
      labels: series.map((s) => labelOf.get(s) ?? s),
      anomalies: members.length,
      state: openIds.has(alertId) ? 'open' : 'resolved',
    };
  });
  alerts.sort((a, b) => b.ts - a.ts || (a.alertId < b.alertId ? 1 : -1));
  return {
    from: range.from,
    to: range.to,
    summary: alertFunnel(items, deps.minLevelToPage),
    alerts,
  };
}

// ---- ML models ----

/** The latest K-S result of a model. */
export interface ModelDrift {
  readonly status: CheckStatus;
  readonly reason: string;
  /** K-S D; null when the check could not run the test (too few predictions, or it failed). */
  readonly statistic: number | null;
  readonly pValue: number | null;
  readonly adjustedPValue: number | null;
  readonly nBaseline: number;
  readonly nRecent: number;
  readonly baselineWindow: [number, number];
  readonly recentWindow: [number, number];
  readonly checkedAt: number;
}

/** One model on the ML view. */
export interface ModelRow {
  readonly model: string;
  readonly predictions24h: number;
  readonly predictions7d: number;
  /** Share of correct predictions among those with an outcome; null without outcomes. */
  readonly accuracy24h: number | null;
  readonly accuracy7d: number | null;
  readonly drift: ModelDrift | null;
}

/** The infrastructure drift check's latest result. */
export interface InfraDrift {
  readonly status: CheckStatus;
  readonly reason: string;
  /** Share of recent rows the isolation forest scored anomalous; null when the check did not score. */
  readonly anomalyRate: number | null;
  readonly expectedRate: number | null;
  /** anomalyRate ÷ expectedRate. */
  readonly ratio: number | null;
  readonly checkedAt: number;
}

/** How far back the ML view looks for drift runs (they are kept 30 days). */
const RUNS_LOOKBACK_MS = 31 * DAY_MS;

function modelDrift(check: PredictionCheck, checkedAt: number): ModelDrift {
  return {
    status: check.status,
    reason: check.reason,
    statistic: check.ks?.statistic ?? null,
    pValue: check.ks?.pValue ?? null,
    adjustedPValue: check.ks?.adjustedPValue ?? null,
    nBaseline: check.baseline.n,
    nRecent: check.recent.n,
    baselineWindow: [check.baseline.from, check.baseline.to],
    recentWindow: [check.recent.from, check.recent.to],
    checkedAt,
  };
}

function infraDrift(check: InfraCheck, checkedAt: number): InfraDrift {
  const rate = check.rate ?? null;
  const expected = check.expectedRate ?? null;
  return {
    status: check.status,
    reason: check.reason,
    anomalyRate: rate,
    expectedRate: expected,
    ratio: rate !== null && expected !== null && expected > 0 ? rate / expected : null,
    checkedAt,
  };
}

/**
 * ML models at `now`.
 * 1. The models: configured, seen in predictions, or named in a drift run of the last 31 days.
 * 2. Per model (2 at a time): the last 7 days of predictions, duplicates dropped → volume and accuracy over
 *    24 h and 7 d (outcomes judged as check-drift does, with the configured decision threshold).
 * 3. Drift: each model's check in the newest run that has one; infra: the newest infra check.
 */
export async function modelsOverview(
  deps: {
    readonly predictions: PredictionStore;
    readonly drift: DriftStateStore;
    readonly config: DriftConfig;
  },
  now: number,
): Promise<{ models: ModelRow[]; infra: InfraDrift | null; lastRun: number | null }> {
  const [seen, runs] = await Promise.all([
    deps.predictions.listModels(now),
    deps.drift.listRuns(now - RUNS_LOOKBACK_MS, now),
  ]);
  const latestCheck = new Map<string, ModelDrift>();
  let infra: InfraDrift | null = null;
  for (const run of runs) {
    for (const check of run.checks) {
      if (check.kind === 'prediction') {
        if (!latestCheck.has(check.model)) latestCheck.set(check.model, modelDrift(check, run.runAt));
      } else if (infra === null) infra = infraDrift(check, run.runAt);
    }
  }
  const names = [
    ...new Set([...deps.config.predictions.models, ...seen.map((m) => m.model), ...latestCheck.keys()]),
  ].sort();
  const threshold = deps.config.predictions.decisionThreshold;
  const models = await mapLimit(names, 2, async (model): Promise<ModelRow> => {
    const week = dedupePredictions(await deps.predictions.load(model, now - 7 * DAY_MS, now, now)).columns;
    const day = sliceByTime(week, now - DAY_MS, now);
    return {
      model,
      predictions24h: day.ts.length,
      predictions7d: week.ts.length,
      accuracy24h: performanceOf(week, now - DAY_MS, now, threshold, '24h')?.accuracy ?? null,
      accuracy7d: performanceOf(week, now - 7 * DAY_MS, now, threshold, '7d')?.accuracy ?? null,
      drift: latestCheck.get(model) ?? null,
    };
  });
  return { models, infra, lastRun: runs[0]?.runAt ?? null };
}
