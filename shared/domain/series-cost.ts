// (domain) what one monitored series costs a detect shard, as measured by `npm run bench:scale`, the
// shard budget of a detect function of a given size, and the plan a fleet gets (fewest shards). The
// stack sizes and shards detect from these figures; re-measure (and update the date) when the detector,
// the cycle or the bundle changes.
import { MAX_SHARDS, planShards, type ShardBudget, type ShardPlan } from './shards';
import type { SeriesSpec } from './types';

/**
 * Measured per-series cost of a detect cycle (1-minute series, daily + weekly seasonality on).
 * Source: `npm run bench:scale -- --series 10000` and `-- --series 1000`, 2026-12-04 (docs/benchmarks.md,
 * "Scale and cost"): held heap 49 KiB per series after warm cycles (GC'd), but a cycle's peak with no
 * collection forced inside it is 35 MB over the bundle for 200-series shards and 87 MB for 710-series
 * ones, i.e. ≈ 15 MB + 104 KiB per series — each cycle replaces every detector by its checkpoint
 * clone, and the replaced ones (old generation) wait for a major GC, so the peak is what a shard
 * really reaches; a cold cycle's CPU per series 5.0–6.3 ms on one
 * core including the SDK's own CPU per request; the detect bundle loaded with no series 75–86 MB RSS
 * with a one-series config and 128–135 MB with 10,000 (every shard parses the whole fleet's config).
 * Margins: +8 % heap per series, +10 % CPU over the worst run.
 */
export const DETECT_SERIES_COST = {
  /** Heap per series at a cycle's peak: held state plus the previous cycle's not yet collected (bytes). */
  heapBytesPerSeries: 112 * 1024,
  /** A cycle's transient heap whatever the shard's size (reads, SDK buffers, results; MB). */
  cycleBaseMb: 16,
  /** CPU per series of a cold cycle (restore from a checkpoint, evaluate, save) on one full vCPU (s). */
  cpuSecondsPerSeriesCold: 0.007,
  /** Resident memory of the runtime, SDK clients and bundle before any series (MB). */
  baseRssMb: 86,
  /** Resident memory each configured series of the whole fleet adds to every shard (its config). */
  rssBytesPerConfiguredSeries: 5_600,
} as const;

/** The memory sizes detect may run at, smallest first (1,769 MB is one full vCPU). */
export const DETECT_MEMORY_SIZES_MB = [256, 512, 1024, 1769] as const;

/** The shard budget of a detect function with this memory (MB) and timeout (s), for a fleet of this size. */
export function detectShardBudget(memoryMb: number, timeoutSeconds: number, fleetSeries = 0): ShardBudget {
  const { heapBytesPerSeries, cpuSecondsPerSeriesCold, baseRssMb, rssBytesPerConfiguredSeries, cycleBaseMb } =
    DETECT_SERIES_COST;
  return {
    memoryMb,
    timeoutSeconds,
    baseMb: baseRssMb + cycleBaseMb + (fleetSeries * rssBytesPerConfiguredSeries) / (1024 * 1024),
    heapBytesPerSeries,
    cpuSecondsPerSeriesCold,
  };
}

/** A detect plan: the memory each shard function gets, and the shards at that size. */
export interface DetectPlan extends ShardPlan {
  readonly memoryMb: number;
}

/**
 * The detect plan with the fewest shards (each within half its memory and half its timeout), and of
 * those the smallest memory size. Each shard costs state transitions and an invocation pair every
 * cycle and is one more function to watch, while more memory costs only the time spent waiting on
 * DynamoDB and S3 (CPU-bound time costs the same at any size below one vCPU): for 1,000 series one
 * shard at 512 MB is a quarter of the Step Functions cost of five at 256 MB.
 * @throws RangeError when even the largest size would need more than MAX_SHARDS shards
 */
export function planDetect(
  series: readonly Pick<SeriesSpec, 'tags' | 'label'>[],
  groupBy: string,
  timeoutSeconds: number,
): DetectPlan {
  let last: unknown;
  let best: DetectPlan | undefined;
  for (const memoryMb of DETECT_MEMORY_SIZES_MB) {
    try {
      const plan = planShards(series, groupBy, detectShardBudget(memoryMb, timeoutSeconds, series.length));
      if (!best || plan.count < best.count) best = { ...plan, memoryMb };
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      last = error;
    }
  }
  if (best) return best;
  throw new RangeError(
    `${series.length} series do not fit ${MAX_SHARDS} detect shards even at ` +
      `${DETECT_MEMORY_SIZES_MB.at(-1)} MB: ${(last as Error).message}`,
  );
}
