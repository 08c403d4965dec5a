// (domain) what a month of the detect cycle costs per metric (series), itemised, from one cycle's
// fleet-wide request counts, Lambda time and sizes, at the list prices of shared/domain/prices.ts. One
// formula for bench:scale (which measures the inputs) and the dashboard's estimate. Pure: no Node-only
// APIs.
import { PRICES } from './prices';
import { MB_PER_VCPU } from './shards';

/** Minutes in the 30-day month the projection prices. */
export const MINUTES_PER_MONTH = 30 * 1440;

/** Cycles in a 30-day month at one every `everyMinutes` (8,640 at 5 minutes). */
export function cyclesPerMonth(everyMinutes: number): number {
  return MINUTES_PER_MONTH / everyMinutes;
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

/**
 * Lambda time of a phase: its CPU seconds (one full core) stretched by the share of a vCPU the memory
 * size buys (1,769 MB = one vCPU, proportionally less below it), plus its I/O wait.
 */
export function lambdaSeconds(cpuSeconds: number, memoryMb: number, io: number): number {
  return cpuSeconds * Math.max(1, MB_PER_VCPU / memoryMb) + io;
}

/** Read request units of a Query returning `items` of `itemBytes` (eventually consistent: ½ per 4 KB). */
export const readUnits = (itemBytes: number, items: number): number =>
  Math.max(1, Math.ceil((itemBytes * items) / 4096)) * 0.5;
/** Write request units of writing one item of `itemBytes` (one per 1 KB). */
export const writeUnits = (itemBytes: number): number => Math.max(1, Math.ceil(itemBytes / 1024));

/** What a month of the cycle costs, per metric (series), from per-cycle figures of the whole fleet. */
export interface CostInputs {
  readonly series: number;
  readonly shards: number;
  /**
   * Minutes between cycles: sets the cycles a month (and a day, for the anomalies kept).
   * @default 5
   */
  readonly collectEveryMinutes?: number;
  /** Fleet-wide counts of one steady (warm) cycle, collect + detect, by kind (bench/scale-counting.ts). */
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

/** The sum of some cost lines (USD). */
export function totalUsd(lines: readonly CostLine[]): number {
  return lines.reduce((n, l) => n + l.usd, 0);
}

/** The itemised monthly cost per metric (chunked points layout), and the per-point layout's points lines. */
export function projectCost(c: CostInputs): { lines: CostLine[]; perPointLines: CostLine[] } {
  const everyMinutes = c.collectEveryMinutes ?? 5;
  const cycles = cyclesPerMonth(everyMinutes);
  const perMetric = (fleetPerCycle: number) => (fleetPerCycle * cycles) / c.series;
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
      (c.retentionDays * (1440 / everyMinutes)) *
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
