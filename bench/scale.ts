// Scale benchmark (issue 14): N synthetic 1-minute series with daily + weekly seasonality, planned into
// detect shards, each shard driven through the real collect and detect cycle on a simulated 5-minute
// clock (warm cycles, then a cold one restoring every series from its checkpoint), measuring per shard
// wall time, CPU, heap and the requests each cycle makes; a slice against dynalite to check the request
// counts and measure the SDK's CPU; the Lambda time and monthly cost per metric projected from those; and
// the latency from a datapoint to its page, chained detect against the old cron wiring.
//   npm run bench:scale [-- --series 10000 --json out.json --shards N --memory-mb M --timeout-s 120
//                          --cycles 12 --collect-memory-mb M --slice 200 --latency-repeats 4]
// Memory defaults to the stack's plan (shared/domain/series-cost.ts planDetect).
// Models and assumptions are stated in bench/scale-cost.ts (I/O, item sizes, logs), shared/domain/
// cost-model.ts (Lambda time, Step Functions, the monthly cost formula the dashboard's estimate uses too)
// and shared/domain/prices.ts (prices, with sources); docs/benchmarks.md ("Scale and cost") has the results.

import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Anomaly } from '../shared/domain/anomaly';
import {
  cyclesPerMonth,
  lambdaSeconds,
  projectCost,
  totalUsd,
  transitionsPerCycle,
} from '../shared/domain/cost-model';
import { medianOf } from '../shared/domain/detectors/sorted-window';
import { detectShardBudget, planDetect } from '../shared/domain/series-cost';
import {
  MAX_SHARDS,
  planShards,
  type Shard,
  seriesOfShard,
  seriesPerShard,
  shardName,
  shardsOf,
  WHOLE_FLEET,
} from '../shared/domain/shards';
import { measureBaseMemory } from './scale-base';
import { dynamoItemBytes, dynamoRequestsOf, ioSeconds, PLATFORM_LOG_BYTES } from './scale-cost';
import { CHUNK_MS, Tally } from './scale-counting';
import { startSlice } from './scale-dynamo';
import { createFleet, MINUTE, T0 } from './scale-fleet';
import { measureLatency } from './scale-latency';
import { type CycleMeasure, memoryStores, runTimeline, SimClock, type TimelineResult } from './scale-run';
import { markdownTable } from './table';

const { values } = parseArgs({
  options: {
    series: { type: 'string', default: '1000' },
    shards: { type: 'string' },
    /** Detect memory; default: the stack's plan, the smallest size at which the fleet fits. */
    'memory-mb': { type: 'string' },
    'timeout-s': { type: 'string', default: '120' },
    /** Collect memory; default: detect's, as the stack sizes it. */
    'collect-memory-mb': { type: 'string' },
    /** Warm cycles per shard before its cold one (12 = an hour: every staggered save comes due once). */
    cycles: { type: 'string', default: '12' },
    /** Measure only the first K shards in full (the rest are scaled by their series). */
    'measure-shards': { type: 'string' },
    /** Series in the dynalite slice (0 = skip it). */
    slice: { type: 'string', default: '200' },
    /** Incidents per minute offset in the latency run (0 = skip it). */
    'latency-repeats': { type: 'string', default: '4' },
    /** One cycle in this many is a cold start of every shard (cost projection). */
    'cold-every': { type: 'string', default: '24' },
    seed: { type: 'string', default: '42' },
    json: { type: 'string' },
  },
});
const N = Number(values.series);
/** Set once the shard plan is known (main). */
let MEMORY_MB = values['memory-mb'] ? Number(values['memory-mb']) : 0;
const TIMEOUT_S = Number(values['timeout-s']);
let COLLECT_MB = values['collect-memory-mb'] ? Number(values['collect-memory-mb']) : 0;
const CYCLES = Number(values.cycles);
const SLICE = Number(values.slice);
const REPEATS = Number(values['latency-repeats']);
const COLD_EVERY = Number(values['cold-every']);
const SEED = Number(values.seed);
const DETECT_DELAY_MS = 10_000;

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const median = medianOf;
const sumMaps = (maps: readonly ReadonlyMap<string, number>[]) => {
  const out = new Map<string, number>();
  for (const m of maps) for (const [k, v] of m) out.set(k, (out.get(k) ?? 0) + v);
  return out;
};
const scaleMap = (m: ReadonlyMap<string, number>, f: number) => new Map([...m].map(([k, v]) => [k, v * f]));
const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;
const sec = (s: number) => `${s.toFixed(s < 10 ? 2 : 1)} s`;
const ms = (s: number) => `${(s * 1000).toFixed(2)} ms`;
const usd = (x: number) =>
  x === 0 ? '$0' : x < 0.0001 ? `$${x.toExponential(2)}` : `$${x.toFixed(x < 0.01 ? 5 : 4)}`;
const num = (x: number, d = 3) =>
  Number.isInteger(x) || Math.abs(x) >= 100
    ? x.toLocaleString('en-US', { maximumFractionDigits: 1 })
    : Math.abs(x) >= 1
      ? x.toFixed(2)
      : x.toFixed(d);
const minSec = (msv: number) =>
  `${Math.floor(msv / 60_000)}:${String(Math.round((msv % 60_000) / 1000)).padStart(2, '0')}`;

