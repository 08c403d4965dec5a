// bench:scale's projections: how long a measured cycle would run in Lambda at a given memory size, and
// what a month of 5-minute cycles costs per metric, itemised, from the measured request counts and the
// price list (bench/prices.ts). Every model assumption is a named constant here.
import { MB_PER_VCPU } from '../shared/domain/shards';
import { PRICES } from './prices';

/** Cycles in a 30-day month at one every 5 minutes. */
export const CYCLES_PER_MONTH = 8640;

/**
 * I/O model (assumed in-region latencies, not measured): a DynamoDB request 5 ms, an S3 GET 20 ms and
 * PUT 30 ms, an SNS publish 20 ms, a GetMetricData call of up to 500 metrics 300 ms; the per-series
 * requests of a cycle overlap 8 at a time (detect's and collect's mapLimit(8)), GetMetricData calls run
 * one after another. Added to the CPU time, as if no I/O overlapped computation (an upper bound).
 */
export const IO_MODEL = {
  dynamoMs: 5,
  s3GetMs: 20,
  s3PutMs: 30,
  snsMs: 20,
  getMetricDataMs: 300,
  overlap: 8,
} as const;

/** DynamoDB requests among the counted kinds (chunked points layout: one UpdateItem per chunk touched). */
export function dynamoRequestsOf(
  requests: ReadonlyMap<string, number>,
  layout: 'chunk' | 'point' = 'chunk',
): number {
  const get = (k: string) => requests.get(k) ?? 0;
  return (
    get('points.query') +
    (layout === 'chunk' ? get('points.chunkUpdate') : get('points.batchWrite')) +
    get('anomalies.put') +
    get('anomalies.query') +
    get('anomalies.update') +
    get('control.read') +
    get('control.write')
  );
}

/** Seconds of I/O wait a phase with these requests would spend, by IO_MODEL. */
export function ioSeconds(requests: ReadonlyMap<string, number>, getMetricDataCalls: number): number {
  const get = (k: string) => requests.get(k) ?? 0;
  const overlapped =
    dynamoRequestsOf(requests) * IO_MODEL.dynamoMs +
    get('checkpoint.get') * IO_MODEL.s3GetMs +
    get('checkpoint.put') * IO_MODEL.s3PutMs +
    get('sns.publish') * IO_MODEL.snsMs;
  return (overlapped / IO_MODEL.overlap + getMetricDataCalls * IO_MODEL.getMetricDataMs) / 1000;
}

/**
 * Lambda time of a phase: its CPU seconds (one full core) stretched by the share of a vCPU the memory
 * size buys (1,769 MB = one vCPU, proportionally less below it), plus its I/O wait.
 */
export function lambdaSeconds(cpuSeconds: number, memoryMb: number, io: number): number {
  return cpuSeconds * Math.max(1, MB_PER_VCPU / memoryMb) + io;
}

/**
 * The size DynamoDB bills an item at: attribute names plus values (strings and binary by length,
 * numbers about one byte per two significant digits plus one, lists and maps 3 bytes plus one per
 * element, booleans and null one byte).
 */
export function dynamoItemBytes(item: Record<string, unknown>): number {
  const valueBytes = (v: unknown): number => {
    if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
    if (typeof v === 'number') {
      const digits = String(Math.abs(v))
        .replace(/e.*$/, '')
        .replace('.', '')
        .replace(/^0+/, '')
        .replace(/0+$/, '');
      return Math.ceil(Math.max(1, digits.length) / 2) + 1;
    }
    if (typeof v === 'boolean' || v === null || v === undefined) return 1;
    if (Array.isArray(v)) return 3 + v.reduce((n: number, x) => n + 1 + valueBytes(x), 0);
    if (v instanceof Uint8Array) return v.length;
    if (typeof v === 'object')
      return 3 + Object.entries(v).reduce((n, [k, x]) => n + 1 + Buffer.byteLength(k) + valueBytes(x), 0);
    return 1;
  };
  return Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + valueBytes(v), 0);
}

