// (adapter) --> MetricStore port: collected points in DynamoDB, one item per (series, ts), TTL'd.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mapLimit } from '../async';
import type { MetricPoint } from '../domain/types';
import { DependencyError } from '../errors';
import type { Log, MetricStore, WriteResult } from '../ports';
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
   * points still unwritten after the last attempt are returned in `failed`, never dropped.
   */
  public async putPoints(points: readonly MetricPoint[]): Promise<WriteResult> {
    // BatchWriteItem rejects a request holding the same key twice; the last value for a key wins.
    const unique = new Map<string, MetricPoint>();
    for (const p of points) {
      if (Number.isFinite(p.value) && Number.isFinite(p.ts)) unique.set(`${p.series}\u0000${p.ts}`, p);
    }
    const all = [...unique.values()];
    const batches: MetricPoint[][] = [];
    for (let i = 0; i < all.length; i += BATCH_SIZE) batches.push(all.slice(i, i + BATCH_SIZE));
    const results = await mapLimit(batches, this.options.concurrency ?? 4, (batch) => this.writeBatch(batch));
    const failed = results.flat();
    return { written: all.length - failed.length, failed };
  }

  private async writeBatch(batch: readonly MetricPoint[]): Promise<MetricPoint[]> {
    const { client, tableName, backoff } = this.options;
    const items = batch.map((p) => ({
      series: p.series,
      ts: p.ts,
      v: p.value,
      [TTL_ATTRIBUTE]: Math.floor(p.ts / 1000) + this.retentionSeconds,
    }));
    const { unwritten, lastError } = await batchPutWithRetry(client, tableName, items, backoff);
    if (unwritten.length === 0) return [];
    this.options.log?.warn('Points not written after retries', {
      table: tableName,
      count: unwritten.length,
      error: lastError instanceof Error ? lastError.message : undefined,
    });
    return unwritten.map((item) => ({ series: item.series, ts: item.ts, value: item.v }));
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
