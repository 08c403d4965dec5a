// adapter --> (use case) --> domain: replay stored points through the production detection
// (`evaluateSeriesResumable`, maintenance windows unlearned as detect does) and the detect cycle's
// alert stage (`runAlertStage` over in-memory stores) on a simulated detect schedule.
// The what-if preview runs it twice, at the current and at a proposed sensitivity.

import {
  MemoryAlertStore,
  MemoryAnomalyStore,
  MemoryMetricStore,
  MemoryRateLimiter,
} from '../adapters/memory-stores';
import { type AlertState, type MaintenanceWindow, mutes } from '../domain/alerting';
import { type Anomaly, evaluateSeriesResumable, memoryPoints } from '../domain/anomaly';
import { WHOLE_FLEET } from '../domain/shards';
import { bucketConfigOf } from '../domain/token-bucket';
import type { SeriesSpec } from '../domain/types';
import type { DetectionConfig, MonitorConfig } from '../monitor-config';
import type { AlertMessage, AnomalyRef, Log } from '../ports';
import { runAlertStage } from './run-detect-cycle';

/** What to replay. */
export interface ReplayInput {
  /** The series to replay (and the only ones alerting sees: grouping happens among them). */
  readonly series: readonly SeriesSpec[];
  /** Points per series id, sorted by ts, covering [from − window, to]. */
  readonly points: ReadonlyMap<string, readonly { readonly ts: number; readonly value: number }[]>;
  readonly detection: DetectionConfig;
  readonly alerts: MonitorConfig['alerts'];
  readonly windows: readonly MaintenanceWindow[];
  /** Threshold multiplier (1 + adjustment). */
  readonly sensitivity: number;
  /**
   * Detect runs at from + every, from + 2·every, … up to `to`; the first run evaluates points from `from`,
   * each later one the points since the previous run, as the scheduled detect does with its watermark.
   */
  readonly from: number;
  readonly to: number;
  readonly everyMs: number;
}

/** A message the replay published, with the simulated time it went out. */
export type ReplayedMessage = AlertMessage & { readonly at: number };

/** Outcome of a replay. */
export interface ReplayResult {
  /** Every anomaly detection recorded, oldest first. */
  readonly anomalies: readonly Anomaly[];
  /** ALERT messages (pages), in order. */
  readonly pages: readonly ReplayedMessage[];
  /** RESOLVED notices. */
  readonly resolved: number;
  /** Where alerting put an anomaly; undefined when detection did not record it at all. */
  stateOf(ref: AnomalyRef): AlertState | undefined;
}

const silent: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * Replay detect + alert.
 * 1. Detection: one streaming pass over each whole series (windows only look back, so one pass equals
 *    the scheduled runs' incremental passes over the same points).
 * 2. Alerting: at each simulated run, the anomalies detected since the previous run are handed to the
 *    detect cycle's alert stage (`runAlertStage`, the real `publishAlerts`) with in-memory stores, the configured token bucket and maintenance windows, and
 *    the coverage detect would report (latest point read per series). Runs with nothing new and no open
 *    alert are skipped: they would do nothing.
 */
export async function replayAlerting(input: ReplayInput): Promise<ReplayResult> {
  const { detection } = input;
  const anomalies = input.series
    .flatMap((s) => {
      // As detect: points inside a maintenance window are judged but never learned as normal.
      const learn =
        input.windows.length > 0 ? (ts: number) => !input.windows.some((w) => mutes(w, s, ts)) : undefined;
      const points = input.points.get(s.id) ?? [];
      return evaluateSeriesResumable(s, points, input.from, input.to, detection, input.sensitivity, {
        ...(learn ? { learn } : {}),
      }).anomalies;
    })
    .sort((a, b) => a.ts - b.ts || a.series.localeCompare(b.series));

  const store = new MemoryAnomalyStore();
  const alerts = new MemoryAlertStore();
  for (const w of input.windows) await alerts.putWindow(w);
  const limiter = new MemoryRateLimiter(bucketConfigOf(input.alerts.rateLimit));
  const published: ReplayedMessage[] = [];
  let clock = input.from;
  const deps = {
    // What-if replays judge thresholds: no NO_DATA rules (silence does not depend on them), so no points.
    points: new MemoryMetricStore(),
    noDataRules: new Map(),
    config: { detection, alerts: input.alerts },
    anomalies: store,
    alerts,
    limiter,
    publisher: {
      publish: async (m: AlertMessage) => {
        published.push({ ...m, at: clock });
        return { messageId: `replay-${published.length}` };
      },
    },
    deadLetter: { send: async () => undefined },
    clock: { now: () => clock },
    log: silent,
  };
  const tsOf = new Map(
    input.series.map((s) => [s.id, (input.points.get(s.id) ?? []).map((p) => p.ts)] as const),
  );
  const memoryMsOf = new Map(
    input.series.map((s) => [s.id, memoryPoints(detection) * s.period * 1000] as const),
  );
  const overlapMs = detection.lateOverlapMinutes * 60_000;
  let next = 0;
  for (let t = input.from + input.everyMs, first = true; t <= input.to; t += input.everyMs, first = false) {
    const fresh: Anomaly[] = [];
    while (next < anomalies.length && anomalies[next]!.ts <= t) fresh.push(anomalies[next++]!);
    if (fresh.length === 0 && alerts.open.size === 0) continue;
    clock = t;
    await store.record(fresh);
    // What detect reads at this run: [from − memory, t] with from = previous run − late overlap.
    const from = first ? input.from : t - input.everyMs - overlapMs;
    const coverage = new Map<string, number>();
    for (const [id, ts] of tsOf) {
      const last = latestAtOrBefore(ts, t);
      if (last !== undefined && last >= from - (memoryMsOf.get(id) ?? 0)) coverage.set(id, last);
    }
    await runAlertStage(deps, { now: t, shard: WHOLE_FLEET, series: input.series, fresh, coverage });
  }
  const detected = new Set(anomalies.map((a) => `${a.series}\u0000${a.ts}`));
  return {
    anomalies,
    pages: published.filter((m) => m.body.type === 'ALERT'),
    resolved: published.filter((m) => m.body.type === 'RESOLVED').length,
    stateOf: (ref) => (detected.has(`${ref.series}\u0000${ref.ts}`) ? store.stateOf(ref) : undefined),
  };
}

/** The largest value <= x in a sorted array, or undefined. */
function latestAtOrBefore(sorted: readonly number[], x: number): number | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? sorted[lo - 1] : undefined;
}
