// (domain) alert planning, pure: which anomalies page, which are folded into an open alert
// (de-duplication), which are muted by a maintenance window, and how the rest are grouped into
// messages. Rate limiting and publishing happen in the use case; the digest of what was held back is
// built here too. Nothing is dropped: every anomaly leaves with a state.
import type { Anomaly } from './anomaly';
import { fnv1aInt } from './hash';
import { isNoData } from './no-data';
import { groupKeyOf } from './shards';
import type { AlertLevel } from './types';

/** Where an anomaly ended up. */
export type AlertState =
  | 'pending'
  | 'sent'
  | 'grouped'
  | 'deduplicated'
  | 'rate-limited'
  | 'below-severity'
  | 'suppressed'
  /** Publishing kept failing past the pending limit: parked in the dead-letter queue. */
  | 'failed';

/** Levels ordered weakest first. */
export const LEVELS: readonly AlertLevel[] = ['INFO', 'WARNING', 'CRITICAL'];

/** True when `level` is at least `min`. */
export function atLeast(level: AlertLevel, min: AlertLevel): boolean {
  return LEVELS.indexOf(level) >= LEVELS.indexOf(min);
}

/** 32-bit FNV-1a, hex: a short stable hash for keys that must fit message attributes. */
export function fnv1a(text: string): string {
  return fnv1aInt(text).toString(16).padStart(8, '0');
}

/** The condition an anomaly reports: above or below its expected range. */
export function conditionOf(a: Pick<Anomaly, 'value' | 'expectedHigh' | 'baseline'>): 'above' | 'below' {
  if (Number.isFinite(a.expectedHigh)) return a.value > a.expectedHigh ? 'above' : 'below';
  return a.value >= a.baseline ? 'above' : 'below';
}

/**
 * Stable de-duplication key of "this series in this condition": the same key within the dedup
 * window is one alert, updated, not a new page (PagerDuty's dedup_key, Alertmanager's fingerprint).
 */
export function dedupKey(
  a: Pick<Anomaly, 'series' | 'metric' | 'value' | 'expectedHigh' | 'baseline'> & {
    readonly methods?: readonly string[];
  },
): string {
  // A silent series is its own condition: its NO_DATA alert never folds into an above/below one.
  const condition = isNoData(a) ? 'no_data' : conditionOf(a);
  const text = `${a.series}|${condition}`;
  // 64 bits from two FNV-1a passes: the key is also the open alert's storage key, so collisions matter.
  return `${a.metric}-${condition}-${fnv1a(text)}${fnv1a(`${text}#`)}`;
}

/** An alert that paged and has not resolved yet, as stored per dedup key. */
export interface OpenAlert {
  readonly dedupKey: string;
  readonly alertId: string;
  readonly series: string;
  readonly openedAt: number;
  /** Time of the latest anomaly folded into it. */
  readonly lastSeenAt: number;
  readonly level: AlertLevel;
}

/** A mute: one-off (start/end) or weekly recurring (day of week + UTC minutes), per series or tag. */
export interface MaintenanceWindow {
  readonly id: string;
  /** Matches when every given selector matches: a series id, and/or tag key=value pairs. */
  readonly series?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly schedule:
    | { readonly kind: 'once'; readonly start: number; readonly end: number }
    | {
        readonly kind: 'weekly';
        /** 0 = Sunday … 6 = Saturday (UTC). */
        readonly dayOfWeek: number;
        /** Minutes after UTC midnight. */
        readonly startMinute: number;
        readonly durationMinutes: number;
      };
  readonly reason?: string;
}

/** True when `ts` falls inside the window's schedule (selectors not checked). */
export function inSchedule(window: MaintenanceWindow, ts: number): boolean {
  const s = window.schedule;
  if (s.kind === 'once') return ts >= s.start && ts < s.end;
  const week = 7 * 1440;
  const d = new Date(ts);
  const minuteOfWeek = d.getUTCDay() * 1440 + d.getUTCHours() * 60 + d.getUTCMinutes();
  const start = s.dayOfWeek * 1440 + s.startMinute;
  // Measured modulo a week, so "Sat 23:30 for 60 min" covers Sunday 00:00–00:30 too.
  return (((minuteOfWeek - start) % week) + week) % week < s.durationMinutes;
}

/** True when the window mutes this series (by id and/or tags) at `ts`. */
export function mutes(
  window: MaintenanceWindow,
  series: { readonly id: string; readonly tags: Readonly<Record<string, string>> },
  ts: number,
): boolean {
  if (window.series !== undefined && window.series !== series.id) return false;
  for (const [k, v] of Object.entries(window.tags ?? {})) if (series.tags[k] !== v) return false;
  if (window.series === undefined && Object.keys(window.tags ?? {}).length === 0) return false;
  return inSchedule(window, ts);
}

/** The `reason` of an anomaly deduplicated into another anomaly of the same run. */
export const SAME_RUN = 'same run';

/** Settings of the alert planner. */
export interface AlertPolicy {
  readonly minLevelToPage: AlertLevel;
  readonly dedupWindowMs: number;
  /** Tag whose value groups anomalies into one message; falls back to the series label. */
  readonly groupBy: string;
}

