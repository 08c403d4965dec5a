// (domain) the detector's expected range as the dashboard draws it: the band point of one verdict (one
// rule for the series chart's recomputed band and the band detect keeps), and the last hour of each
// series' band that detect keeps per shard for the health tiles' sparklines, merged cycle by cycle.
// Keeping it costs a shard one small object read and write a cycle; recomputing it per tile would
// replay weeks of points per series (bench:band, ~1.3 s a series) on every health view.
import type { BandPoint } from '../api/types';
import type { Verdict } from './detectors/series-detector';

/** How much band detect keeps per series: the health sparkline's span. */
export const RECENT_BAND_SPAN_MS = 60 * 60_000;

/** The most band points kept per series (one a second for the hour); the newest are kept. */
export const MAX_BAND_POINTS = 3600;

/**
 * The expected range of one verdict: the z-score method's bounds (every judged point gets them; spike
 * and level shift judge steps and runs, not the value's range), else those of a method that fired;
 * undefined while nothing gives a finite range (warm-up).
 */
export function bandPointOf(ts: number, verdict: Verdict): BandPoint | undefined {
  const finite = (r: { expectedLow: number; expectedHigh: number }) =>
    Number.isFinite(r.expectedLow) && Number.isFinite(r.expectedHigh);
  const z = verdict.results.find((r) => r.method === 'zscore');
  const pick = z && finite(z) ? z : verdict.results.find((r) => r.fired && finite(r));
  return pick ? { ts, low: pick.expectedLow, high: pick.expectedHigh } : undefined;
}

/** One shard's kept band: per series, its band points of the last hour before `at`, oldest first. */
export interface RecentBands {
  /** The cycle that last wrote it (epoch ms). */
  readonly at: number;
  readonly series: Readonly<Record<string, readonly BandPoint[]>>;
}

/**
 * The kept band after a cycle at `now`: each series' points of the hour before the newest cycle that
 * wrote it (a re-run of an older cycle never moves it back and erases newer points), this cycle's
 * replacing any kept at the same time (a retried cycle judges the same points again), at most
 * {@link MAX_BAND_POINTS} each. Series not in `keep` (gone from the config or from the shard) are
 * dropped; a series this cycle did not judge keeps what it had.
 */
export function mergeRecentBands(
  previous: RecentBands | undefined,
  fresh: ReadonlyMap<string, readonly BandPoint[]>,
  keep: ReadonlySet<string>,
  now: number,
): RecentBands {
  const at = Math.max(now, previous?.at ?? Number.NEGATIVE_INFINITY);
  const since = at - RECENT_BAND_SPAN_MS;
  const series: Record<string, BandPoint[]> = {};
  for (const id of keep) {
    const byTs = new Map<number, BandPoint>();
    for (const p of previous?.series[id] ?? []) if (p.ts > since && p.ts <= at) byTs.set(p.ts, p);
    for (const p of fresh.get(id) ?? []) if (p.ts > since && p.ts <= at) byTs.set(p.ts, p);
    if (byTs.size > 0) series[id] = [...byTs.values()].sort((a, b) => a.ts - b.ts).slice(-MAX_BAND_POINTS);
  }
  return { at, series };
}

/** A series' kept band inside [from, to] (what a sparkline of that span draws). */
export function bandWithin(points: readonly BandPoint[] | undefined, from: number, to: number): BandPoint[] {
  return (points ?? []).filter((p) => p.ts >= from && p.ts <= to);
}
