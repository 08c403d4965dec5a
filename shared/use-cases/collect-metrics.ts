// adapter --> (use case) --> domain: pull every configured series since the last run and store it.
import { floorTo } from '../domain/time';
import type { SeriesSpec } from '../domain/types';
import type { MonitorConfig } from '../monitor-config';
import type { Clock, ControlStore, Log, MetricSource, MetricStore } from '../ports';

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
}

/** What one collect run did. Every point is accounted for: written, skipped or failed. */
export interface CollectResult {
  readonly series: number;
  readonly start: number;
  readonly end: number;
  readonly fetched: number;
  readonly written: number;
  /** NaN/missing values the source returned: not stored. */
  readonly skipped: number;
  /** Points not stored after retries: the watermark stays before them so the next run retries. */
  readonly failed: number;
  readonly calls: number;
  readonly warnings: readonly string[];
}

/**
 * Collect metrics.
 * 1. Window: from the last watermark minus the late-point overlap (first run, or after a long
 *    outage: at most `maxLookbackMinutes` back) to now, aligned down to the shortest period.
 * 2. Fetch every series from the source.
 * 3. Store the points (idempotent); count skipped and failed points.
 * 4. Advance the watermark to the end — or only to the earliest failed point, so it is retried.
 */
export async function collectMetrics(
  deps: CollectDeps,
  input: { now?: number } = {},
): Promise<CollectResult> {
  const now = input.now ?? deps.clock.now();
  const periodMs = Math.min(...deps.series.map((s) => s.period * 1000), 60_000);
  const end = floorTo(now, periodMs);
  const overlapMs = deps.collection.overlapMinutes * 60_000;
  const earliest = end - deps.collection.maxLookbackMinutes * 60_000;
  const watermark = await deps.control.getWatermark(COLLECT_JOB);
  const start = Math.max(earliest, watermark === undefined ? earliest : watermark - overlapMs);
  if (start >= end || deps.series.length === 0) {
    return {
      series: deps.series.length,
      start,
      end,
      fetched: 0,
      written: 0,
      skipped: 0,
      failed: 0,
      calls: 0,
      warnings: [],
    };
  }
  const fetched = await deps.source.fetch(deps.series, start, end);
  for (const warning of fetched.warnings) deps.log.warn('Metric source warning', { warning });
  const write = await deps.store.putPoints(fetched.points);
  if (write.failed.length > 0) {
    const earliestFailed = Math.min(...write.failed.map((p) => p.ts));
    deps.log.error('Metric points not stored after retries; they will be fetched again next run', {
      failed: write.failed.length,
      earliestFailed: new Date(earliestFailed).toISOString(),
    });
    // Hold the watermark before the first failure: the next run's window re-reads it.
    if (earliestFailed > start) await deps.control.advanceWatermark(COLLECT_JOB, earliestFailed);
  } else {
    await deps.control.advanceWatermark(COLLECT_JOB, end);
  }
  return {
    series: deps.series.length,
    start,
    end,
    fetched: fetched.points.length,
    written: write.written,
    skipped: fetched.skipped,
    failed: write.failed.length,
    calls: fetched.calls,
    warnings: fetched.warnings,
  };
}
