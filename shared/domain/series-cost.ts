// (domain) what one monitored series costs a detect shard, as measured by `npm run bench:scale`, and the
// shard budget of a detect function of a given size. The stack sizes its shards from these figures;
// re-measure (and update the date) when the detector or the cycle changes.
import type { ShardBudget } from './shards';

/**
 * Measured per-series cost of a detect cycle (1-minute series, daily + weekly seasonality on).
 * Source: PROVISIONAL — bench:checkpoint's 48.9 KiB detector heap plus margin, until bench:scale lands.
 */
export const DETECT_SERIES_COST = {
  /** Heap per series held between cycles plus its share of a cycle's transient buffers (bytes). */
  heapBytesPerSeries: 96 * 1024,
  /** CPU per series of a cold cycle (restore from a checkpoint, evaluate, save) on one full vCPU (s). */
  cpuSecondsPerSeriesCold: 0.012,
  /** Heap of the Node runtime, the SDK clients and the bundle before any series (MB). */
  baseHeapMb: 64,
} as const;

/** The shard budget of a detect function with this memory (MB) and timeout (s). */
export function detectShardBudget(memoryMb: number, timeoutSeconds: number): ShardBudget {
  return { memoryMb, timeoutSeconds, ...DETECT_SERIES_COST };
}