/** Storage DynamoDB adds per item (index overhead), bytes. */
export const ITEM_OVERHEAD_BYTES = 100;

/**
 * Step Functions state transitions of one cycle without retries (ADR 0024): the Map, per shard its
 * Collect, the Choice of its detect function, that Detect and ShardDone, then the final Choice and its
 * end state. test/infra/detect-cycle.test.ts checks the state machine has exactly these states.
 */
export function transitionsPerCycle(shards: number): number {
  return 3 + 4 * shards;
}

/** CloudWatch Logs lines Lambda itself writes per invocation (START, END, REPORT with X-Ray): bytes, assumed. */
export const PLATFORM_LOG_BYTES = 400;

/** What a month of the cycle costs, per metric (series), from per-cycle figures of the whole fleet. */
export interface CostInputs {
  readonly series: number;
  readonly shards: number;
  /** Fleet-wide counts of one steady (warm) cycle, collect + detect, by kind (scale-counting.ts). */
  readonly warmRequests: ReadonlyMap<string, number>;
  /** Fleet-wide checkpoint GETs of one cycle where every shard starts cold. */
  readonly coldCheckpointGets: number;
  /** One cycle in `coldEvery` is a cold start of each shard (assumption). */
  readonly coldEvery: number;
  readonly metricsRequestedPerCycle: number;
  /** Lambda GB-seconds of one cycle (all shards, collect and detect), warm and cold. */
  readonly gbSecondsWarm: number;
  readonly gbSecondsCold: number;
  /** CloudWatch Logs bytes of one cycle (all shards, both functions, platform lines and EMF). */
  readonly logBytesPerCycle: number;
  readonly customMetrics: number;
  readonly checkpointBytes: number;
  readonly retentionDays: number;
  /** Billed sizes: a 30-minute chunk item, a one-point item, an anomaly item (bytes). */
  readonly chunkItemBytes: number;
  readonly pointItemBytes: number;
  readonly anomalyItemBytes: number;
  /** Mean items a points Query reads, chunked and one-item-per-point layouts. */
  readonly chunksPerQuery: number;
  readonly pointsPerQuery: number;
}

/** One line of the itemised cost. */
export interface CostLine {
  readonly item: string;
  /** Quantity per metric-month and its unit. */
  readonly quantity: number;
  readonly unit: string;
  readonly usd: number;
}

const readUnits = (itemBytes: number, items: number) =>
  Math.max(1, Math.ceil((itemBytes * items) / 4096)) * 0.5;
const writeUnits = (itemBytes: number) => Math.max(1, Math.ceil(itemBytes / 1024));

