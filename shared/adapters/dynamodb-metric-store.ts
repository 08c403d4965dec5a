// (adapter) --> MetricStore port: collected points in DynamoDB as per-series 30-minute chunks, TTL'd.
//
// Why chunks: one item per point costs a write unit per point (5 a run for a 1-minute series collected
// every 5 minutes) and a read returns one item per point. A chunk item holds a series' points of one
// 30-minute span as top-level attributes `o<offset ms>` = value, set with one UpdateItem per chunk a
// write touches: 1 write unit per series a run (2 when its points straddle a chunk boundary), whatever
// the chunk's fill. Setting an attribute is idempotent (the same point twice is the same attribute), a
// late point lands in its own old chunk, and a range read is one Query over a few items.
import type { DynamoDBDocumentClient, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mapLimit } from '../async';
import { valueProblem } from '../domain/point-limits';
import type { MetricPoint } from '../domain/types';
import { DependencyError } from '../errors';
import type { Log, MetricStore, RejectedPoint, WriteResult } from '../ports';
import { queryAll, updateWithRetry } from './dynamodb-client';
import type { BackoffOptions } from './retry';
import { TTL_ATTRIBUTE } from './table-schemas';

/**
 * Span of one chunk item (its sort key `ts` is the span's start). 30 one-minute points keep an item
 * under 1 KB, so a collect run's write of a series is 1 WRU whatever the chunk's fill; a 10-second
 * series writes bigger items (180 points, ~3 KB full: up to 4 WRU an update) but still far fewer WRU
 * than one item per point.
 */
export const CHUNK_MS = 30 * 60_000;

/**
 * Most points one UpdateItem sets. DynamoDB caps an update expression at 4 KB (200 points take ~2.4 KB
 * here), and a 1-second series has 1,800 points a chunk: its chunk is written in slices.
 */
export const MAX_POINTS_PER_UPDATE = 200;

/** Prefix of a point's attribute in a chunk item: `o<offset from the chunk's start in ms>`. */
const POINT_PREFIX = 'o';
/** The value attribute of the one-item-per-point layout (before chunks), still read until it expires. */
const LEGACY_VALUE = 'v';

/** Start (epoch ms) of the chunk holding `ts`. */
export function chunkStartOf(ts: number): number {
  return Math.floor(ts / CHUNK_MS) * CHUNK_MS;
}

/** Settings of the DynamoDB metric store. */
export interface DynamoMetricStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** A chunk expires this many days after its end (so every point of it at least this long). @default 30 */
  readonly retentionDays?: number;
  readonly log?: Log;
  /** Retry policy for throttled or failed updates. */
  readonly backoff?: BackoffOptions;
  /** UpdateItems in flight at once. @default 4 */
  readonly concurrency?: number;
}

/** The points one UpdateItem sets: all in one chunk of one series. */
interface ChunkWrite {
  readonly series: string;
  readonly chunkStart: number;
  readonly points: readonly MetricPoint[];
}

interface ChunkOutcome {
  readonly failed: MetricPoint[];
  readonly rejected: RejectedPoint[];
  readonly error?: unknown;
}

/** Metric points table adapter. */
export class DynamoMetricStore implements MetricStore {
  private readonly retentionSeconds: number;

  public constructor(private readonly options: DynamoMetricStoreOptions) {
    this.retentionSeconds = (options.retentionDays ?? 30) * 86_400;
  }

  /**
   * Write points idempotently (same (series, ts) → same attribute of the same chunk item), one UpdateItem
   * per chunk touched. Throttled updates are retried with backoff; points still unwritten after the last
   * attempt are returned in `failed`, never dropped. Points DynamoDB refuses as invalid (a number out of
   * range, a key too long) are isolated from their chunk and returned in `rejected`; their neighbours
   * are written.
   */
  public async putPoints(points: readonly MetricPoint[]): Promise<WriteResult> {
    // The last value for a (series, ts) wins, as one UpdateItem cannot set an attribute twice.
    const unique = new Map<string, MetricPoint>();
    const unmarshallable: RejectedPoint[] = [];
    for (const p of points) {
      if (!Number.isFinite(p.value) || !Number.isFinite(p.ts)) continue;
      // The document client throws for the whole update on such a value: keep it out of the update.
      const reason = valueProblem(p.value);
      if (reason === undefined) unique.set(`${p.series}\u0000${p.ts}`, p);
      else unmarshallable.push({ point: p, reason });
    }
    const all = [...unique.values()];
    const outcomes = await mapLimit(chunkWrites(all), this.options.concurrency ?? 4, (w) =>
      this.writeChunk(w),
    );
    const failed = outcomes.flatMap((o) => o.failed);
    const refused = outcomes.flatMap((o) => o.rejected);
    this.logProblems(unmarshallable, refused, failed, outcomes.find((o) => o.error !== undefined)?.error);
    return {
      written: all.length - failed.length - refused.length,
      failed,
      rejected: [...unmarshallable, ...refused],
    };
  }

