// bench:scale's request counters: wrappers around the store ports that count each call as the DynamoDB,
// S3 and SNS requests its AWS adapter makes for it (read from the adapters: one conditional PutItem per
// anomaly, one Query per UTC day of anomalies, one GetItem + one UpdateItem per granted token, …), and
// sample the heap at every call (a cycle runs on promises, never yielding to a timer, so store calls are
// the only places to look). A DynamoDB middleware counts the requests a real client sends, to check them.
import v8 from 'node:v8';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { MemoryCheckpointStore, MemoryRecentBandStore } from '../shared/adapters/memory-stores';
import type { Anomaly } from '../shared/domain/anomaly';
import type { DetectorSnapshot } from '../shared/domain/detectors/series-detector';
import type { RecentBands } from '../shared/domain/recent-band';
import { type Shard, shardName } from '../shared/domain/shards';
import { daysBetween } from '../shared/domain/time';
import type { MetricPoint } from '../shared/domain/types';
import type {
  AlertMessage,
  AlertPublisher,
  AlertStateStore,
  AlertStateUpdate,
  AnomalyStore,
  CheckpointStore,
  ControlStore,
  DeadLetterSink,
  Log,
  MetricStore,
  PublishRecord,
  RateLimiter,
  RecentBandStore,
  StoredOpenAlert,
  ThresholdStore,
} from '../shared/ports';

/** Points of one series per stored chunk in the chunked points layout (issue 14). */
export const CHUNK_MS = 30 * 60_000;
/** Points per BatchWriteItem request of the current (one item per point) DynamoMetricStore. */
const BATCH_SIZE = 25;

/** Counts by request kind, and the heap's high-water mark. */
export class Tally {
  readonly counts = new Map<string, number>();
  /** Bytes held by the simulated S3 (checkpoint objects): not the function's memory, subtracted. */
  storeBytes = 0;
  peak = 0;

  add(kind: string, n = 1): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + n);
  }

  get(kind: string): number {
    return this.counts.get(kind) ?? 0;
  }

  snapshot(): Map<string, number> {
    return new Map(this.counts);
  }

  /** Heap in use (JS heap + off-heap buffers) minus the simulated S3's objects. */
  heapNow(): number {
    const h = v8.getHeapStatistics();
    return h.used_heap_size + h.external_memory - this.storeBytes;
  }

  probe(): void {
    const now = this.heapNow();
    if (now > this.peak) this.peak = now;
  }

  resetPeak(): void {
    this.peak = this.heapNow();
  }

  /**
   * Heap after a full GC: V8 frees typed arrays' backing stores (most of a detector's state) only after
   * the collection, on the next turn of the event loop, so wait for it before reading.
   */
  async settled(gc: () => void): Promise<number> {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    return this.heapNow();
  }
}

/** Counts that changed between two snapshots. */
export function countsSince(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>) {
  const out = new Map<string, number>();
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d !== 0) out.set(k, d);
  }
  return out;
}

/** Wrap one async call: probe the heap around it. */
async function probed<R>(t: Tally, call: () => Promise<R>): Promise<R> {
  t.probe();
  const out = await call();
  t.probe();
  return out;
}

/**
 * The points store. Writes are counted three ways: points, BatchWriteItem requests of today's
 * one-item-per-point adapter, and (series, 30-minute chunk) pairs touched — one UpdateItem each in the
 * chunked layout. Queries count the items they would read in both layouts.
 */
export class CountingMetricStore implements MetricStore {
  constructor(
    private readonly inner: MetricStore,
    private readonly t: Tally,
  ) {}

  async putPoints(points: readonly MetricPoint[]) {
    const unique = new Set<string>();
    const chunks = new Set<string>();
    for (const p of points) {
      if (!Number.isFinite(p.value) || !Number.isFinite(p.ts)) continue;
      unique.add(`${p.series}\u0000${p.ts}`);
      chunks.add(`${p.series}\u0000${Math.floor(p.ts / CHUNK_MS)}`);
    }
    this.t.add('points.putCalls');
    this.t.add('points.written', unique.size);
    this.t.add('points.batchWrite', Math.ceil(unique.size / BATCH_SIZE));
    this.t.add('points.chunkUpdate', chunks.size);
    return probed(this.t, () => this.inner.putPoints(points));
  }

  async queryRange(series: string, start: number, end: number, now: number) {
    const out = await probed(this.t, () => this.inner.queryRange(series, start, end, now));
    this.t.add('points.query');
    this.t.add('points.queryItems', out.length);
    this.t.add('points.queryChunks', new Set(out.map((p) => Math.floor(p.ts / CHUNK_MS))).size);
    return out;
  }
}

/** Anomalies: a conditional PutItem per anomaly, a Query per UTC day read, an UpdateItem per state. */
export class CountingAnomalyStore implements AnomalyStore {
  /** Items written, for their size. */
  readonly written: Anomaly[] = [];
  constructor(
    private readonly inner: AnomalyStore,
    private readonly t: Tally,
  ) {}

