// adapter --> (use case) --> domain: pull every configured series since the last run and store it.

import { mapLimit } from '../async';
import { pointProblem } from '../domain/point-limits';
import { floorTo } from '../domain/time';
import type { MetricPoint, SeriesSpec } from '../domain/types';
import type { MonitorConfig } from '../monitor-config';
import type { Clock, ControlStore, Log, MetricSource, MetricStore, RejectedPoint } from '../ports';

/** The watermark name of this job in the control store. */
export const COLLECT_JOB = 'collect';

/** What collect needs. */
export interface CollectDeps {
  readonly source: MetricSource;
  readonly store: MetricStore;
  readonly control: ControlStore;
  readonly clock: Clock;
  readonly log: Log;
  readonly series: readonly SeriesSpec[];
  readonly collection: MonitorConfig['collection'];
  /** Watermark name. @default COLLECT_JOB (a local replay uses its own, so it never inherits another run's) */
  readonly job?: string;
}

/** What one collect run did. Every point is accounted for: written, skipped or failed. */
export interface CollectResult {
  readonly series: number;
  readonly start: number;
  readonly end: number;
  readonly fetched: number;
  /** Re-fetched overlap points already stored with the same value: not written again. */
  readonly unchanged: number;
  readonly written: number;
  /** NaN/missing values the source returned: not stored. */
  readonly skipped: number;
  /** Points not stored after retries: the watermark stays before them so the next run retries. */
  readonly failed: number;
  /**
   * Points that can never be stored (value out of range, series id too long, refused by the store
   * as invalid): counted and logged as `PointsRejected`; they never hold the watermark back.
   */
  readonly rejected: number;
  /** Why, for the first rejected points (at most 20). */
  readonly rejections: readonly string[];
  readonly calls: number;
  readonly warnings: readonly string[];
}

/**
 * Collect metrics.
 * 1. Window: from the last watermark minus the late-point overlap (first run, or after a long
 *    outage: at most `maxLookbackMinutes` back) to now minus `settleMinutes`, aligned down to the
 *    shortest period.
 * 2. Fetch every series from the source.
 * 3. Reject points that can never be stored (value out of range, series id too long); store the rest
 *    (idempotent; the store isolates any other point it refuses as invalid). Count skipped, failed
 *    and rejected points.
 * 4. Advance the watermark to the end — or only to the earliest failed (transient) point, so it is
 *    retried. Rejected points never hold it back.
 */
export async function collectMetrics(
  deps: CollectDeps,
  input: { now?: number } = {},
): Promise<CollectResult> {
  const now = input.now ?? deps.clock.now();
  const periodMs = Math.min(...deps.series.map((s) => s.period * 1000), 60_000);
  const end = floorTo(now - deps.collection.settleMinutes * 60_000, periodMs);
  const overlapMs = deps.collection.overlapMinutes * 60_000;
  const earliest = end - deps.collection.maxLookbackMinutes * 60_000;
  const job = deps.job ?? COLLECT_JOB;
  const watermark = await deps.control.getWatermark(job);
  const start = Math.max(earliest, watermark === undefined ? earliest : watermark - overlapMs);
  if (start >= end || deps.series.length === 0) {
    return {
      series: deps.series.length,
      start,
      end,
      fetched: 0,
      unchanged: 0,
      written: 0,
      skipped: 0,
      failed: 0,
      rejected: 0,
      rejections: [],
      calls: 0,
      warnings: [],
    };
  }
  const fetched = await deps.source.fetch(deps.series, start, end);
  for (const warning of fetched.warnings) deps.log.warn('Metric source warning', { warning });
  const storable: MetricPoint[] = [];
  const rejected: RejectedPoint[] = [];
  for (const point of fetched.points) {
    const reason = pointProblem(point);
    if (reason === undefined) storable.push(point);
    else rejected.push({ point, reason });
  }
  const fresh = await dropUnchanged(deps, storable, start, watermark, now);
  const write = await deps.store.putPoints(fresh);
  rejected.push(...write.rejected);
  const rejections = rejected
    .slice(0, 20)
    .map((r) => `${shorten(r.point.series)} @ ${r.point.ts}: ${r.reason}`);
  if (rejected.length > 0)
    deps.log.error('PointsRejected: points that can never be stored were dropped; the rest were stored', {
      rejected: rejected.length,
      rejections: rejections.slice(0, 5),
    });
  if (write.failed.length > 0) {
    const earliestFailed = Math.min(...write.failed.map((p) => p.ts));
    deps.log.error('Metric points not stored after retries; they will be fetched again next run', {
      failed: write.failed.length,
      earliestFailed: new Date(earliestFailed).toISOString(),
    });
    // Hold the watermark before the first failure: the next run's window re-reads it.
    if (earliestFailed > start) await deps.control.advanceWatermark(job, earliestFailed);
  } else {
    await deps.control.advanceWatermark(job, end);
  }
  return {
    series: deps.series.length,
    start,
    end,
    fetched: fetched.points.length,
    unchanged: storable.length - fresh.length,
    written: write.written,
    skipped: fetched.skipped,
    failed: write.failed.length,
    rejected: rejected.length,
    rejections,
    calls: fetched.calls,
    warnings: fetched.warnings,
  };
}

/**
 * The late-point overlap re-fetches points the last run already stored. Rewriting them would triple
 * DynamoDB writes (10-minute overlap on a 5-minute schedule), and writes cost 5× reads: read the
 * overlap back (one Query per series) and keep only points that are new or whose value changed.
 */
async function dropUnchanged(
  deps: CollectDeps,
  points: readonly MetricPoint[],
  start: number,
  watermark: number | undefined,
  now: number,
): Promise<MetricPoint[]> {
  if (watermark === undefined) return [...points];
  const overlap = new Map<string, MetricPoint[]>();
  const out: MetricPoint[] = [];
  for (const p of points) {
    if (p.ts < watermark) overlap.set(p.series, [...(overlap.get(p.series) ?? []), p]);
    else out.push(p);
  }
  await mapLimit([...overlap.entries()], 8, async ([series, candidates]) => {
    let stored: Map<number, number>;
    try {
      stored = new Map(
        (await deps.store.queryRange(series, start, watermark, now)).map((q) => [q.ts, q.value]),
      );
    } catch {
      stored = new Map(); // cannot tell: write them all (idempotent)
    }
    for (const p of candidates) if (stored.get(p.ts) !== p.value) out.push(p);
  });
  return out;
}

/** A series id for a log line: long ids (the ones rejected for length) cut to 120 characters. */
function shorten(series: string): string {
  return series.length <= 120 ? series : `${series.slice(0, 117)}...`;
}