/** SDK CPU per DynamoDB request (s), measured on the slice (applied to S3 requests too); 0 without it. */
interface SdkCpu {
  readonly collect: number;
  readonly detect: number;
}

/** One shard's figures. */
interface ShardSummary {
  readonly shard: string;
  readonly series: number;
  readonly heldPerSeries: number;
  readonly heldAfterFirstWarmPerSeries: number;
  readonly heldAfterColdPerSeries: number;
  readonly peakPerSeries: number;
  readonly warm: { wallMs: number; cpuSeconds: number; lambdaSeconds: number; saved: number };
  readonly saves: { cpuSeconds: number; lambdaSeconds: number; saved: number };
  readonly cold: { wallMs: number; cpuSeconds: number; lambdaSeconds: number; restored: number };
  readonly collect: { cpuSeconds: number; lambdaSeconds: number; coldLambdaSeconds: number };
  /** The loaded bundle's RSS plus the shard's detectors held, and plus its peak in a cycle. */
  readonly heldMemoryBytes: number;
  readonly projectedMemoryBytes: number;
  /** `yes` when the peak fits half the memory, `held` when only the held state does. */
  readonly underMemory: 'yes' | 'held' | 'NO';
  readonly underTimeout: boolean;
  /** Sums over the warm cycles, and the cold cycle's counts. */
  readonly warmRequests: ReadonlyMap<string, number>;
  readonly coldRequests: ReadonlyMap<string, number>;
  /** The cold cycle's detect requests alone. */
  readonly coldDetectRequests: ReadonlyMap<string, number>;
  readonly warmCycles: number;
  readonly warmLogBytes: number;
  readonly metricsRequestedPerCycle: number;
  readonly getMetricDataCallsPerCycle: number;
  readonly checkpointBytes: number;
  readonly bandBytes: number;
  readonly incomplete: number;
}

/**
 * AWS requests whose SDK CPU the memory stores do not spend: DynamoDB (measured per request on the
 * slice) and the checkpoints' S3 GETs and PUTs (assumed to cost as much as a DynamoDB request).
 */
function sdkRequests(requests: ReadonlyMap<string, number>): number {
  return (
    dynamoRequestsOf(requests) + (requests.get('checkpoint.get') ?? 0) + (requests.get('checkpoint.put') ?? 0)
  );
}
function detectLambda(c: CycleMeasure, sdk: SdkCpu): number {
  const cpu = c.detect.cpuSeconds + sdkRequests(c.detect.requests) * sdk.detect;
  return lambdaSeconds(cpu, MEMORY_MB, ioSeconds(c.detect.requests, c.detect.getMetricDataCalls));
}
function collectLambda(c: CycleMeasure, sdk: SdkCpu): number {
  const cpu = c.collect.cpuSeconds + sdkRequests(c.collect.requests) * sdk.collect;
  return lambdaSeconds(cpu, COLLECT_MB, ioSeconds(c.collect.requests, c.collect.getMetricDataCalls));
}

function summarise(shard: Shard, r: TimelineResult, baseRss: number, sdk: SdkCpu): ShardSummary {
  const warm = r.cycles.filter((c) => c.kind === 'warm');
  const cold = r.cycles.find((c) => c.kind === 'cold')!;
  const busiest = [...warm].sort((a, b) => b.detect.saved - a.detect.saved)[0]!;
  const peak = Math.max(...r.cycles.map((c) => c.detect.peakAboveBaseBytes));
  const projected = baseRss + peak;
  const held = baseRss + Math.max(r.heldBytes ?? 0, r.heldAfterColdBytes ?? 0);
  const half = 0.5 * MEMORY_MB * 1048576;
  const coldLambda = detectLambda(cold, sdk);
  return {
    shard: shardName(shard),
    series: r.series,
    heldPerSeries: (r.heldBytes ?? Number.NaN) / r.series,
    heldAfterFirstWarmPerSeries: (r.heldAfterFirstWarmBytes ?? Number.NaN) / r.series,
    heldAfterColdPerSeries: (r.heldAfterColdBytes ?? Number.NaN) / r.series,
    peakPerSeries: peak / r.series,
    warm: {
      wallMs: median(warm.map((c) => c.detect.wallMs)),
      cpuSeconds: median(warm.map((c) => c.detect.cpuSeconds)),
      lambdaSeconds: median(warm.map((c) => detectLambda(c, sdk))),
      saved: median(warm.map((c) => c.detect.saved)),
    },
    saves: {
      cpuSeconds: busiest.detect.cpuSeconds,
      lambdaSeconds: detectLambda(busiest, sdk),
      saved: busiest.detect.saved,
    },
    cold: {
      wallMs: cold.detect.wallMs,
      cpuSeconds: cold.detect.cpuSeconds,
      lambdaSeconds: coldLambda,
      restored: cold.detect.restored,
    },
    collect: {
      cpuSeconds: median(warm.map((c) => c.collect.cpuSeconds)),
      lambdaSeconds: median(warm.map((c) => collectLambda(c, sdk))),
      coldLambdaSeconds: collectLambda(cold, sdk),
    },
    heldMemoryBytes: held,
    projectedMemoryBytes: projected,
    underMemory: projected <= half ? 'yes' : held <= half ? 'held' : 'NO',
    underTimeout: Math.max(coldLambda, detectLambda(busiest, sdk)) <= 0.5 * TIMEOUT_S,
    warmRequests: sumMaps(warm.map((c) => sumMaps([c.collect.requests, c.detect.requests]))),
    coldRequests: sumMaps([cold.collect.requests, cold.detect.requests]),
    coldDetectRequests: cold.detect.requests,
    warmCycles: warm.length,
    warmLogBytes: warm.reduce((n, c) => n + c.collect.logBytes + c.detect.logBytes, 0) / warm.length,
    metricsRequestedPerCycle:
      warm.reduce((n, c) => n + c.collect.metricsRequested + c.detect.metricsRequested, 0) / warm.length,
    getMetricDataCallsPerCycle: warm.reduce((n, c) => n + c.collect.getMetricDataCalls, 0) / warm.length,
    checkpointBytes: r.checkpointBytes,
    bandBytes: r.bandBytes,
    incomplete: r.cycles.filter((c) => c.detect.incomplete).length,
  };
}

