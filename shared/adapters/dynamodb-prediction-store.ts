// (adapter) --> PredictionStore port: predictions in DynamoDB as per-(model, day) chunks.
//
// Why chunks: one item per prediction would cost one write unit each ($1.25 per million on demand) and
// a drift check over a million predictions would unmarshal a million items (~100 MB). A chunk holds up to
// 2,000 predictions as three little-endian float64 columns (score, time, id hash) plus a JSON list of
// outcomes when any: ~24 bytes per prediction, so a million predictions are ~500 items, ~24 MB and ~3,000
// read units. A chunk's sort key is derived from its content, so a re-delivered batch overwrites itself;
// duplicates that arrive in other batches carry the same id hash and are dropped when read.
import { endianness } from 'node:os';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mapLimit } from '../async';
import {
  concatColumns,
  emptyColumns,
  hash53,
  type IngestedPrediction,
  type Outcome,
  type PredictionColumns,
  sliceByTime,
} from '../domain/prediction-set';
import { dayKey, daysBetween } from '../domain/time';
import { DependencyError } from '../errors';
import type { Log, PredictionStore, PredictionWriteResult } from '../ports';
import { batchPutWithRetry, isConditionalCheckFailed, queryAll } from './dynamodb-client';
import type { BackoffOptions } from './retry';
import { TTL_ATTRIBUTE } from './table-schemas';

// The binary columns are the platform's float64 layout; every Lambda architecture (x86_64, arm64) and
// every supported dev machine is little-endian. Refuse to run rather than misread on anything else.
if (endianness() !== 'LE') throw new Error('dynamodb-prediction-store needs a little-endian platform');

/** Predictions per chunk item: 2,000 × (24 bytes + an outcome of up to 66 bytes) stays under 400 KB. */
export const CHUNK_SIZE = 2000;

const MODELS_PK = 'models';
const DAY_MS = 86_400_000;

/** Settings of the prediction store. */
export interface DynamoPredictionStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Predictions expire this many days after the end of their UTC day. @default 40 */
  readonly retentionDays?: number;
  readonly log?: Log;
  readonly backoff?: BackoffOptions;
  /** Requests in flight at once (writes and per-day reads). @default 4 */
  readonly concurrency?: number;
}

interface ChunkItem {
  readonly pk: string;
  readonly sk: string;
  readonly n: number;
  readonly s: Uint8Array;
  readonly t: Uint8Array;
  readonly k: Uint8Array;
  readonly o?: string;
  readonly [TTL_ATTRIBUTE]: number;
}

/** Partition key of a model's predictions on one UTC day. */
export function dayPartition(model: string, day: string): string {
  return `m#${model}#${day}`;
}

