// bench:scale's timeline of one shard on a simulated clock: the real collectMetrics (through the real
// CloudWatchMetricSource and a fake CloudWatch) at each 5-minute boundary, then the real runDetectCycle
// `detectDelayMs` later, with the shard's own DetectorCache and checkpoint store, measuring each cycle's
// wall time, CPU time, heap and requests. The shard starts warm (its detectors cloned from the fleet's
// warmed templates, their checkpoints in the store, watermarks where the run at T0 left them) and may end
// with a cold cycle: a new container, empty cache, every series restored from its checkpoint.
import { CloudWatchMetricSource } from '../shared/adapters/cloudwatch-metric-source';
import {
  MemoryAlertStore,
  MemoryAnomalyStore,
  MemoryCheckpointStore,
  MemoryControlStore,
  MemoryMetricStore,
  MemoryRateLimiter,
  MemoryRecentBandStore,
} from '../shared/adapters/memory-stores';
import { WarmRecentBandStore } from '../shared/adapters/warm-recent-band-store';
import { DetectorCache } from '../shared/domain/detectors/detector-cache';
import { initialThresholdState } from '../shared/domain/feedback';
import { type Shard, seriesOfShard, shardJobName } from '../shared/domain/shards';
import { bucketConfigOf } from '../shared/domain/token-bucket';
import type { MetricPoint } from '../shared/domain/types';
import type { MonitorConfig } from '../shared/monitor-config';
import type {
  AlertStateStore,
  ControlStore,
  DeadLetterSink,
  MetricStore,
  RateLimiter,
  ThresholdStore,
} from '../shared/ports';
import { COLLECT_JOB, collectMetrics } from '../shared/use-cases/collect-metrics';
import { sensitivityReader } from '../shared/use-cases/feedback';
import { noDataRules } from '../shared/use-cases/raise-no-data';
import { detectJobOf, runDetectCycle } from '../shared/use-cases/run-detect-cycle';
import {
  CountingAlertStore,
  CountingAnomalyStore,
  CountingCheckpointStore,
  CountingControlStore,
  CountingLog,
  CountingMetricStore,
  CountingRateLimiter,
  CountingRecentBandStore,
  countingDeadLetter,
  countingThresholds,
  countsSince,
  type DynamoTally,
  RecordingPublisher,
  type Tally,
} from './scale-counting';
import { type CloudWatchTally, type Fleet, fakeCloudWatch, MINUTE, T0, WARM_LAST_TS } from './scale-fleet';

/** A shard's stores (wrapped in the counting wrappers), and the uncounted handles setup writes through. */
export interface ShardStores {
  readonly points: MetricStore;
  readonly anomalies: CountingAnomalyStore;
  readonly control: ControlStore;
  readonly alerts: AlertStateStore;
  readonly limiter: RateLimiter;
  readonly thresholds: ThresholdStore;
  readonly checkpoints: CountingCheckpointStore;
  readonly recentBands: CountingRecentBandStore;
  readonly publisher: RecordingPublisher;
  readonly deadLetter: DeadLetterSink;
  /** Setup, uncounted: the points before the first cycle, and the watermarks the run at T0 left. */
  readonly setup: { readonly points: MetricStore; readonly control: ControlStore };
}

/** A shard's stores in memory (what the counts model), every call counted in `tally`. */
export function memoryStores(config: MonitorConfig, tally: Tally, clock: SimClock): ShardStores {
  const points = new MemoryMetricStore();
  const control = new MemoryControlStore();
  return {
    points: new CountingMetricStore(points, tally),
    anomalies: new CountingAnomalyStore(new MemoryAnomalyStore(), tally),
    control: new CountingControlStore(control, tally),
    alerts: new CountingAlertStore(new MemoryAlertStore(), tally),
    limiter: new CountingRateLimiter(new MemoryRateLimiter(bucketConfigOf(config.alerts.rateLimit)), tally),
    thresholds: countingThresholds({ get: async (metric) => initialThresholdState(metric) }, tally),
    checkpoints: new CountingCheckpointStore(new MemoryCheckpointStore(), tally),
    recentBands: new CountingRecentBandStore(new MemoryRecentBandStore(), tally),
    publisher: new RecordingPublisher(clock, tally),
    deadLetter: countingDeadLetter(tally),
    setup: { points, control },
  };
}