  /** One UpdateItem; when DynamoDB refuses it as invalid, its points one by one to isolate the bad ones. */
  private async writeChunk(write: ChunkWrite): Promise<ChunkOutcome> {
    const out = await updateWithRetry(this.options.client, this.updateOf(write), this.options.backoff);
    if (out.status === 'written') return { failed: [], rejected: [] };
    if (out.status === 'failed') return { failed: [...write.points], rejected: [], error: out.error };
    if (write.points.length === 1)
      return { failed: [], rejected: [{ point: write.points[0]!, reason: out.reason }] };
    // One refused point fails the whole update. One at a time: the in-flight bound stays `concurrency`.
    const singles = await mapLimit(write.points, 1, (p) => this.writeChunk({ ...write, points: [p] }));
    return {
      failed: singles.flatMap((s) => s.failed),
      rejected: singles.flatMap((s) => s.rejected),
      error: singles.find((s) => s.error !== undefined)?.error,
    };
  }

  /** `SET #0 = :0, …, expiresAt = :e` on the chunk item; the TTL depends on the chunk alone. */
  private updateOf(write: ChunkWrite): UpdateCommandInput {
    const names: Record<string, string> = { '#e': TTL_ATTRIBUTE };
    const values: Record<string, unknown> = {
      ':e': Math.floor((write.chunkStart + CHUNK_MS) / 1000) + this.retentionSeconds,
    };
    const sets = write.points.map((p, i) => {
      names[`#${i}`] = `${POINT_PREFIX}${p.ts - write.chunkStart}`;
      values[`:${i}`] = p.value;
      return `#${i} = :${i}`;
    });
    return {
      TableName: this.options.tableName,
      Key: { series: write.series, ts: write.chunkStart },
      UpdateExpression: `SET ${[...sets, '#e = :e'].join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
  }

  private logProblems(
    unmarshallable: readonly RejectedPoint[],
    refused: readonly RejectedPoint[],
    failed: readonly MetricPoint[],
    error: unknown,
  ): void {
    const { log, tableName } = this.options;
    if (unmarshallable.length > 0)
      log?.error('PointsRejected: values out of the storable range were not written', {
        table: tableName,
        count: unmarshallable.length,
        reasons: unmarshallable.slice(0, 5).map((r) => r.reason),
      });
    if (refused.length > 0)
      log?.error('PointsRejected: DynamoDB refused points as invalid; the rest were written', {
        table: tableName,
        count: refused.length,
        reasons: [...new Set(refused.map((r) => r.reason))].slice(0, 5),
      });
    if (failed.length > 0)
      log?.warn('Points not written after retries', {
        table: tableName,
        count: failed.length,
        error: error instanceof Error ? error.message : undefined,
      });
  }

  /**
   * Points of `series` with start <= ts <= end, oldest first; expired items are filtered (TTL is lazy).
   * One Query from the start of `start`'s chunk. Items of the one-item-per-point layout (`v` at `ts`)
   * are read too, so a stack upgraded in place keeps its history; a point in both layouts (re-written
   * after the upgrade) is read once, with the chunk's value.
   */
  public async queryRange(series: string, start: number, end: number, now: number): Promise<MetricPoint[]> {
    if (start > end) return [];
    let items: Record<string, unknown>[];
    try {
      items = await queryAll(this.options.client, {
        TableName: this.options.tableName,
        KeyConditionExpression: '#s = :s AND #t BETWEEN :a AND :b',
        FilterExpression: '#e > :now',
        ExpressionAttributeNames: { '#s': 'series', '#t': 'ts', '#e': TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ':s': series,
          ':a': chunkStartOf(start),
          ':b': end,
          ':now': Math.floor(now / 1000),
        },
      });
    } catch (cause) {
      throw new DependencyError(`Query of series ${series} failed`, { cause });
    }
    const legacyPoints = new Map<number, number>();
    const chunkPoints = new Map<number, number>();
    for (const item of items) {
      const base = Number(item.ts);
      if (!Number.isFinite(base)) continue;
      for (const [name, raw] of Object.entries(item)) {
        let ts: number;
        if (name === LEGACY_VALUE) ts = base;
        else if (name.startsWith(POINT_PREFIX)) ts = base + Number(name.slice(POINT_PREFIX.length));
        else continue;
        const value = Number(raw);
        if (!Number.isFinite(ts) || !Number.isFinite(value) || ts < start || ts > end) continue;
        (name === LEGACY_VALUE ? legacyPoints : chunkPoints).set(ts, value);
      }
    }
    const merged = new Map([...legacyPoints, ...chunkPoints]);
    return [...merged].sort(([a], [b]) => a - b).map(([ts, value]) => ({ series, ts, value }));
  }
}

/** Group points by (series, chunk), in slices of at most MAX_POINTS_PER_UPDATE. */
function chunkWrites(points: readonly MetricPoint[]): ChunkWrite[] {
  const groups = new Map<string, { series: string; chunkStart: number; points: MetricPoint[] }>();
  for (const p of points) {
    const chunkStart = chunkStartOf(p.ts);
    const key = `${p.series}\u0000${chunkStart}`;
    const group = groups.get(key) ?? { series: p.series, chunkStart, points: [] };
    group.points.push(p);
    groups.set(key, group);
  }
  const writes: ChunkWrite[] = [];
  for (const g of groups.values())
    for (let i = 0; i < g.points.length; i += MAX_POINTS_PER_UPDATE)
      writes.push({ ...g, points: g.points.slice(i, i + MAX_POINTS_PER_UPDATE) });
  return writes;
}