/** The planner's verdict on one anomaly. */
export interface PlannedAnomaly {
  readonly anomaly: Anomaly;
  readonly dedupKey: string;
  readonly state: Extract<AlertState, 'below-severity' | 'suppressed' | 'deduplicated' | 'pending'>;
  /** For suppressed: the window; for deduplicated: the open alert's id. */
  readonly reason?: string;
  readonly group?: string;
}

/** A message to send (after a token is taken): anomalies of one group, worst first. */
export interface AlertGroup {
  readonly group: string;
  readonly anomalies: readonly PlannedAnomaly[];
  readonly level: AlertLevel;
}

/**
 * Plan one run: classify every anomaly and group the ones that should page.
 * 1. Below the page level → below-severity (recorded, not paged).
 * 2. Inside a maintenance window → suppressed.
 * 3. Same dedup key as an open alert seen within the dedup window → deduplicated (updates it).
 *    Within this run, the first anomaly of a key pages and later ones are deduplicated into it.
 * 4. The rest are grouped by `groupBy` into one message per group.
 */
export function planAlerts(
  anomalies: readonly Anomaly[],
  context: {
    readonly tagsOf: (series: string) => Readonly<Record<string, string>>;
    readonly openAlerts: ReadonlyMap<string, OpenAlert>;
    readonly windows: readonly MaintenanceWindow[];
  },
  policy: AlertPolicy,
): { planned: PlannedAnomaly[]; groups: AlertGroup[] } {
  const planned: PlannedAnomaly[] = [];
  const seenThisRun = new Set<string>();
  const groups = new Map<string, PlannedAnomaly[]>();
  const ordered = [...anomalies].sort((a, b) => a.ts - b.ts || a.series.localeCompare(b.series));
  for (const anomaly of ordered) {
    const key = dedupKey(anomaly);
    const tags = context.tagsOf(anomaly.series);
    if (!atLeast(anomaly.level, policy.minLevelToPage)) {
      planned.push({ anomaly, dedupKey: key, state: 'below-severity' });
      continue;
    }
    const mute = context.windows.find((w) => mutes(w, { id: anomaly.series, tags }, anomaly.ts));
    if (mute) {
      planned.push({ anomaly, dedupKey: key, state: 'suppressed', reason: mute.id });
      continue;
    }
    const open = context.openAlerts.get(key);
    // Within the window around the open alert's span: later repeats, and late-detected earlier points.
    if (
      open &&
      anomaly.ts <= open.lastSeenAt + policy.dedupWindowMs &&
      anomaly.ts >= open.openedAt - policy.dedupWindowMs
    ) {
      planned.push({ anomaly, dedupKey: key, state: 'deduplicated', reason: open.alertId });
      continue;
    }
    if (seenThisRun.has(key)) {
      planned.push({ anomaly, dedupKey: key, state: 'deduplicated', reason: SAME_RUN });
      continue;
    }
    seenThisRun.add(key);
    // The same key the series' detect shard is chosen by: a group never spans two shards.
    const group = groupKeyOf({ tags, label: anomaly.label }, policy.groupBy);
    const entry: PlannedAnomaly = { anomaly, dedupKey: key, state: 'pending', group };
    planned.push(entry);
    groups.set(group, [...(groups.get(group) ?? []), entry]);
  }
  const out: AlertGroup[] = [];
  for (const [group, members] of groups) {
    const sorted = [...members].sort(
      (a, b) =>
        LEVELS.indexOf(b.anomaly.level) - LEVELS.indexOf(a.anomaly.level) ||
        b.anomaly.score - a.anomaly.score,
    );
    out.push({ group, anomalies: sorted, level: sorted[0]!.anomaly.level });
  }
  // Worst groups first: if the bucket runs dry mid-run, the most severe messages went out.
  out.sort((a, b) => LEVELS.indexOf(b.level) - LEVELS.indexOf(a.level) || a.group.localeCompare(b.group));
  return { planned, groups: out };
}

/** What was held back by the rate limit since the last message that got through. */
export interface Digest {
  readonly count: number;
  readonly since: number;
  readonly worstLevel: AlertLevel;
  /** Series label → anomalies held back, most first (top 5 kept). */
  readonly topSeries: readonly { readonly label: string; readonly count: number }[];
}

/** Add rate-limited anomalies to a digest (undefined = empty). */
export function addToDigest(
  digest: Digest | undefined,
  held: readonly Anomaly[],
  now: number,
): Digest | undefined {
  if (held.length === 0) return digest;
  const counts = new Map<string, number>((digest?.topSeries ?? []).map((s) => [s.label, s.count]));
  let worst: AlertLevel = digest?.worstLevel ?? 'INFO';
  for (const a of held) {
    counts.set(a.label, (counts.get(a.label) ?? 0) + 1);
    if (LEVELS.indexOf(a.level) > LEVELS.indexOf(worst)) worst = a.level;
  }
  const topSeries = [...counts.entries()]
    .map(([label, count]) => ({ label, count }))
    .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label))
    .slice(0, 5);
  return {
    count: (digest?.count ?? 0) + held.length,
    since: digest?.since ?? now,
    worstLevel: worst,
    topSeries,
  };
}
