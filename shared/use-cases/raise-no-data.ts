// adapter --> (use case) --> domain: find the series that reported before and then went silent for
// their no-data rule's time, and record one NO_DATA anomaly per silence. The newly recorded ones are
// handed to publishAlerts with the detect run's anomalies, so they page, group, dedup, respect
// maintenance windows and the rate limit like any other; they resolve once data is back (publishAlerts
// requires points — coverage — for the quiet period after the alert: missing data is never "normal").
import { mapLimit } from '../async';
import type { NoDataRule } from '../config/no-data';
import type { Anomaly } from '../domain/anomaly';
import { findSilentSeries, noDataAnomaly, noDataRuleOf } from '../domain/no-data';
import type { SeriesSpec } from '../domain/types';
import { messageOf } from '../errors';
import { expandSeries, type MonitorConfig, seriesIdOf } from '../monitor-config';
import type { AnomalyStore, Log, MetricStore } from '../ports';

/** What the no-data step needs. */
export interface NoDataDeps {
  readonly points: MetricStore;
  readonly anomalies: AnomalyStore;
  readonly series: readonly SeriesSpec[];
  /** Series id → rule in force (see {@link noDataRules}); series without one are not watched. */
  readonly rules: ReadonlyMap<string, NoDataRule>;
  readonly log: Log;
  /**
   * How far before a silence its last point is looked for: a series silent for longer than this (plus
   * its rule's time) counts as gone, not as newly silent. Its open NO_DATA alert, if any, stays open.
   * @default 24 h
   */
  readonly horizonMs?: number;
  /** Series queried at once. @default 8 */
  readonly concurrency?: number;
  /**
   * Latest point per series already known this run (detect's coverage): a series whose latest point is
   * inside its no-data time is not silent, and is not read again. @default none known
   */
  readonly knownLatest?: ReadonlyMap<string, number>;
}

/** What one run found. */
export interface NoDataResult {
  /** NO_DATA anomalies recorded by this run: pass them to publishAlerts as `fresh`. */
  readonly raised: readonly Anomaly[];
  /** Series silent now (raised now or by an earlier run). */
  readonly silent: readonly string[];
  /** Series whose points could not be read (skipped this run). */
  readonly failed: readonly string[];
}

/**
 * The rule in force for every configured series: its own `noData`, else (unless `sparse`) its
 * metric's under `alerts.noData.metrics`, else `alerts.noData.default`.
 */
export function noDataRules(config: MonitorConfig): Map<string, NoDataRule> {
  const own = new Map(
    config.series.map((s) => [seriesIdOf(s.namespace, s.metricName, s.dimensions, s.stat, s.period), s]),
  );
  const out = new Map<string, NoDataRule>();
  // RDS series have no entry of their own: they take the per-metric and default rules.
  for (const spec of expandSeries(config)) {
    const entry = own.get(spec.id);
    const rule = noDataRuleOf(
      {
        id: spec.id,
        metric: spec.metric,
        sparse: entry?.sparse ?? false,
        ...(entry?.noData !== undefined ? { noData: entry.noData } : {}),
      },
      config.alerts.noData,
    );
    if (rule) out.set(spec.id, rule);
  }
  return out;
}

/**
 * One no-data check.
 * 1. For each watched series: any point in the last `afterMinutes` (known from detect's read, else
 *    queried)? Then it is not silent.
 * 2. Else its latest point within the horizon before that: none = never reported (or long gone).
 * 3. Silent series → NO_DATA anomaly timed when the silence reached `afterMinutes` (the same anomaly
 *    on every run of one silence), recorded idempotently; only newly recorded ones are returned.
 * Read and write failures are logged and retried next run; they never fail the caller's run.
 */
export async function raiseNoDataAlerts(
  deps: NoDataDeps,
  input: { readonly now: number },
): Promise<NoDataResult> {
  const { now } = input;
  const horizon = deps.horizonMs ?? 24 * 3_600_000;
  const specs = new Map(deps.series.map((s) => [s.id, s]));
  const watched = [...deps.rules].filter(([id]) => specs.has(id));
  const lastPointTs = new Map<string, number>();
  const failed: string[] = [];
  await mapLimit(watched, deps.concurrency ?? 8, async ([id, rule]) => {
    const silentFrom = now - rule.afterMinutes * 60_000;
    const known = deps.knownLatest?.get(id);
    if (known !== undefined && known >= silentFrom) {
      lastPointTs.set(id, known);
      return;
    }
    try {
      const recent = await deps.points.queryRange(id, silentFrom, now, now);
      const last =
        recent.at(-1) ?? (await deps.points.queryRange(id, silentFrom - horizon, silentFrom, now)).at(-1);
      if (last) lastPointTs.set(id, last.ts);
    } catch (error) {
      failed.push(id);
      deps.log.warn('No-data check could not read the series; skipped this run', {
        series: id,
        error: messageOf(error),
      });
    }
  });
  const silent = findSilentSeries(new Map(watched), lastPointTs, now);
  const anomalies = silent.map((s) => noDataAnomaly(specs.get(s.series)!, s));
  if (anomalies.length === 0) return { raised: [], silent: [], failed };
  let recorded: Awaited<ReturnType<AnomalyStore['record']>>;
  try {
    recorded = await deps.anomalies.record(anomalies, now);
  } catch (error) {
    // Never fail the detect run over it: the same silence is raised again next run.
    deps.log.error('NO_DATA anomalies not recorded; retried next run', { error: messageOf(error) });
    return { raised: [], silent: silent.map((s) => s.series), failed };
  }
  for (const f of recorded.failed)
    deps.log.error('NO_DATA anomaly not recorded; retried next run', {
      series: f.anomaly.series,
      error: f.error,
    });
  for (const a of recorded.created)
    deps.log.warn(`Series went silent: ${a.explanation}`, { series: a.series });
  return { raised: recorded.created, silent: silent.map((s) => s.series), failed };
}