/** The itemised monthly cost per metric (chunked points layout), and the per-point layout's points lines. */
export function projectCost(c: CostInputs): { lines: CostLine[]; perPointLines: CostLine[] } {
  const perMetric = (fleetPerCycle: number) => (fleetPerCycle * CYCLES_PER_MONTH) / c.series;
  const get = (k: string) => c.warmRequests.get(k) ?? 0;
  const coldShare = 1 / c.coldEvery;
  const line = (item: string, quantity: number, unit: string, price: number): CostLine => ({
    item,
    quantity,
    unit,
    usd: quantity * price,
  });

  const chunkWrites = perMetric(get('points.chunkUpdate')) * writeUnits(c.chunkItemBytes);
  const pointReads = perMetric(get('points.query')) * readUnits(c.chunkItemBytes, c.chunksPerQuery);
  const anomalyWrites =
    perMetric(get('anomalies.put')) * writeUnits(c.anomalyItemBytes) + perMetric(get('anomalies.update'));
  const anomalyReads = perMetric(get('anomalies.query')) * 0.5;
  // Control items are small; GetItem and alert-partition Queries are read strongly consistent (1 RRU).
  const controlReads = perMetric(get('control.read'));
  const controlWrites = perMetric(get('control.write'));
  const chunksKept = (c.retentionDays * 86_400_000) / (30 * 60_000);
  const pointsGb = (chunksKept * (c.chunkItemBytes + ITEM_OVERHEAD_BYTES)) / 1e9;
  const anomaliesGb =
    ((get('anomalies.put') / c.series) *
      (c.retentionDays * 288) *
      (c.anomalyItemBytes + ITEM_OVERHEAD_BYTES)) /
    1e9;
  const puts = perMetric(get('checkpoint.put'));
  const gets = perMetric(c.coldCheckpointGets) * coldShare;
  const gbSeconds = perMetric(c.gbSecondsWarm * (1 - coldShare) + c.gbSecondsCold * coldShare);
  const invocations = perMetric(2 * c.shards);
  const transitions = perMetric(transitionsPerCycle(c.shards));
  const logsGb = perMetric(c.logBytesPerCycle) / 1e9;

  const lines: CostLine[] = [
    line(
      'CloudWatch GetMetricData',
      perMetric(c.metricsRequestedPerCycle),
      'metrics requested',
      PRICES.getMetricDataPerMetric.usd,
    ),
    line('DynamoDB points writes (chunk UpdateItem)', chunkWrites, 'WRU', PRICES.dynamoWriteRequestUnit.usd),
    line('DynamoDB points reads (Query)', pointReads, 'RRU', PRICES.dynamoReadRequestUnit.usd),
    line('DynamoDB anomalies (put, state updates)', anomalyWrites, 'WRU', PRICES.dynamoWriteRequestUnit.usd),
    line('DynamoDB anomalies (Query)', anomalyReads, 'RRU', PRICES.dynamoReadRequestUnit.usd),
    line('DynamoDB control reads', controlReads, 'RRU', PRICES.dynamoReadRequestUnit.usd),
    line('DynamoDB control writes', controlWrites, 'WRU', PRICES.dynamoWriteRequestUnit.usd),
    line(
      `DynamoDB storage (${c.retentionDays} d of chunks + anomalies)`,
      pointsGb + anomaliesGb,
      'GB-month',
      PRICES.dynamoStorageGbMonth.usd,
    ),
    line('S3 checkpoint PUTs (staggered saves)', puts, 'PUT', PRICES.s3PutPerRequest.usd),
    line(
      `S3 checkpoint GETs (a cold start 1 cycle in ${c.coldEvery})`,
      gets,
      'GET',
      PRICES.s3GetPerRequest.usd,
    ),
    line('S3 checkpoint storage', c.checkpointBytes / 1e9, 'GB-month', PRICES.s3StorageGbMonth.usd),
    line('Lambda duration (collect + detect, arm64)', gbSeconds, 'GB-s', PRICES.lambdaArmGbSecond.usd),
    line(
      'Lambda requests (collect + detect per shard)',
      invocations,
      'invocations',
      PRICES.lambdaRequest.usd,
    ),
    line(
      `Step Functions (${transitionsPerCycle(c.shards)} transitions a cycle)`,
      transitions,
      'transitions',
      PRICES.stepFunctionsTransition.usd,
    ),
    line('CloudWatch Logs ingestion', logsGb, 'GB', PRICES.logsIngestionGb.usd),
    line(
      `Custom metrics (${c.customMetrics} EMF metrics ÷ ${c.series} series)`,
      c.customMetrics / c.series,
      'metric-months',
      PRICES.customMetricMonth.usd,
    ),
  ];
  const perPointLines: CostLine[] = [
    line(
      'DynamoDB points writes (one item per point, BatchWriteItem)',
      perMetric(get('points.written')) * writeUnits(c.pointItemBytes),
      'WRU',
      PRICES.dynamoWriteRequestUnit.usd,
    ),
    line(
      'DynamoDB points reads (Query)',
      perMetric(get('points.query')) * readUnits(c.pointItemBytes, c.pointsPerQuery),
      'RRU',
      PRICES.dynamoReadRequestUnit.usd,
    ),
    line(
      `DynamoDB points storage (${c.retentionDays} d, one item per point)`,
      (c.retentionDays * 1440 * (c.pointItemBytes + ITEM_OVERHEAD_BYTES)) / 1e9,
      'GB-month',
      PRICES.dynamoStorageGbMonth.usd,
    ),
  ];
  return { lines, perPointLines };
}