/** The dynalite slice: the same timeline in memory and against dynalite. */
async function runSlice(seriesCount: number, cycles: number) {
  // Two incidents (hosts 0 and 2, CPU × 2.5 from minutes 12 and 17) so anomaly writes, alert state, the
  // token bucket and the publish records are exercised and checked too, not only the points.
  const fleet = createFleet({
    series: seriesCount,
    seed: SEED + 1,
    spanMinutes: (cycles + 3) * 5 + 10,
    incidents: [
      { series: 0, startMinute: 12, minutes: 20, factor: 2.5 },
      { series: 8, startMinute: 17, minutes: 20, factor: 2.5 },
    ],
  });
  const run = async (dynamo: boolean, warmCycles = cycles) => {
    const tally = new Tally();
    const clock = new SimClock();
    const slice = dynamo ? await startSlice(fleet.config, tally, clock) : undefined;
    try {
      const stores = slice ? slice.stores : memoryStores(fleet.config, tally, clock);
      const r = await runTimeline({
        fleet,
        shard: WHOLE_FLEET,
        stores,
        tally,
        clock,
        warmCycles,
        cold: true,
        detectDelayMs: DETECT_DELAY_MS,
        ...(slice ? { dynamo: slice.dynamo } : {}),
      });
      return { r, written: stores.anomalies.written };
    } finally {
      await slice?.close();
    }
  };
  // A short unmeasured pass of each first, so the measured ones run JIT-warm code (the SDK's too).
  await run(false, 1);
  await run(true, 1);
  const memory = await run(false);
  const dynamo = await run(true);
  const total = (r: TimelineResult, f: (c: CycleMeasure) => number) => r.cycles.reduce((n, c) => n + f(c), 0);
  const cpu = (r: TimelineResult, phase: 'collect' | 'detect') => total(r, (c) => c[phase].cpuSeconds);
  const requests = (r: TimelineResult, phase: 'collect' | 'detect') =>
    total(r, (c) =>
      [...(c[phase].dynamoRequests ?? new Map<string, number>()).values()].reduce((a, b) => a + b, 0),
    );
  const sdk: SdkCpu = {
    collect: Math.max(
      0,
      (cpu(dynamo.r, 'collect') - cpu(memory.r, 'collect')) / requests(dynamo.r, 'collect'),
    ),
    detect: Math.max(0, (cpu(dynamo.r, 'detect') - cpu(memory.r, 'detect')) / requests(dynamo.r, 'detect')),
  };
  const modelled = sumMaps(dynamo.r.cycles.flatMap((c) => [c.collect.requests, c.detect.requests]));
  const measured = sumMaps(
    dynamo.r.cycles.flatMap((c) => [c.collect.dynamoRequests!, c.detect.dynamoRequests!]),
  );
  const capacity = sumMaps(
    dynamo.r.cycles.flatMap((c) => [c.collect.dynamoCapacity!, c.detect.dynamoCapacity!]),
  );
  return {
    series: seriesCount,
    cycles: dynamo.r.cycles.length,
    memory: memory.r,
    dynamo: dynamo.r,
    sdk,
    modelled,
    measured,
    capacity,
    written: dynamo.written,
  };
}