  async record(anomalies: readonly Anomaly[], now: number) {
    this.t.add('anomalies.put', anomalies.length);
    if (this.written.length < 50) this.written.push(...anomalies.slice(0, 50 - this.written.length));
    return probed(this.t, () => this.inner.record(anomalies, now));
  }
  async listRange(start: number, end: number, now: number) {
    this.t.add('anomalies.query', daysBetween(start, end).length);
    return probed(this.t, () => this.inner.listRange(start, end, now));
  }
  async listPending(start: number, end: number, now: number) {
    this.t.add('anomalies.query', daysBetween(start, end).length);
    return probed(this.t, () => this.inner.listPending(start, end, now));
  }
  async setAlertStates(updates: readonly AlertStateUpdate[], now: number) {
    this.t.add('anomalies.update', updates.length);
    return probed(this.t, () => this.inner.setAlertStates(updates, now));
  }
}

/** Watermarks: GetItem and UpdateItem on the control table. */
export class CountingControlStore implements ControlStore {
  constructor(
    private readonly inner: ControlStore,
    private readonly t: Tally,
  ) {}
  async getWatermark(job: string) {
    this.t.add('control.read');
    return probed(this.t, () => this.inner.getWatermark(job));
  }
  async advanceWatermark(job: string, ts: number) {
    this.t.add('control.write');
    return probed(this.t, () => this.inner.advanceWatermark(job, ts));
  }
}

/** Alert bookkeeping on the control table: Query per partition listed, one request per item touched. */
export class CountingAlertStore implements AlertStateStore {
  constructor(
    private readonly inner: AlertStateStore,
    private readonly t: Tally,
  ) {}
  private read<R>(call: () => Promise<R>) {
    this.t.add('control.read');
    return probed(this.t, call);
  }
  private write<R>(call: () => Promise<R>) {
    this.t.add('control.write');
    return probed(this.t, call);
  }
  listOpen() {
    return this.read(() => this.inner.listOpen());
  }
  putOpen(alert: StoredOpenAlert) {
    return this.write(() => this.inner.putOpen(alert));
  }
  touchOpen(dedupKey: string, lastSeenAt: number) {
    return this.write(() => this.inner.touchOpen(dedupKey, lastSeenAt));
  }
  deleteOpen(dedupKey: string) {
    return this.write(() => this.inner.deleteOpen(dedupKey));
  }
  getDigest(bucket: string) {
    return this.read(() => this.inner.getDigest(bucket));
  }
  setDigest(bucket: string, digest: Parameters<AlertStateStore['setDigest']>[1]) {
    return this.write(() => this.inner.setDigest(bucket, digest));
  }
  listWindows() {
    return this.read(() => this.inner.listWindows());
  }
  putWindow(window: Parameters<AlertStateStore['putWindow']>[0]) {
    return this.write(() => this.inner.putWindow(window));
  }
  deleteWindow(id: string) {
    return this.write(() => this.inner.deleteWindow(id));
  }
  getPublish(key: string) {
    return this.read(() => this.inner.getPublish(key));
  }
  putPublish(record: PublishRecord, expectedTries: number) {
    return this.write(() => this.inner.putPublish(record, expectedTries));
  }
  listResolved(from: number, to: number) {
    return this.read(() => this.inner.listResolved(from, to));
  }
}

/** The token bucket: a GetItem, and an UpdateItem when a token is granted. */
export class CountingRateLimiter implements RateLimiter {
  constructor(
    private readonly inner: RateLimiter,
    private readonly t: Tally,
  ) {}
  async take(bucket: string, now: number) {
    this.t.add('control.read');
    const out = await probed(this.t, () => this.inner.take(bucket, now));
    if (out.granted) this.t.add('control.write');
    return out;
  }
}

/** Feedback adjustments: a GetItem per metric (the detect handler's sensitivityReader caches them). */
export function countingThresholds(inner: Pick<ThresholdStore, 'get'>, t: Tally): ThresholdStore {
  return {
    get: async (metric: string, options?: { readonly consistent?: boolean }) => {
      t.add('control.read');
      return probed(t, () => inner.get(metric, options));
    },
  } as ThresholdStore; // detect reads nothing else of it
}

/** A shard's kept band (health tiles): one S3 GET per load, one PUT per save, and the bytes of the last saved. */
export class CountingRecentBandStore implements RecentBandStore {
  /** Size of the object last saved (gzip). */
  lastBytes = 0;

  constructor(
    readonly inner: MemoryRecentBandStore,
    private readonly t: Tally,
  ) {}

  async load(shard: Shard): Promise<RecentBands | undefined> {
    this.t.add('band.get');
    return probed(this.t, () => this.inner.load(shard));
  }

  async save(shard: Shard, bands: RecentBands): Promise<void> {
    this.t.add('band.put');
    await probed(this.t, () => this.inner.save(shard, bands));
    this.lastBytes = this.inner.objects.get(shardName(shard))?.length ?? 0;
  }
}

/** Checkpoints: one S3 GET per load, one PUT per save; the simulated bucket's bytes are tracked. */
export class CountingCheckpointStore implements CheckpointStore {
  /** Live objects by backing buffer, so shared template buffers are counted once. */
  private readonly refs = new Map<ArrayBufferLike, number>();
  /** Bytes of the objects saved, for their mean size. */
  savedBytes = 0;

