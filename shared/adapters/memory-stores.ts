// (adapter) in-memory implementations of the store ports, for benchmarks, what-if replays and
// unit tests of use cases. Same contracts as the DynamoDB adapters (idempotent keys, forward-only
// watermarks), no persistence.

import type { AlertState, Digest, MaintenanceWindow } from '../domain/alerting';
import type { Anomaly } from '../domain/anomaly';
import type { DetectorSnapshot } from '../domain/detectors/series-detector';
import type { RecentBands } from '../domain/recent-band';
import { type Shard, shardName } from '../domain/shards';
import { type BucketConfig, type BucketState, decideTake, fullBucket } from '../domain/token-bucket';
import type { MetricPoint } from '../domain/types';
import type {
  AlertStateStore,
  AlertStateUpdate,
  AnomalyStore,
  CheckpointStore,
  ControlStore,
  MetricStore,
  PublishRecord,
  RateLimiter,
  RecentBandStore,
  RecordResult,
  StoredOpenAlert,
  TokenTake,
  WriteResult,
} from '../ports';
import { RESOLVED_KEY_PREFIX } from '../ports';
import { encodeCheckpoint, parseCheckpoint } from './checkpoint-codec';
import { encodeRecentBands, parseRecentBands } from './recent-band-codec';

/** Points per series in sorted parallel arrays; (series, ts) is unique; range reads binary-search. */
export class MemoryMetricStore implements MetricStore {
  private readonly bySeries = new Map<string, { ts: number[]; v: number[] }>();

  /** Upsert every finite point. */
  public async putPoints(points: readonly MetricPoint[]): Promise<WriteResult> {
    let written = 0;
    for (const p of points) {
      if (!Number.isFinite(p.value) || !Number.isFinite(p.ts)) continue;
      const s = this.bySeries.get(p.series) ?? { ts: [], v: [] };
      this.bySeries.set(p.series, s);
      const i = lowerBound(s.ts, p.ts);
      if (s.ts[i] === p.ts) s.v[i] = p.value;
      else if (i === s.ts.length) {
        // The common case: points arrive in time order.
        s.ts.push(p.ts);
        s.v.push(p.value);
      } else {
        s.ts.splice(i, 0, p.ts);
        s.v.splice(i, 0, p.value);
      }
      written++;
    }
    return { written, failed: [], rejected: [] };
  }

  /** Points with start <= ts <= end, oldest first. */
  public async queryRange(series: string, start: number, end: number): Promise<MetricPoint[]> {
    const s = this.bySeries.get(series);
    if (!s) return [];
    const out: MetricPoint[] = [];
    for (let i = lowerBound(s.ts, start); i < s.ts.length && s.ts[i]! <= end; i++) {
      out.push({ series, ts: s.ts[i]!, value: s.v[i]! });
    }
    return out;
  }

  /** Number of stored points (all series). */
  public size(): number {
    let n = 0;
    for (const s of this.bySeries.values()) n += s.ts.length;
    return n;
  }
}

/** First index whose value is >= x in a sorted array. */
function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Anomalies keyed by (series, ts), with their alert state. */
export class MemoryAnomalyStore implements AnomalyStore {
  private readonly items = new Map<string, Anomaly>();
  /** Alert state and ids per (series, ts) key; absent = pending. */
  public readonly alerts = new Map<string, Omit<AlertStateUpdate, 'series' | 'ts'>>();

  /** Insert unless the key exists. */
  public async record(anomalies: readonly Anomaly[]): Promise<RecordResult> {
    const created: Anomaly[] = [];
    let existing = 0;
    for (const a of anomalies) {
      const key = `${a.series}\u0000${a.ts}`;
      if (this.items.has(key)) existing++;
      else {
        this.items.set(key, a);
        created.push(a);
      }
    }
    return { created, existing, failed: [] };
  }

  /** Anomalies with start <= ts <= end, oldest first. */
  public async listRange(start: number, end: number): Promise<Anomaly[]> {
    return [...this.items.values()].filter((a) => a.ts >= start && a.ts <= end).sort((a, b) => a.ts - b.ts);
  }

  /** Anomalies in range still pending. */
  public async listPending(start: number, end: number): Promise<Anomaly[]> {
    return (await this.listRange(start, end)).filter((a) => this.stateOf(a) === 'pending');
  }

  /** Record alert states. */
  public async setAlertStates(updates: readonly AlertStateUpdate[]): Promise<AlertStateUpdate[]> {
    for (const { series, ts, ...rest } of updates) this.alerts.set(`${series}\u0000${ts}`, rest);
    return [];
  }

