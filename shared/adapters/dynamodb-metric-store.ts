// (adapter) --> MetricStore port: collected points in DynamoDB, one item per (series, ts), TTL'd.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mapLimit } from '../async';
import { valueProblem } from '../domain/point-limits';
import type { MetricPoint } from '../domain/types';
import { DependencyError } from '../errors';
import type { Log, MetricStore, RejectedPoint, WriteResult } from '../ports';
import { batchPutWithRetry, queryAll } from './dynamodb-client';
import type { BackoffOptions } from './retry';
import { TTL_ATTRIBUTE } from './table-schemas';

/** Settings of the DynamoDB metric store. */
export interface DynamoMetricStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Points expire this many days after their own timestamp. @default 30 */
  readonly retentionDays?: number;
  readonly log?: Log;
  /** Retry policy for UnprocessedItems and throttled batches. */
  readonly backoff?: BackoffOptions;
  /** Batches in flight at once. @default 4 */
  readonly concurrency?: number;
}

const BATCH_SIZE = 25;

/** Metric points table adapter. */
export class DynamoMetricStore implements MetricStore {
  private readonly retentionSeconds: number;

  public constructor(private readonly options: DynamoMetricStoreOptions) {
    this.retentionSeconds = (options.retentionDays ?? 30) * 86_400;
  }

  /**
   * Write points idempotently (same key → same item). UnprocessedItems are retried with backoff;
   * points still unwritten after the last attempt are returned in `failed`, never dropped. Points
   * DynamoDB refuses as invalid (a number out of range, a key too long) are isolated from their batch
   * and returned in `rejected`; their neighbours are written.
   */
  public async putPoints(points: readonly MetricPoint[]): Promise<WriteResult> {
    // BatchWriteItem rejects a request holding the same key twice; the last value for a key wins.
    const unique = new Map<string, MetricPoint>();
    const unmarshallable: RejectedPoint[] = [];
    for (const p of points) {
      if (!Number.isFinite(p.value) || !Number.isFinite(p.ts)) continue;
      // The document client throws for the whole batch on such a value: keep it out of the batch.
      const reason = valueProblem(p.value);
      if (reason === undefined) unique.set(`${p.series}\u0000${p.ts}`, p);
      else unmarshallable.push({ point: p, reason });
    }
    const all = [...unique.values()];
    const batches: MetricPoint[][] = [];
    for (let i = 0; i < all.length; i += BATCH_SIZE) batches.push(all.slice(i, i + BATCH_SIZE));
    const results = await mapLimit(batches, this.options.concurrency ?? 4, (batch) => this.writeBatch(batch));
    const failed = results.flatMap((r) => r.failed);
    const refused = results.flatMap((r) => r.rejected);
    if (unmarshallable.length > 0)
      this.options.log?.error('PointsRejected: values out of the storable range were not written', {
        table: this.options.tableName,
        count: unmarshallable.length,
        reasons: unmarshallable.slice(0, 5).map((r) => r.reason),
      });
    return {
      written: all.length - failed.length - refused.length,
      failed,
      rejected: [...unmarshallable, ...refused],
    };
  }

  private async writeBatch(
    batch: readonly MetricPoint[],
  ): Promise<{ failed: MetricPoint[]; rejected: RejectedPoint[] }> {
    const { client, tableName, backoff } = this.options;
    const items = batch.map((p) => ({
      series: p.series,
      ts: p.ts,
      v: p.value,
      [TTL_ATTRIBUTE]: Math.floor(p.ts / 1000) + this.retentionSeconds,
    }));
    const { unwritten, rejected, lastError } = await batchPutWithRetry(client, tableName, items, backoff);
    const pointOf = (item: (typeof items)[number]): MetricPoint => ({
      series: item.series,
      ts: item.ts,
      value: item.v,
    });
    if (rejected.length > 0)
      this.options.log?.error('PointsRejected: DynamoDB refused points as invalid; the rest were written', {
        table: tableName,
        count: rejected.length,
        reasons: [...new Set(rejected.map((r) => r.reason))].slice(0, 5),
      });
    if (unwritten.length > 0)
      this.options.log?.warn('Points not written after retries', {
        table: tableName,
        count: unwritten.length,
        error: lastError instanceof Error ? lastError.message : undefined,
      });
    return {
      failed: unwritten.map(pointOf),
      rejected: rejected.map((r) => ({ point: pointOf(r.item), reason: r.reason })),
    };
  }

  /** Points of `series` with start <= ts <= end, oldest first; expired items are filtered (TTL is lazy). */
  public async queryRange(series: string, start: number, end: number, now: number): Promise<MetricPoint[]> {
    let items: Record<string, unknown>[];
    try {
      items = await queryAll(this.options.client, {
        TableName: this.options.tableName,
        KeyConditionExpression: '#s = :s AND #t BETWEEN :a AND :b',
        FilterExpression: '#e > :now',
        ProjectionExpression: '#t, v',
        ExpressionAttributeNames: { '#s': 'series', '#t': 'ts', '#e': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':s': series, ':a': start, ':b': end, ':now': Math.floor(now / 1000) },
      });
    } catch (cause) {
      throw new DependencyError(`Query of series ${series} failed`, { cause });
    }
    const out: MetricPoint[] = [];
    for (const item of items) {
      const ts = Number(item.ts);
      const value = Number(item.v);
      if (Number.isFinite(ts) && Number.isFinite(value)) out.push({ series, ts, value });
    }
    return out;
  }
}
