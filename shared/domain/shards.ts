// (domain) which detect shard owns a series, and how many shards a fleet needs. A series goes to the
// shard of its alert group key (the tag alerts are grouped by), so one alert's members, its dedup
// keys and its RESOLVED notice never span two shards; the token bucket is the one thing they share.
import { stableBucket } from './hash';
import type { SeriesSpec } from './types';

/** One of `count` detect shards (index 0 … count − 1). */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** The whole fleet as one shard: what a single detect run covers. */
export const WHOLE_FLEET: Shard = { index: 0, count: 1 };

/** The most shards a plan may have: the state machine's Map runs at most this many at once. */
export const MAX_SHARDS = 40;

/** Every shard of a plan of `count`, by index. */
export function shardsOf(count: number): Shard[] {
  return Array.from({ length: count }, (_, index) => ({ index, count }));
}

/** A shard's name in keys, prefixes and logs, e.g. `2of8`; the whole fleet is `all`. */
export function shardName(shard: Shard): string {
  return shard.count === 1 ? 'all' : `${shard.index}of${shard.count}`;
}

/** The key alerts group a series under (`alerts.groupBy` tag, else its label): planAlerts uses it too. */
export function groupKeyOf(spec: Pick<SeriesSpec, 'tags' | 'label'>, groupBy: string): string {
  return spec.tags[groupBy] ?? spec.label;
}

/** The shard index that owns a series. */
export function shardOf(spec: Pick<SeriesSpec, 'tags' | 'label'>, groupBy: string, count: number): number {
  return stableBucket(groupKeyOf(spec, groupBy), count);
}

/** The series a shard owns, in their configured order. */
export function seriesOfShard<T extends Pick<SeriesSpec, 'tags' | 'label'>>(
  series: readonly T[],
  shard: Shard,
  groupBy: string,
): T[] {
  if (shard.count === 1) return [...series];
  return series.filter((s) => shardOf(s, groupBy, shard.count) === shard.index);
}

/** What one series costs a detect shard, measured (see series-cost.ts), and what a function offers. */
export interface ShardBudget {
  /** Function memory (MB) and timeout (s) at their configured size. */
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Memory the runtime, SDK clients, bundle and config hold before any series (MB, resident). */
  readonly baseMb: number;
  /** Heap one series holds between runs and while it is evaluated (bytes). */
  readonly heapBytesPerSeries: number;
  /** Worst-case (cold, from a checkpoint) CPU seconds per series on one full vCPU. */
  readonly cpuSecondsPerSeriesCold: number;
  /** Share of memory and of the timeout a shard may plan to use (the rest is headroom). @default 0.5 */
  readonly headroom?: number;
}

/** Lambda gives one full vCPU at 1,769 MB and CPU in proportion to memory below it. */
export const MB_PER_VCPU = 1769;

/** How many series one shard may hold within its budget's share of memory and timeout. */
export function seriesPerShard(budget: ShardBudget): number {
  const share = budget.headroom ?? 0.5;
  const heapBytes = (budget.memoryMb * share - budget.baseMb) * 1024 * 1024;
  const byMemory = Math.floor(heapBytes / budget.heapBytesPerSeries);
  const vcpu = Math.min(1, budget.memoryMb / MB_PER_VCPU);
  const byTime = Math.floor((budget.timeoutSeconds * share * vcpu) / budget.cpuSecondsPerSeriesCold);
  return Math.max(0, Math.min(byMemory, byTime));
}

/** A shard plan: how many shards and what each holds. */
export interface ShardPlan {
  readonly count: number;
  /** The most series one shard may hold, and the most one holds under this plan. */
  readonly capacity: number;
  readonly largest: number;
  /** Series per shard, by index. */
  readonly sizes: readonly number[];
}

/**
 * The fewest shards in which no shard holds more than its budget allows. Hashing is uneven (and a
 * group's series always travel together), so the count grows past ⌈series / capacity⌉ until the
 * largest shard fits.
 * @throws RangeError when one function cannot hold even one series, or more than MAX_SHARDS are needed
 */
export function planShards(
  series: readonly Pick<SeriesSpec, 'tags' | 'label'>[],
  groupBy: string,
  budget: ShardBudget,
): ShardPlan {
  const capacity = seriesPerShard(budget);
  if (capacity < 1) {
    throw new RangeError(
      `A detect function of ${budget.memoryMb} MB / ${budget.timeoutSeconds} s cannot hold one series ` +
        'within half its memory and timeout; raise detect memory or timeout',
    );
  }
  const keys = series.map((s) => groupKeyOf(s, groupBy));
  for (let count = Math.max(1, Math.ceil(series.length / capacity)); count <= MAX_SHARDS; count++) {
    const sizes = new Array<number>(count).fill(0);
    for (const key of keys) sizes[stableBucket(key, count)]!++;
    const largest = Math.max(0, ...sizes);
    if (largest <= capacity) return { count, capacity, largest, sizes };
  }
  throw new RangeError(
    `${series.length} series need more than ${MAX_SHARDS} detect shards of ${capacity} series at ` +
      `${budget.memoryMb} MB; raise detect memory (or split the deployment)`,
  );
}

/** A sharded job's watermark name: `detect` for the whole fleet, `detect#2of8` for a shard. */
export function shardJobName(job: string, shard: Shard): string {
  return shard.count === 1 ? job : `${job}#${shardName(shard)}`;
}
