// (domain) "series went silent", pure: which series have a no-data rule (their own, their metric's,
// the default; none for sparse series), which of them have reported before and then sent nothing for
// the rule's time, and the NO_DATA anomaly each raises. The anomaly then goes through the same
// alerting as any other (dedup, grouping, maintenance windows, rate limit, RESOLVED once data is back).
import type { NoDataRule, NoDataSetting } from '../config/no-data';
import type { Anomaly } from './anomaly';
import type { AlertLevel, SeriesSpec, Severity } from './types';

/** The method name that marks a NO_DATA anomaly (first and only entry of `methods`). */
export const NO_DATA_METHOD = 'no_data';

/** True for the anomaly a silent series raises. */
export function isNoData(a: { readonly methods?: readonly string[] }): boolean {
  return a.methods?.[0] === NO_DATA_METHOD;
}

/** What decides a series' rule. */
export interface NoDataSeriesSettings {
  readonly id: string;
  readonly metric: string;
  /** Reports only when something happens: gets no default rule. */
  readonly sparse: boolean;
  /** The series' own setting, if any. */
  readonly noData?: NoDataSetting;
}

/** `alerts.noData`: the default rule and per-metric rules. */
export interface NoDataDefaults {
  readonly default?: NoDataRule;
  readonly metrics: Readonly<Record<string, NoDataSetting>>;
}

/**
 * The rule in force for a series: its own setting (`false` = none), else — unless it is sparse — its
 * metric's (`false` = none), else the default. Undefined = no no-data alerts for it.
 */
export function noDataRuleOf(series: NoDataSeriesSettings, defaults: NoDataDefaults): NoDataRule | undefined {
  if (series.noData !== undefined) return series.noData === false ? undefined : series.noData;
  if (series.sparse) return undefined;
  const forMetric = defaults.metrics[series.metric];
  if (forMetric !== undefined) return forMetric === false ? undefined : forMetric;
  return defaults.default;
}

/** A series that reported before and has been silent for at least its rule's time. */
export interface SilentSeries {
  readonly series: string;
  readonly rule: NoDataRule;
  /** Its latest point. */
  readonly lastTs: number;
  /** When it became silent for `afterMinutes`: the time of its NO_DATA anomaly. */
  readonly dueAt: number;
}

/**
 * The silent series at `now`.
 * @param rules - series id → rule in force (series without a rule are never silent)
 * @param lastPointTs - series id → time of its latest point; absent = never reported (not silent:
 *   a series that has not started is not one that stopped)
 */
export function findSilentSeries(
  rules: ReadonlyMap<string, NoDataRule>,
  lastPointTs: ReadonlyMap<string, number>,
  now: number,
): SilentSeries[] {
  const out: SilentSeries[] = [];
  for (const [series, rule] of rules) {
    const lastTs = lastPointTs.get(series);
    if (lastTs === undefined) continue;
    const dueAt = lastTs + rule.afterMinutes * 60_000;
    if (now >= dueAt) out.push({ series, rule, lastTs, dueAt });
  }
  return out.sort((a, b) => a.dueAt - b.dueAt || a.series.localeCompare(b.series));
}

const SEVERITY_OF: Readonly<Record<AlertLevel, Severity>> = {
  CRITICAL: 'critical',
  WARNING: 'medium',
  INFO: 'low',
};

/**
 * The NO_DATA anomaly of a silent series. Its time is `dueAt` (fixed for one silence), so raising it
 * again while the series stays silent is the same anomaly, recorded once. `value` is the silence in
 * minutes at that time; there is no expected range.
 */
export function noDataAnomaly(spec: SeriesSpec, silent: SilentSeries): Anomaly {
  const minutes = silent.rule.afterMinutes;
  return {
    series: spec.id,
    metric: spec.metric,
    label: spec.label,
    ts: silent.dueAt,
    value: minutes,
    expectedLow: Number.NaN,
    expectedHigh: Number.NaN,
    baseline: Number.NaN,
    deviation: Number.NaN,
    score: 1,
    methods: [NO_DATA_METHOD],
    findings: [],
    severity: SEVERITY_OF[silent.rule.severity],
    level: silent.rule.severity,
    explanation:
      `${spec.label} sent no data for ${minutes} min: last point at ${new Date(silent.lastTs).toISOString()} ` +
      `(one expected every ${spec.period} s)`,
    sensitivity: 1,
    unit: 'min',
  };
}