  /** The alert state of an anomaly. */
  public stateOf(a: { series: string; ts: number }): AlertState {
    return this.alerts.get(`${a.series}\u0000${a.ts}`)?.state ?? 'pending';
  }
}

/** Watermarks in a map. */
export class MemoryControlStore implements ControlStore {
  private readonly watermarks = new Map<string, number>();

  /** The job's watermark. */
  public async getWatermark(job: string): Promise<number | undefined> {
    return this.watermarks.get(job);
  }

  /** Forward-only. */
  public async advanceWatermark(job: string, ts: number): Promise<void> {
    const current = this.watermarks.get(job);
    if (current === undefined || current < ts) this.watermarks.set(job, ts);
  }
}

/** Alert bookkeeping in maps. */
export class MemoryAlertStore implements AlertStateStore {
  public readonly open = new Map<string, StoredOpenAlert>();
  public readonly digests = new Map<string, Digest>();
  public readonly windows = new Map<string, MaintenanceWindow>();

  public async listOpen(): Promise<StoredOpenAlert[]> {
    return [...this.open.values()];
  }
  public async putOpen(alert: StoredOpenAlert): Promise<void> {
    this.open.set(alert.dedupKey, alert);
  }
  public async touchOpen(dedupKey: string, lastSeenAt: number): Promise<void> {
    const a = this.open.get(dedupKey);
    if (a && a.lastSeenAt < lastSeenAt) this.open.set(dedupKey, { ...a, lastSeenAt });
  }
  public async deleteOpen(dedupKey: string): Promise<void> {
    this.open.delete(dedupKey);
  }
  public async getDigest(bucket: string): Promise<Digest | undefined> {
    return this.digests.get(bucket);
  }
  public async setDigest(bucket: string, digest: Digest | undefined): Promise<void> {
    if (digest) this.digests.set(bucket, digest);
    else this.digests.delete(bucket);
  }
  public async listWindows(): Promise<MaintenanceWindow[]> {
    return [...this.windows.values()];
  }
  public async putWindow(window: MaintenanceWindow): Promise<void> {
    this.windows.set(window.id, window);
  }
  public async deleteWindow(id: string): Promise<boolean> {
    return this.windows.delete(id);
  }
  public readonly publishes = new Map<string, PublishRecord>();
  public async getPublish(key: string): Promise<PublishRecord | undefined> {
    return this.publishes.get(key);
  }
  public async putPublish(record: PublishRecord, expectedTries: number): Promise<boolean> {
    if ((this.publishes.get(record.key)?.tries ?? 0) !== expectedTries) return false;
    this.publishes.set(record.key, record);
    return true;
  }
  public async listResolved(from: number, to: number): Promise<{ alertId: string; at: number }[]> {
    return [...this.publishes.values()]
      .filter(
        (r) =>
          r.key.startsWith(RESOLVED_KEY_PREFIX) && r.status === 'published' && r.at >= from && r.at <= to,
      )
      .map((r) => ({ alertId: r.key.slice(RESOLVED_KEY_PREFIX.length), at: r.at }));
  }
}

/** A token bucket held in memory (single process): the same arithmetic as the DynamoDB limiter. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, BucketState>();
  public constructor(private readonly config: BucketConfig) {}

  public async take(bucket: string, now: number): Promise<TokenTake> {
    const decision = decideTake(this.buckets.get(bucket) ?? fullBucket(this.config, now), now, this.config);
    this.buckets.set(bucket, decision.state);
    return { granted: decision.granted, remaining: decision.remaining, retryAfterMs: decision.retryAfterMs };
  }
}

/** In-memory {@link CheckpointStore}: keeps each checkpoint encoded exactly as S3 would hold it. */
export class MemoryCheckpointStore implements CheckpointStore {
  public readonly objects = new Map<string, Buffer>();
  public saves = 0;

  public async load(series: string): Promise<DetectorSnapshot | undefined> {
    const body = this.objects.get(series);
    return body === undefined ? undefined : parseCheckpoint(body, `memory:${series}`);
  }

  public async save(series: string, snapshot: DetectorSnapshot): Promise<void> {
    this.objects.set(series, encodeCheckpoint(snapshot));
    this.saves++;
  }
}

/** Kept bands per shard, stored encoded as the S3 adapter stores them (so the codec is exercised). */
export class MemoryRecentBandStore implements RecentBandStore {
  public readonly objects = new Map<string, Buffer>();

  public async load(shard: Shard): Promise<RecentBands | undefined> {
    const body = this.objects.get(shardName(shard));
    return body === undefined ? undefined : parseRecentBands(body, `memory:${shardName(shard)}`);
  }

  public async save(shard: Shard, bands: RecentBands): Promise<void> {
    this.objects.set(shardName(shard), encodeRecentBands(bands));
  }
}
