// (domain) what one monitored series costs a detect shard, as measured by `npm run bench:scale`, the
// shard budget of a detect function of a given size, and the plan a fleet gets (fewest shards). The
// stack sizes and shards detect from these figures; re-measure (and update the date) when the detector,
// the cycle or the bundle changes. Also the detect timeout a cycle period gives (so the API plans the
// fleet as the stack does), and the per-series rates of a cycle the dashboard's cost estimate prices.
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
 * Margins: +8 % heap per series, +10 % CPU over the worst run. Re-measured the same day with the health
 * tiles' kept band (the last hour of each series' expected range, merged each cycle): held heap 53.6 KiB
 * per series, a 1,000-series shard's peak 127 MB over the bundle (was 117), a 5,000-series one's 436 MB;
 * +8 KiB per series covers it.
 */
export const DETECT_SERIES_COST = {
  /** Heap per series at a cycle's peak: held state plus the previous cycle's not yet collected (bytes). */
  heapBytesPerSeries: 120 * 1024,
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

/** Share of the cycle period a Step Functions execution may run: it ends before the next one starts. */
export const CYCLE_EXECUTION_SHARE = 0.8;
/** Detect's Lambda timeout when the cycle leaves room for it (the 2 minutes detect always had), s. */
export const DETECT_TIMEOUT_MAX_SECONDS = 120;

/**
 * The timeouts of a cycle that starts every `everyMinutes` (s): the execution's share of the period,
 * and detect's half of it, at most {@link DETECT_TIMEOUT_MAX_SECONDS}. The stack sizes the cycle and
 * plans detect with these (infra/constructs/detect-cycle.ts cycleTimeouts); the API's cost estimate
 * plans the same fleet with the same detect timeout.
 */
export function cycleTimeoutSeconds(everyMinutes: number): { execution: number; detect: number } {
  const execution = Math.floor(everyMinutes * 60 * CYCLE_EXECUTION_SHARE);
  return { execution, detect: Math.min(DETECT_TIMEOUT_MAX_SECONDS, Math.floor(execution / 2)) };
}

/**
 * Measured per-series rates of a detect cycle (5-minute cycles, 1-minute series, chunked points), which
 * the dashboard's monthly cost estimate prices (shared/domain/cost-model.ts estimateMonthlyCost).
 * Source: `npm run bench:scale -- --series 10000 --json bench-output/scale-10000.json`, 2026-12-04
 * (2 shards × 1,769 MB; docs/benchmarks.md, "Scale and cost": $0.0978 per metric-month). Requests are
 * `requestsPerSeriesPerCycle`; Query sizes, item and checkpoint sizes as recorded. Lambda time is split
 * so it can be priced at any memory size: I/O seconds are bench/scale-cost.ts's IO_MODEL over the
 * recorded requests of each shard's warm and cold cycle, CPU seconds (one full vCPU, with the SDK's own
 * CPU) the rest of the recorded collect + detect Lambda seconds (at 1,769 MB the CPU is not stretched).
 * Logs: the recorded logs line, per shard. Checkpoint PUTs are not recorded here: they follow the
 * config (collectEvery ÷ checkpointEvery a cycle; the bench's staggered saves made 0.0282 at 5 ÷ 180).
 */
export const MEASURED_CYCLE_RATES = {
  /** What was measured: the fleet's size, the day, and the collect interval (min). */
  series: 10_000,
  measuredOn: '2026-12-04',
  everyMinutes: 5,
  /** Per series per warm cycle, collect + detect. */
  getMetricDataMetrics: 1,
  pointsQueries: 2,
  /** A 5-point batch crosses a 30-minute chunk boundary one cycle in six. */
  pointsChunkUpdates: 7 / 6,
  anomalyPuts: 0.0011417,
  anomalyQueries: 0.00058333,
  anomalyUpdates: 0.0005,
  controlReads: 0.0012667,
  controlWrites: 0.0004,
  /** Per series of a cycle where every shard starts cold. */
  checkpointGetsCold: 1,
  /** Lambda seconds per series per cycle, collect + detect: CPU (one vCPU) and I/O wait, warm and cold. */
  cpuSecondsWarm: 0.0046487,
  ioSecondsWarm: 0.0026872,
  cpuSecondsCold: 0.0088118,
  ioSecondsCold: 0.005708,
  /** One cycle in this many is a cold start of each shard (the bench's assumption, --cold-every). */
  coldEvery: 24,
  /** CloudWatch Logs bytes per shard per cycle: the use cases' lines, summaries, platform lines, EMF. */
  logBytesPerShardPerCycle: 6087,
  /** EMF metric names the collect and detect handlers publish (each a custom metric). */
  customMetrics: 25,
  /** Stored checkpoint per series, gzip (bytes). */
  checkpointBytes: 18348,
  /** Billed sizes (bytes) and mean items a points Query reads. */
  chunkItemBytes: 449,
  pointItemBytes: 86,
  anomalyItemBytes: 737,
  chunksPerQuery: 4 / 3,
  pointsPerQuery: 11,
} as const;