  constructor(
    readonly inner: MemoryCheckpointStore,
    private readonly t: Tally,
  ) {}

  /** Put an object straight into the bucket (the warm-up's checkpoints), uncounted. */
  preload(series: string, body: Buffer): void {
    const old = this.inner.objects.get(series);
    this.inner.objects.set(series, body);
    this.account(old, body);
  }

  /** Move the bucket's byte count from the object replaced to the one stored. */
  private account(old: Buffer | undefined, body: Buffer): void {
    if (old) {
      const n = (this.refs.get(old.buffer) ?? 1) - 1;
      if (n <= 0) {
        this.refs.delete(old.buffer);
        this.t.storeBytes -= old.buffer.byteLength;
      } else this.refs.set(old.buffer, n);
    }
    const n = this.refs.get(body.buffer) ?? 0;
    if (n === 0) this.t.storeBytes += body.buffer.byteLength;
    this.refs.set(body.buffer, n + 1);
  }

  async load(series: string): Promise<DetectorSnapshot | undefined> {
    this.t.add('checkpoint.get');
    return probed(this.t, () => this.inner.load(series));
  }

  async save(series: string, snapshot: DetectorSnapshot): Promise<void> {
    this.t.add('checkpoint.put');
    const old = this.inner.objects.get(series);
    await probed(this.t, () => this.inner.save(series, snapshot));
    const body = this.inner.objects.get(series)!;
    this.account(old, body);
    this.savedBytes += body.length;
  }
}

/** What alerting published, with the clock time of each publish. */
export class RecordingPublisher implements AlertPublisher {
  readonly sent: (AlertMessage & { at: number })[] = [];
  constructor(
    private readonly clock: { now(): number },
    private readonly t: Tally,
  ) {}
  async publish(message: AlertMessage) {
    this.t.add('sns.publish');
    this.sent.push({ ...message, at: this.clock.now() });
    return { messageId: `m${this.sent.length}` };
  }
}

/** The dead-letter queue: one SQS SendMessage each. */
export function countingDeadLetter(t: Tally): DeadLetterSink {
  return {
    send: async () => {
      t.add('sqs.send');
    },
  };
}

/**
 * A log that counts the bytes Powertools would write to CloudWatch Logs at LOG_LEVEL INFO: each line's
 * JSON (level, message, timestamp, service, the Lambda context keys injectLambdaContext adds, then the
 * extra keys). Nothing is printed.
 */
export class CountingLog implements Log {
  bytes = 0;
  lines = 0;
  constructor(private readonly service: string) {}

  /** The JSON line Powertools writes for this message. */
  lineBytes(level: string, message: string, extra?: Record<string, unknown>): number {
    return (
      JSON.stringify({
        level,
        message,
        timestamp: '2026-11-16T00:05:10.123Z',
        service: this.service,
        cold_start: false,
        function_arn:
          'arn:aws:lambda:us-east-1:123456789012:function:DriftSentinel-DetectFunction-AbCdEfGhIjKl',
        function_memory_size: '256',
        function_name: 'DriftSentinel-DetectFunction-AbCdEfGhIjKl',
        function_request_id: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
        sampling_rate: 0,
        xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793',
        ...extra,
      }).length + 1
    );
  }

  private write(level: string, message: string, extra?: Record<string, unknown>): void {
    this.lines++;
    this.bytes += this.lineBytes(level, message, extra);
  }
  debug(): void {}
  info(message: string, extra?: Record<string, unknown>): void {
    this.write('INFO', message, extra);
  }
  warn(message: string, extra?: Record<string, unknown>): void {
    this.write('WARN', message, extra);
  }
  error(message: string, extra?: Record<string, unknown>): void {
    this.write('ERROR', message, extra);
  }
}

/** Requests (and consumed capacity) a real DynamoDB client sent, by table and operation. */
export interface DynamoTally {
  readonly requests: Map<string, number>;
  readonly capacity: Map<string, number>;
}

/**
 * Count every request the client sends (`<table>:<Operation>`) and ask for, and sum, the capacity each
 * consumed (ReturnConsumedCapacity TOTAL; dynalite computes it by DynamoDB's rules).
 */
export function countDynamoRequests(client: DynamoDBClient): DynamoTally {
  const tally: DynamoTally = { requests: new Map(), capacity: new Map() };
  const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      const table =
        typeof input.TableName === 'string'
          ? input.TableName
          : Object.keys((input.RequestItems as Record<string, unknown>) ?? {}).join('+') || '?';
      input.ReturnConsumedCapacity = 'TOTAL';
      add(tally.requests, `${table}:${operation}`, 1);
      const out = await next(args);
      const consumed = (out.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
      for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : [])
        add(
          tally.capacity,
          `${table}:${operation}`,
          Number((c as { CapacityUnits?: number }).CapacityUnits ?? 0),
        );
      return out;
    },
    { step: 'initialize', name: 'benchRequestCounter' },
  );
  return tally;
}