/** Distinct EMF metric names the collect and detect handlers publish (read from their source). */
function handlerMetrics(): { detect: string[]; collect: string[] } {
  const names = (file: string) => [
    ...new Set([...readFileSync(file, 'utf8').matchAll(/addMetric\('([A-Za-z]+)'/g)].map((m) => m[1]!)),
  ];
  return { detect: names('functions/detect.ts'), collect: names('functions/collect.ts') };
}

/** Bytes of one EMF blob of these metrics, as Powertools serialises it. */
function emfBytes(service: string, names: readonly string[]): number {
  const m = new Metrics({ namespace: 'DriftSentinel', serviceName: service, defaultDimensions: {} });
  for (const n of names) m.addMetric(n, MetricUnit.Count, 1);
  return JSON.stringify(m.serializeMetrics()).length + 1;
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadAtStart = loadavg();
  const fleet = createFleet({ series: N, seed: SEED, spanMinutes: (CYCLES + 3) * 5 + 10 });
  const groupBy = fleet.config.alerts.groupBy;
  // The stack's own plan (the smallest memory size that fits), or the one at --memory-mb.
  const planned = MEMORY_MB
    ? { ...planShards(fleet.specs, groupBy, detectShardBudget(MEMORY_MB, TIMEOUT_S, N)), memoryMb: MEMORY_MB }
    : planDetect(fleet.specs, groupBy, TIMEOUT_S);
  MEMORY_MB = planned.memoryMb;
  COLLECT_MB ||= MEMORY_MB;
  const count = values.shards ? Number(values.shards) : planned.count;
  const shards = shardsOf(count);
  const sizes = shards.map((s) => seriesOfShard(fleet.specs, s, groupBy).length);
  const measured = Math.min(count, values['measure-shards'] ? Number(values['measure-shards']) : count);

  const warmStarted = performance.now();
  for (let i = 0; i < fleet.specs.length; i++) fleet.templateOf(i);
  const warmSeconds = (performance.now() - warmStarted) / 1000;
  console.error(
    `fleet: ${N} series, ${fleet.templates} templates warmed on 15 days in ${warmSeconds.toFixed(1)} s; ${count} shards`,
  );

  const base = await measureBaseMemory(fleet.config);
  // The same bundle with a one-series config: what the fleet's own config adds to every shard.
  const bare = await measureBaseMemory(createFleet({ series: 1, seed: SEED, spanMinutes: 1 }).config);
  console.error(
    `base: heap ${mb(base.heapUsedBytes)}, RSS ${mb(base.rssBytes)} (one-series config: RSS ${mb(bare.rssBytes)})`,
  );

  const timelines: { shard: Shard; r: TimelineResult }[] = [];
  const anomalySamples: Anomaly[] = [];
  for (const shard of shards.slice(0, measured)) {
    const tally = new Tally();
    const clock = new SimClock();
    const stores = memoryStores(fleet.config, tally, clock);
    const r = await runTimeline({
      fleet,
      shard,
      stores,
      tally,
      clock,
      warmCycles: CYCLES,
      cold: true,
      detectDelayMs: DETECT_DELAY_MS,
      gc,
    });
    anomalySamples.push(...stores.anomalies.written.slice(0, 5));
    timelines.push({ shard, r });
    const cold = r.cycles.at(-1)!.detect;
    console.error(
      `shard ${shardName(shard)}: ${r.series} series, cold ${sec(cold.cpuSeconds)} CPU, held ${kib((r.heldBytes ?? 0) / r.series)}/series`,
    );
  }

  // After the shards, so nothing the slice loaded (the SDK's code) is freed while a shard's heap is read.
  const slice = SLICE > 0 ? await runSlice(SLICE, Math.min(CYCLES, 6)) : undefined;
  const sdk: SdkCpu = slice?.sdk ?? { collect: 0, detect: 0 };
  if (slice)
    console.error(
      `slice: SDK CPU ${ms(sdk.detect)} (detect) / ${ms(sdk.collect)} (collect) per DynamoDB request`,
    );
  anomalySamples.push(...(slice?.written ?? []));
  const summaries = timelines.map(({ shard, r }) => summarise(shard, r, base.rssBytes, sdk));

  const latency =
    REPEATS > 0
      ? [
          await measureLatency({
            seed: SEED,
            repeats: REPEATS,
            detectDelayMs: DETECT_DELAY_MS,
            wiring: 'chained (detect right after collect, +10 s)',
          }),
          await measureLatency({
            seed: SEED,
            repeats: REPEATS,
            detectDelayMs: 60_000,
            wiring: 'old cron (detect at +1 min)',
          }),
        ]
      : [];

  // ---- Fleet-wide figures (unmeasured shards scaled by their series) ----
  const measuredSeries = summaries.reduce((n, s) => n + s.series, 0);
  const toFleet = N / measuredSeries;
  const warmPerCycle = scaleMap(
    sumMaps(summaries.map((s) => scaleMap(s.warmRequests, 1 / s.warmCycles))),
    toFleet,
  );
  const coldPerCycle = scaleMap(sumMaps(summaries.map((s) => s.coldRequests)), toFleet);
  const perSeries = (m: ReadonlyMap<string, number>, k: string) => (m.get(k) ?? 0) / N;
  const metricsPerCycle = summaries.reduce((n, s) => n + s.metricsRequestedPerCycle, 0) * toFleet;
  const gbs = (detectS: number, collectS: number) => (detectS * MEMORY_MB + collectS * COLLECT_MB) / 1024;
  const gbSecondsWarm =
    summaries.reduce((n, s) => n + gbs(s.warm.lambdaSeconds, s.collect.lambdaSeconds), 0) * toFleet;
  const gbSecondsCold =
    summaries.reduce((n, s) => n + gbs(s.cold.lambdaSeconds, s.collect.coldLambdaSeconds), 0) * toFleet;
  const metricNames = handlerMetrics();
  const emf = emfBytes('detect', metricNames.detect) + emfBytes('collect', metricNames.collect);
  const logBytesPerCycle =
    summaries.reduce((n, s) => n + s.warmLogBytes, 0) * toFleet + count * (2 * PLATFORM_LOG_BYTES + emf);
  const customMetrics = metricNames.detect.length + metricNames.collect.length + 2; // + ColdStart of each
  const checkpointBytes = median(summaries.map((s) => s.checkpointBytes).filter(Number.isFinite));

  const spec = fleet.specs[0]!;
  const chunkStart = Math.floor(T0 / CHUNK_MS) * CHUNK_MS;
  const chunk: Record<string, number> = {};
  for (let i = 0; i < 30; i++) chunk[String(i)] = fleet.valueAt(0, chunkStart + i * MINUTE - CHUNK_MS);
  const ttl = Math.floor(T0 / 1000) + fleet.config.retentionDays * 86_400;
  const chunkItemBytes = dynamoItemBytes({ series: spec.id, ts: chunkStart, p: chunk, expiresAt: ttl });
  const pointItemBytes = dynamoItemBytes({
    series: spec.id,
    ts: T0,
    v: fleet.valueAt(0, T0 - MINUTE),
    expiresAt: ttl,
  });
  const sample = anomalySamples[0];
  const anomalyItemBytes = sample
    ? dynamoItemBytes({
        ...sample,
        day: '2026-11-16',
        sk: `${String(sample.ts).padStart(15, '0')}#${sample.series}`,
        alertState: 'pending',
        expiresAt: ttl,
      })
    : 1024;
  const q = (k: string) => warmPerCycle.get(k) ?? 0;
  const cost = projectCost({
    series: N,
    shards: count,
    warmRequests: warmPerCycle,
    coldCheckpointGets: coldPerCycle.get('checkpoint.get') ?? 0,
    coldEvery: COLD_EVERY,
    metricsRequestedPerCycle: metricsPerCycle,
    gbSecondsWarm,
    gbSecondsCold,
    logBytesPerCycle,
    customMetrics,
    checkpointBytes,
    retentionDays: fleet.config.retentionDays,
    chunkItemBytes,
    pointItemBytes,
    anomalyItemBytes,
    chunksPerQuery: q('points.queryChunks') / q('points.query'),
    pointsPerQuery: q('points.queryItems') / q('points.query'),
  });
  const total = totalUsd;
  const costPerMetricMonthUsd = total(cost.lines);
  const pointsLines = new Set(['DynamoDB points writes (chunk UpdateItem)', 'DynamoDB points reads (Query)']);
  const perPointTotal =
    costPerMetricMonthUsd -
    cost.lines
      .filter((l) => pointsLines.has(l.item) || l.item.startsWith('DynamoDB storage'))
      .reduce((n, l) => n + l.usd, 0) +
    total(cost.perPointLines);

  // ---- Per-series figures ----
  const heldPerSeries = Math.max(...summaries.map((s) => s.heldPerSeries));
  const heldAfterCold = Math.max(...summaries.map((s) => s.heldAfterColdPerSeries));
  const heldAfterFirstWarm = Math.max(...summaries.map((s) => s.heldAfterFirstWarmPerSeries));
  const peakPerSeries = Math.max(...summaries.map((s) => s.peakPerSeries));
  const coldCpuPerSeries = Math.max(...summaries.map((s) => s.cold.cpuSeconds / s.series));
  const coldCpuPerSeriesSdk = Math.max(
    ...summaries.map((s) => (s.cold.cpuSeconds + sdkRequests(s.coldDetectRequests) * sdk.detect) / s.series),
  );
  const warmCpuPerSeries = median(summaries.map((s) => s.warm.cpuSeconds / s.series));
  const shardSeconds = summaries.map((s) => Math.max(s.cold.lambdaSeconds, s.saves.lambdaSeconds));
  const collectSeconds = summaries.map((s) => s.collect.lambdaSeconds);
  const warmDetectSeconds = summaries.map((s) => s.warm.lambdaSeconds);
  /** What planShards makes of the measured figures with this heap per series. */
  const planWith = (heapBytesPerSeries: number): string => {
    const measuredBudget = {
      memoryMb: MEMORY_MB,
      timeoutSeconds: TIMEOUT_S,
      baseMb: base.rssBytes / 1048576,
      heapBytesPerSeries,
      cpuSecondsPerSeriesCold: coldCpuPerSeriesSdk,
    };
    const capacity = seriesPerShard(measuredBudget);
    try {
      return `${planShards(fleet.specs, groupBy, measuredBudget).count} shards (capacity ${capacity})`;
    } catch {
      return `capacity ${capacity}/shard: more than ${MAX_SHARDS} shards`;
    }
  };

  const requestsPerSeriesPerCycle = {
    getMetricDataMetrics: metricsPerCycle / N,
    pointsQuery: perSeries(warmPerCycle, 'points.query'),
    pointsChunkUpdates: perSeries(warmPerCycle, 'points.chunkUpdate'),
    pointsWritten: perSeries(warmPerCycle, 'points.written'),
    pointsBatchWriteRequests: perSeries(warmPerCycle, 'points.batchWrite'),
    anomalyPuts: perSeries(warmPerCycle, 'anomalies.put'),
    anomalyQueries: perSeries(warmPerCycle, 'anomalies.query'),
    anomalyUpdates: perSeries(warmPerCycle, 'anomalies.update'),
    checkpointPuts: perSeries(warmPerCycle, 'checkpoint.put'),
    checkpointGetsCold: perSeries(coldPerCycle, 'checkpoint.get'),
    controlReads: perSeries(warmPerCycle, 'control.read'),
    controlWrites: perSeries(warmPerCycle, 'control.write'),
    snsPublishes: perSeries(warmPerCycle, 'sns.publish'),
  };

  // ---- Tables ----
  const out: string[] = [];
  const print = (s = '') => out.push(s);
  const table = (header: string[], rows: string[][]) => {
    for (const l of markdownTable(header, rows)) print(l);
  };
  print(
    `\nScale benchmark: ${N.toLocaleString()} one-minute series (4 metrics × ${Math.ceil(N / 4).toLocaleString()} hosts, daily + weekly seasonality on), seed ${SEED}`,
  );
  print(
    `detect ${MEMORY_MB} MB / ${TIMEOUT_S} s, collect ${COLLECT_MB} MB; ${CYCLES} warm cycles + 1 cold per shard; ` +
      `${measured} of ${count} shards measured${measured < count ? ' (the rest scaled by series)' : ''}; ` +
      `load average at start ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores\n`,
  );
  table(
    ['plan', 'value'],
    [
      [
        'shards (planShards with series-cost.ts figures)',
        `${planned.count} (capacity ${planned.capacity}, largest ${planned.largest})`,
      ],
      [
        'shards run',
        `${count}: ${Math.min(...sizes)}–${Math.max(...sizes)} series (median ${median(sizes)})`,
      ],
      [
        "detect bundle loaded, no series (this fleet's config baked in)",
        `heap ${mb(base.heapUsedBytes)}, RSS ${mb(base.rssBytes)}, bundle ${mb(base.bundleBytes)}`,
      ],
      [
        '… the same bundle with a one-series config',
        `heap ${mb(bare.heapUsedBytes)}, RSS ${mb(bare.rssBytes)}, bundle ${mb(bare.bundleBytes)}`,
      ],
      [
        'planShards with the measured figures (base = loaded RSS), heap/series held / peak',
        `${planWith(heldPerSeries)} / ${planWith(peakPerSeries)}`,
      ],
      [
        'template warm-up (15 days streamed per template)',
        `${fleet.templates} templates, ${warmSeconds.toFixed(1)} s`,
      ],
    ],
  );
  print('\nPer shard (detect; Lambda time projected at the configured memory, see the model below):\n');
  table(
    [
      'shard',
      'series',
      'held/series',
      'peak/series',
      'warm CPU',
      'saves CPU (n)',
      'cold CPU',
      'warm λ',
      'saves λ',
      'cold λ',
      'memory held / peak',
      '≤50% mem',
      '≤50% time',
    ],
    summaries.map((s) => [
      s.shard,
      String(s.series),
      kib(s.heldPerSeries),
      kib(s.peakPerSeries),
      sec(s.warm.cpuSeconds),
      `${sec(s.saves.cpuSeconds)} (${s.saves.saved})`,
      sec(s.cold.cpuSeconds),
      sec(s.warm.lambdaSeconds),
      sec(s.saves.lambdaSeconds),
      sec(s.cold.lambdaSeconds),
      `${mb(s.heldMemoryBytes)} / ${mb(s.projectedMemoryBytes)}`,
      s.underMemory,
      s.underTimeout ? 'yes' : 'NO',
    ]),
  );
  print('\nPer series:\n');
  table(
    ['figure', 'value'],
    [
      [
        "heap held per series after the warm cycles (GC'd; max over shards) = heapBytesPerSeries",
        `${Math.round(heldPerSeries)} B (${kib(heldPerSeries)})`,
      ],
      [
        "heap per series after the first warm cycle minus before loading (GC'd; max)",
        kib(heldAfterFirstWarm),
      ],
      ['heap held per series after the cold cycle', kib(heldAfterCold)],
      ['peak heap per series during a cycle (no GC inside; max)', kib(peakPerSeries)],
      ['CPU per series, warm cycle (median over shards, one core)', ms(warmCpuPerSeries)],
      ['CPU per series, cold cycle (max; memory stores)', ms(coldCpuPerSeries)],
      [
        'CPU per series, cold cycle + SDK CPU of its DynamoDB requests = cpuSecondsPerSeriesCold',
        ms(coldCpuPerSeriesSdk),
      ],
      [
        'SDK CPU per DynamoDB request (slice: dynalite − memory, detect / collect)',
        slice ? `${ms(sdk.detect)} / ${ms(sdk.collect)}` : 'slice skipped (0)',
      ],
      ['stored checkpoint (gzip, mean of saves)', kib(checkpointBytes)],
      [
        "kept band object per shard (gzip, the health tiles' last hour)",
        summaries.map((s) => kib(s.bandBytes)).join(' / '),
      ],
      [
        `checkpoint saves per series per warm cycle (staggered, every ${fleet.config.detection.checkpointEveryMinutes} min)`,
        num(requestsPerSeriesPerCycle.checkpointPuts, 4),
      ],
      [
        'shard seconds (projected λ, worst of saves/cold cycle): median / max',
        `${sec(median(shardSeconds))} / ${sec(Math.max(...shardSeconds))}`,
      ],
      [
        'collect λ per shard, warm cycle: median / max',
        `${sec(median(collectSeconds))} / ${sec(Math.max(...collectSeconds))}`,
      ],
      [
        'incomplete cycles (series failed or unfinished)',
        String(summaries.reduce((n, s) => n + s.incomplete, 0)),
      ],
    ],
  );
  print(
    '\nRequests per series per cycle (steady warm cycles, collect + detect; cold: every shard restoring):\n',
  );
  const requestRows: [string, number][] = [
    ['CloudWatch GetMetricData metrics requested', requestsPerSeriesPerCycle.getMetricDataMetrics],
    ['points Query (collect overlap + detect)', requestsPerSeriesPerCycle.pointsQuery],
    [
      'points writes, chunked: UpdateItem per series-chunk touched',
      requestsPerSeriesPerCycle.pointsChunkUpdates,
    ],
    ['points writes, today: points written (1 WRU each)', requestsPerSeriesPerCycle.pointsWritten],
    ['points writes, today: BatchWriteItem requests', requestsPerSeriesPerCycle.pointsBatchWriteRequests],
    ['anomalies PutItem', requestsPerSeriesPerCycle.anomalyPuts],
    ['anomalies Query', requestsPerSeriesPerCycle.anomalyQueries],
    ['anomalies UpdateItem (alert state)', requestsPerSeriesPerCycle.anomalyUpdates],
    ['checkpoint S3 PUT', requestsPerSeriesPerCycle.checkpointPuts],
    ['checkpoint S3 GET (cold cycle)', requestsPerSeriesPerCycle.checkpointGetsCold],
    ['control table reads', requestsPerSeriesPerCycle.controlReads],
    ['control table writes', requestsPerSeriesPerCycle.controlWrites],
    ['SNS publish', requestsPerSeriesPerCycle.snsPublishes],
  ];
  table(
    ['request', 'per series per cycle'],
    requestRows.map(([k, v]) => [k, num(v, 5)]),
  );
  if (slice) {
    print(
      `\nSlice against dynalite (${slice.series} series, one shard, ${slice.cycles} cycles incl. 1 cold): counted by the wrappers vs sent by the client:\n`,
    );
    const t = (table: string, ops: string[]) =>
      ops.reduce((n, op) => n + (slice.measured.get(`${table}:${op}`) ?? 0), 0);
    const cap = (table: string, ops: string[]) =>
      ops.reduce((n, op) => n + (slice.capacity.get(`${table}:${op}`) ?? 0), 0);
    const m = (k: string) => slice.modelled.get(k) ?? 0;
    const rows: [string, number, number, number][] = [
      ['points Query', m('points.query'), t('bench-points', ['Query']), cap('bench-points', ['Query'])],
      [
        "points BatchWriteItem (today's layout)",
        m('points.batchWrite'),
        t('bench-points', ['BatchWriteItem']),
        cap('bench-points', ['BatchWriteItem']),
      ],
      [
        'anomalies PutItem',
        m('anomalies.put'),
        t('bench-anomalies', ['PutItem']),
        cap('bench-anomalies', ['PutItem']),
      ],
      [
        'anomalies Query',
        m('anomalies.query'),
        t('bench-anomalies', ['Query']),
        cap('bench-anomalies', ['Query']),
      ],
      [
        'anomalies UpdateItem',
        m('anomalies.update'),
        t('bench-anomalies', ['UpdateItem']),
        cap('bench-anomalies', ['UpdateItem']),
      ],
      [
        'control reads (GetItem, Query)',
        m('control.read'),
        t('bench-control', ['GetItem', 'Query']),
        cap('bench-control', ['GetItem', 'Query']),
      ],
      [
        'control writes (Put/Update/DeleteItem)',
        m('control.write'),
        t('bench-control', ['PutItem', 'UpdateItem', 'DeleteItem']),
        cap('bench-control', ['PutItem', 'UpdateItem', 'DeleteItem']),
      ],
    ];
    table(
      ['request', 'counted', 'sent (dynalite)', 'capacity units (dynalite)'],
      rows.map(([k, a, b, c]) => [k, String(a), String(b), num(c, 1)]),
    );
    const other = [...slice.measured].filter(([k]) => !/^bench-(points|anomalies|control):/.test(k));
    if (other.length > 0) print(`  other requests: ${other.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  print(
    `\nMonthly cost per metric at 5-minute cycles (${cyclesPerMonth(5)} a month), ${N.toLocaleString()} series, us-east-1 list prices (shared/domain/prices.ts):\n`,
  );
  table(
    ['item', 'quantity / metric-month', 'unit', 'USD / metric-month'],
    [
      ...cost.lines.map((l) => [l.item, num(l.quantity, 4), l.unit, usd(l.usd)]),
      ['**total (chunked points)**', '', '', `**${usd(costPerMetricMonthUsd)}**`],
      ...cost.perPointLines.map((l) => [`today: ${l.item}`, num(l.quantity, 4), l.unit, usd(l.usd)]),
      ["total with today's one-item-per-point layout", '', '', usd(perPointTotal)],
    ],
  );
  print(
    `\nModel: λ time = CPU s × ${(1769 / MEMORY_MB).toFixed(2)} (1,769 MB buys one vCPU; ${MEMORY_MB} MB a ${(MEMORY_MB / 1769).toFixed(3)} share) ` +
      '+ I/O (DynamoDB 5 ms, S3 GET 20 / PUT 30 ms, SNS 20 ms, 8 at a time; GetMetricData 300 ms a call, in turn); CPU includes the SDK CPU ' +
      `per DynamoDB (and, assumed equal, S3) request measured on the slice. Memory = the loaded bundle's RSS + the shard's ` +
      'held heap / + its peak heap in a cycle (no GC forced inside it: an upper bound; "held": only the held state fits half). ' +
      `Step Functions: ${transitionsPerCycle(count)} transitions a cycle ` +
      `(the Map, per shard Collect, the Choice of its function, its Detect and ShardDone, then the final Choice and its end). Logs: the use cases' lines + each handler's summary + ${PLATFORM_LOG_BYTES} B of platform lines + the EMF blob (${emf} B) per invocation pair.`,
  );
  if (latency.length > 0) {
    print(
      `\nLatency from a datapoint to its page (simulated clock, ${5 * REPEATS} incidents: ${REPEATS} at each minute offset; m:ss):\n`,
    );
    table(
      [
        'wiring',
        'paged',
        'median from ts',
        'worst from ts',
        'median from period end',
        'worst from period end',
      ],
      latency.map((l) => [
        l.wiring,
        `${l.paged}/${l.incidents.length}`,
        minSec(l.medianFromTsMs),
        minSec(l.worstFromTsMs),
        minSec(l.medianFromPeriodEndMs),
        minSec(l.worstFromPeriodEndMs),
      ]),
    );
    print(
      "\nThe simulated clock stands still while a cycle runs: a real page comes later by the shard's collect + " +
        `detect run time (projected warm, median: ${sec(median(collectSeconds))} + ${sec(median(warmDetectSeconds))} here).`,
    );
    print(
      '\nBy minute offset of the first anomalous point within the 5-minute cycle (chained wiring, from ts):\n',
    );
    table(
      ['offset', ...[0, 1, 2, 3, 4].map((o) => `:0${o}`)],
      [
        [
          'median',
          ...[0, 1, 2, 3, 4].map((o) => {
            const xs = latency[0]!.incidents
              .filter((i) => i.offsetMinute === o && i.fromTsMs !== undefined)
              .map((i) => i.fromTsMs!);
            return xs.length ? minSec(median(xs)) : '–';
          }),
        ],
      ],
    );
  }
  const seconds = (performance.now() - started) / 1000;
  print(`\nbench wall time ${seconds.toFixed(0)} s`);
  console.log(out.join('\n'));

  if (values.json) {
    const obj = (m: ReadonlyMap<string, number>) => Object.fromEntries([...m].sort());
    writeFileSync(
      values.json,
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          command: `npx tsx bench/scale.ts ${process.argv.slice(2).join(' ')}`.trim(),
          series: N,
          shards: count,
          heapBytesPerSeries: Math.round(heldPerSeries),
          shardSeconds: { median: median(shardSeconds), max: Math.max(...shardSeconds) },
          collectShardSeconds: { median: median(collectSeconds), max: Math.max(...collectSeconds) },
          warmDetectShardSeconds: { median: median(warmDetectSeconds), max: Math.max(...warmDetectSeconds) },
          costPerMetricMonthUsd,
          requestsPerSeriesPerCycle,
          memoryMb: MEMORY_MB,
          timeoutSeconds: TIMEOUT_S,
          collectMemoryMb: COLLECT_MB,
          warmCycles: CYCLES,
          measuredShards: measured,
          heapBytesPerSeriesAfterCold: Math.round(heldAfterCold),
          heapBytesPerSeriesAfterFirstWarm: Math.round(heldAfterFirstWarm),
          peakHeapBytesPerSeries: Math.round(peakPerSeries),
          cpuSecondsPerSeriesCold: coldCpuPerSeriesSdk,
          cpuSecondsPerSeriesColdMemoryStores: coldCpuPerSeries,
          cpuSecondsPerSeriesWarm: warmCpuPerSeries,
          sdkCpuSecondsPerDynamoRequest: sdk,
          checkpointBytes,
          base,
          baseOneSeriesConfig: bare,
          plan: { planned: planned.count, capacity: planned.capacity, sizes },
          shardFigures: summaries.map(({ warmRequests, coldRequests, ...s }) => ({
            ...s,
            warmRequestsPerCycle: obj(scaleMap(warmRequests, 1 / s.warmCycles)),
            coldRequests: obj(coldRequests),
          })),
          costPerMetricMonthUsdPerPointLayout: perPointTotal,
          cost: cost.lines,
          costPerPointLayout: cost.perPointLines,
          itemBytes: { chunk: chunkItemBytes, point: pointItemBytes, anomaly: anomalyItemBytes },
          slice: slice && {
            series: slice.series,
            cycles: slice.cycles,
            counted: obj(slice.modelled),
            sent: obj(slice.measured),
            capacity: obj(slice.capacity),
          },
          latency,
          benchSeconds: seconds,
          loadAverageAtStart: loadAtStart,
        },
        null,
        2,
      )}\n`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