/** A clock the timeline moves. */
export class SimClock {
  private t = T0;
  now(): number {
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
}

/** One phase (collect or detect) of one cycle. */
export interface PhaseMeasure {
  readonly wallMs: number;
  readonly cpuSeconds: number;
  /** Requests by kind (see scale-counting.ts). */
  readonly requests: ReadonlyMap<string, number>;
  /** Requests a real DynamoDB client sent, and capacity consumed (only against dynalite). */
  readonly dynamoRequests?: ReadonlyMap<string, number>;
  readonly dynamoCapacity?: ReadonlyMap<string, number>;
  /** Bytes of log lines the use case wrote, plus the handler's summary line. */
  readonly logBytes: number;
  /** GetMetricData metrics requested and calls. */
  readonly metricsRequested: number;
  readonly getMetricDataCalls: number;
}

/** One cycle of one shard. */
export interface CycleMeasure {
  readonly index: number;
  readonly kind: 'warm' | 'cold';
  readonly now: number;
  readonly collect: PhaseMeasure & { readonly written: number };
  readonly detect: PhaseMeasure & {
    /**
     * Highest heap seen at a store call during the cycle (GC'd just before it), above the shard's heap
     * before its detectors were loaded: held state, the cycle's transients and its garbage.
     */
    readonly peakAboveBaseBytes: number;
    readonly saved: number;
    readonly restored: number;
    readonly pointsRead: number;
    readonly recorded: number;
    readonly incomplete: boolean;
    readonly messagesSent: number;
  };
}

/** What a timeline measured. */
export interface TimelineResult {
  readonly series: number;
  readonly cycles: readonly CycleMeasure[];
  /**
   * Heap the shard's detectors hold after its warm cycles: the heap (GC'd) just before the cold start
   * minus the heap just after the cache is dropped — the two readings adjacent, so nothing else moved.
   */
  readonly heldBytes?: number;
  /** Heap (GC'd) after the first warm cycle minus the heap before the detectors were loaded. */
  readonly heldAfterFirstWarmBytes?: number;
  /** The same after the cold cycle (its detectors restored from checkpoints). */
  readonly heldAfterColdBytes?: number;
  /** Mean stored checkpoint size (gzip) of the saves. */
  readonly checkpointBytes: number;
  /** Size of the shard's kept band object (gzip) after its last cycle. */
  readonly bandBytes: number;
}

/** Options of {@link runTimeline}. */
export interface TimelineOptions {
  readonly fleet: Fleet;
  readonly shard: Shard;
  readonly stores: ShardStores;
  readonly tally: Tally;
  readonly clock: SimClock;
  /** Warm cycles, then (when `cold`) one cold cycle. */
  readonly warmCycles: number;
  readonly cold: boolean;
  /** Detect runs this long after collect (chained: 10 s; the old cron wiring: 60 s). */
  readonly detectDelayMs: number;
  /** Force GC to measure held heap (`gc` from --expose-gc). */
  readonly gc?: () => void;
  readonly dynamo?: DynamoTally;
  /** Points stored before the first cycle (the stretch the next cycles re-read). @default 30 min */
  readonly prefillMinutes?: number;
}

/** Run one shard's timeline. */
export async function runTimeline(o: TimelineOptions): Promise<TimelineResult> {
  const { fleet, shard, stores, tally, clock } = o;
  const config = fleet.config;
  const groupBy = config.alerts.groupBy;
  const series = seriesOfShard(fleet.specs, shard, groupBy);
  const indices = series.map((s) => fleet.indexOf.get(s.id)!);
  const collectJob = shardJobName(COLLECT_JOB, shard);

  // The state the run at T0 left: points collected up to T0 − settle, both watermarks, checkpoints.
  const settled = T0 - config.collection.settleMinutes * MINUTE;
  const prefillFrom = T0 - (o.prefillMinutes ?? 30) * MINUTE;
  const prefill: MetricPoint[] = [];
  for (const i of indices) prefill.push(...fleet.points(i, prefillFrom, settled));
  for (let k = 0; k < prefill.length; k += 5000)
    await stores.setup.points.putPoints(prefill.slice(k, k + 5000));
  await stores.setup.control.advanceWatermark(collectJob, settled);
  await stores.setup.control.advanceWatermark(detectJobOf(shard), T0 + o.detectDelayMs);
  for (const i of indices) stores.checkpoints.preload(fleet.specs[i]!.id, fleet.templateOf(i).encoded);

  // What the fake CloudWatch served, for each cycle's requests.
  const served: CloudWatchTally = { calls: 0, metricsRequested: 0, datapoints: 0 };
  const cloudwatch = fakeCloudWatch(fleet, clock, served);
  const source = new CloudWatchMetricSource({ client: cloudwatch });
  const rules = noDataRules(config);

  const before = o.gc ? await tally.settled(o.gc) : tally.heapNow();
  // A warm container: each series' detector as the previous run kept it, its checkpoint saved then.
  let cache = new DetectorCache();
  for (const i of indices) {
    const id = fleet.specs[i]!.id;
    cache.put(id, 1, fleet.templateOf(i).detector.clone());
    cache.markSaved(id, WARM_LAST_TS);
  }
  let sensitivityOf = sensitivityReader(stores.thresholds);
  let keptBands = new WarmRecentBandStore(stores.recentBands);

  const cycles: CycleMeasure[] = [];
  let heldBytes: number | undefined;
  let heldAfterFirstWarmBytes: number | undefined;
  let heldAfterColdBytes: number | undefined;
  const total = o.warmCycles + (o.cold ? 1 : 0);
  for (let k = 1; k <= total; k++) {
    const kind = o.cold && k === total ? 'cold' : 'warm';
    const at = T0 + k * 5 * MINUTE;
    let base = before;
    if (kind === 'cold') {
      const withCache = o.gc ? await tally.settled(o.gc) : 0;
      // A new container: nothing cached, feedback re-read; its detectors come from the checkpoints.
      cache = new DetectorCache();
      sensitivityOf = sensitivityReader(stores.thresholds);
      keptBands = new WarmRecentBandStore(stores.recentBands);
      if (o.gc) {
        base = await tally.settled(o.gc);
        heldBytes = withCache - base;
      }
    } else if (o.gc) {
      // Only live data at the start, so the cycle's peak is its own state, transients and garbage.
      await tally.settled(o.gc);
    }

    clock.set(at);
    const collect = await phase(o, served, 'collect', async (log) => {
      const r = await collectMetrics(
        {
          source,
          store: stores.points,
          control: stores.control,
          clock,
          log,
          series,
          collection: config.collection,
          job: collectJob,
        },
        { now: at },
      );
      log.info('Collect finished', {
        status: 'ok',
        shard: collectJob,
        ...r,
        warnings: r.warnings.slice(0, 20),
      });
      return r;
    });

    clock.set(at + o.detectDelayMs);
    tally.resetPeak();
    const sentBefore = stores.publisher.sent.length;
    const detect = await phase(o, served, 'detect', async (log) => {
      const c = await runDetectCycle(
        {
          points: stores.points,
          anomalies: stores.anomalies,
          control: stores.control,
          alerts: stores.alerts,
          limiter: stores.limiter,
          publisher: stores.publisher,
          deadLetter: stores.deadLetter,
          clock,
          log,
          config,
          series: fleet.specs,
          noDataRules: rules,
          sensitivityOf,
          detectorCache: cache,
          checkpoints: stores.checkpoints,
          // As the detect handler wires it: read once per container, then its own last merge.
          recentBands: keptBands,
          backfill: source,
        },
        { now: at + o.detectDelayMs, shard },
      );
      // The handler's summary line (functions/detect.ts logs exactly these fields).
      const { recorded, coverage, band, ...result } = c.detect;
      void coverage;
      void band;
      log.info('Detect cycle finished', {
        shard: c.shard,
        ...result,
        recordedCount: recorded.length,
        alerts: c.alerts,
      });
      return c;
    });
    const peak = tally.peak;
    cycles.push({
      index: k,
      kind,
      now: at + o.detectDelayMs,
      collect: { ...collect.measure, written: collect.value.written },
      detect: {
        ...detect.measure,
        peakAboveBaseBytes: peak - base,
        saved: detect.value.detect.checkpointsSaved,
        restored: detect.value.detect.checkpointsRestored,
        pointsRead: detect.value.detect.pointsRead,
        recorded: detect.value.detect.recorded.length,
        incomplete: !detect.value.complete,
        messagesSent: stores.publisher.sent.length - sentBefore,
      },
    });
    if (o.gc && k === 1) heldAfterFirstWarmBytes = (await tally.settled(o.gc)) - before;
    if (o.gc && kind === 'cold') heldAfterColdBytes = (await tally.settled(o.gc)) - base;
  }
  const saves = stores.checkpoints;
  const saved = cycles.reduce((n, c) => n + c.detect.saved, 0);
  return {
    series: series.length,
    cycles,
    ...(heldBytes !== undefined ? { heldBytes } : {}),
    ...(heldAfterFirstWarmBytes !== undefined ? { heldAfterFirstWarmBytes } : {}),
    ...(heldAfterColdBytes !== undefined ? { heldAfterColdBytes } : {}),
    checkpointBytes: saved > 0 ? saves.savedBytes / saved : Number.NaN,
    bandBytes: stores.recentBands.lastBytes,
  };
}

/** Run one phase, measuring wall, CPU, requests and log bytes. */
async function phase<R>(
  o: TimelineOptions,
  served: CloudWatchTally,
  service: string,
  run: (log: CountingLog) => Promise<R>,
): Promise<{ value: R; measure: PhaseMeasure }> {
  const log = new CountingLog(service);
  const counts = o.tally.snapshot();
  const dynamoRequests = o.dynamo ? new Map(o.dynamo.requests) : undefined;
  const dynamoCapacity = o.dynamo ? new Map(o.dynamo.capacity) : undefined;
  const metrics = served.metricsRequested;
  const calls = served.calls;
  const wall = performance.now();
  const cpu = process.cpuUsage();
  const value = await run(log);
  const used = process.cpuUsage(cpu);
  const wallMs = performance.now() - wall;
  return {
    value,
    measure: {
      wallMs,
      cpuSeconds: (used.user + used.system) / 1e6,
      requests: countsSince(counts, o.tally.counts),
      ...(o.dynamo && dynamoRequests && dynamoCapacity
        ? {
            dynamoRequests: countsSince(dynamoRequests, o.dynamo.requests),
            dynamoCapacity: countsSince(dynamoCapacity, o.dynamo.capacity),
          }
        : {}),
      logBytes: log.bytes,
      metricsRequested: served.metricsRequested - metrics,
      getMetricDataCalls: served.calls - calls,
    },
  };
}