function bytesOf(values: Float64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function floatsOf(bytes: unknown, n: number, what: string): Float64Array {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength !== n * 8) {
    throw new Error(`${what}: expected ${n * 8} bytes`);
  }
  // Copy: the SDK's buffer may not be 8-byte aligned.
  const out = new Float64Array(n);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** DynamoDB-backed prediction store. */
export class DynamoPredictionStore implements PredictionStore {
  private readonly retentionSeconds: number;

  public constructor(private readonly options: DynamoPredictionStoreOptions) {
    this.retentionSeconds = (options.retentionDays ?? 40) * 86_400;
  }

  /** Encode predictions of one model and day into chunk items (sorted by time). */
  public chunksOf(model: string, day: string, predictions: readonly IngestedPrediction[]): ChunkItem[] {
    const sorted = [...predictions].sort((a, b) => a.ts - b.ts || a.key - b.key);
    const expiresAt = Math.floor((Date.parse(`${day}T00:00:00Z`) + DAY_MS) / 1000) + this.retentionSeconds;
    const items: ChunkItem[] = [];
    for (let at = 0; at < sorted.length; at += CHUNK_SIZE) {
      const part = sorted.slice(at, at + CHUNK_SIZE);
      const s = Float64Array.from(part, (p) => p.score);
      const t = Float64Array.from(part, (p) => p.ts);
      const k = Float64Array.from(part, (p) => p.key);
      const anyOutcome = part.some((p) => p.outcome !== undefined);
      const o = anyOutcome
        ? JSON.stringify(part.map((p) => (p.outcome === undefined ? null : p.outcome)))
        : undefined;
      const contentHash = hash53(`${Array.from(k).join(',')}|${Array.from(s).join(',')}|${o ?? ''}`);
      items.push({
        pk: dayPartition(model, day),
        sk: `c#${String(t[0]).padStart(15, '0')}#${contentHash.toString(16)}`,
        n: part.length,
        s: bytesOf(s),
        t: bytesOf(t),
        k: bytesOf(k),
        ...(o !== undefined ? { o } : {}),
        [TTL_ATTRIBUTE]: expiresAt,
      });
    }
    return items;
  }

  /**
   * Store predictions as chunks, then record each model's newest prediction in the `models` list.
   * UnprocessedItems are retried with backoff; what still fails is returned, never dropped.
   */
  public async append(
    predictions: readonly IngestedPrediction[],
    _now: number,
  ): Promise<PredictionWriteResult> {
    const groups = new Map<string, { model: string; day: string; items: IngestedPrediction[] }>();
    for (const p of predictions) {
      const day = dayKey(p.ts);
      const id = `${p.model}\u0000${day}`;
      const group = groups.get(id) ?? { model: p.model, day, items: [] };
      group.items.push(p);
      groups.set(id, group);
    }
    const chunks: { item: ChunkItem; predictions: IngestedPrediction[] }[] = [];
    for (const g of groups.values()) {
      const sorted = [...g.items].sort((a, b) => a.ts - b.ts || a.key - b.key);
      this.chunksOf(g.model, g.day, sorted).forEach((item, i) => {
        chunks.push({ item, predictions: sorted.slice(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE) });
      });
    }
    // A BatchWriteItem request carries at most 25 items and 16 MB: 25 chunks are at most ~10 MB.
    const batches: (typeof chunks)[] = [];
    for (let i = 0; i < chunks.length; i += 25) batches.push(chunks.slice(i, i + 25));
    const failedChunks = (
      await mapLimit(batches, this.options.concurrency ?? 4, (batch) => this.writeBatch(batch))
    ).flat();
    const failed = new Set<IngestedPrediction>(failedChunks.flatMap((c) => c.predictions));

    const newest = new Map<string, number>();
    for (const p of predictions) {
      if (!failed.has(p))
        newest.set(p.model, Math.max(newest.get(p.model) ?? Number.NEGATIVE_INFINITY, p.ts));
    }
    const modelFailures = await mapLimit(
      [...newest.entries()],
      this.options.concurrency ?? 4,
      ([model, ts]) =>
        this.touchModel(model, ts).then(
          () => undefined,
          (error: unknown) => {
            this.options.log?.warn('Recording a model as seen failed; its predictions will be retried', {
              model,
              error: (error as Error).message,
            });
            return model;
          },
        ),
    );
    const failedModels = new Set(modelFailures.filter((m): m is string => m !== undefined));
    for (const p of predictions) if (failedModels.has(p.model)) failed.add(p);
    return { written: predictions.length - failed.size, failed: predictions.filter((p) => failed.has(p)) };
  }

  private async writeBatch(
    batch: readonly { item: ChunkItem; predictions: IngestedPrediction[] }[],
  ): Promise<{ item: ChunkItem; predictions: IngestedPrediction[] }[]> {
    const { client, tableName, backoff } = this.options;
    const bySk = new Map(batch.map((c) => [`${c.item.pk}\u0000${c.item.sk}`, c]));
    const items = batch.map((c) => c.item as unknown as Record<string, unknown>);
    const out = await batchPutWithRetry(client, tableName, items, backoff);
    // A chunk DynamoDB refuses as invalid is reported failed like an unwritten one (never dropped).
    const unwritten = [...out.unwritten, ...out.rejected.map((r) => r.item)];
    const lastError = out.rejected[0]?.reason ?? out.lastError;
    if (unwritten.length === 0) return [];
    this.options.log?.warn('Prediction chunks not written after retries', {
      table: tableName,
      chunks: unwritten.length,
      error:
        typeof lastError === 'string'
          ? lastError
          : lastError instanceof Error
            ? lastError.message
            : undefined,
    });
    return unwritten.map((item) => {
      const key = item as { pk: string; sk: string };
      return bySk.get(`${key.pk}\u0000${key.sk}`) as { item: ChunkItem; predictions: IngestedPrediction[] };
    });
  }

  /** Move a model's `lastSeen` forward (never back) and push its expiry out. */
  private async touchModel(model: string, ts: number): Promise<void> {
    try {
      await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { pk: MODELS_PK, sk: model },
          UpdateExpression: 'SET lastSeen = :t, #e = :e',
          ConditionExpression: 'attribute_not_exists(lastSeen) OR lastSeen < :t',
          ExpressionAttributeNames: { '#e': TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':t': ts,
            ':e': Math.floor(ts / 1000) + this.retentionSeconds + 86_400,
          },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  /** Models with predictions within the retention. */
  public async listModels(now: number): Promise<{ model: string; lastSeen: number }[]> {
    let items: Record<string, unknown>[];
    try {
      items = await queryAll(this.options.client, {
        TableName: this.options.tableName,
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: '#e > :now',
        ExpressionAttributeNames: { '#e': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':pk': MODELS_PK, ':now': Math.floor(now / 1000) },
      });
    } catch (cause) {
      throw new DependencyError('Listing models failed', { cause });
    }
    return items
      .map((item) => ({ model: String(item.sk), lastSeen: Number(item.lastSeen) }))
      .filter((m) => Number.isFinite(m.lastSeen))
      .sort((a, b) => a.model.localeCompare(b.model));
  }

  /** Every stored prediction of `model` with from <= ts < to: one Query per UTC day, days in parallel. */
  public async load(model: string, from: number, to: number, now: number): Promise<PredictionColumns> {
    if (!(from < to)) return emptyColumns();
    const days = daysBetween(from, to - 1);
    const parts = await mapLimit(days, this.options.concurrency ?? 4, async (day) => {
      let items: Record<string, unknown>[];
      try {
        items = await queryAll(this.options.client, {
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk',
          FilterExpression: '#e > :now',
          ProjectionExpression: 'sk, n, s, t, k, o',
          ExpressionAttributeNames: { '#e': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':pk': dayPartition(model, day), ':now': Math.floor(now / 1000) },
        });
      } catch (cause) {
        throw new DependencyError(`Reading predictions of ${model} on ${day} failed`, { cause });
      }
      return items.flatMap((item) => {
        try {
          return [decodeChunk(item)];
        } catch (error) {
          this.options.log?.warn('Skipped an unreadable prediction chunk', {
            model,
            day,
            sk: item.sk,
            error: (error as Error).message,
          });
          return [];
        }
      });
    });
    // Only the first and last day can hold rows outside [from, to).
    return sliceByTime(concatColumns(parts.flat()), from, to);
  }
}

function decodeChunk(item: Record<string, unknown>): PredictionColumns {
  const n = Number(item.n);
  if (!Number.isInteger(n) || n < 1 || n > CHUNK_SIZE) throw new Error(`n: ${String(item.n)} out of range`);
  const score = floatsOf(item.s, n, 's');
  const ts = floatsOf(item.t, n, 't');
  const key = floatsOf(item.k, n, 'k');
  if (typeof item.o !== 'string') return { ts, score, key };
  const parsed: unknown = JSON.parse(item.o);
  if (!Array.isArray(parsed) || parsed.length !== n) throw new Error(`o: expected ${n} outcomes`);
  const outcomes = parsed.map((o): Outcome | undefined => (o === null ? undefined : (o as Outcome)));
  return { ts, score, key, outcomes };
}
