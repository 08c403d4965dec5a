// (domain) what a month of the detect cycle costs per metric (series), itemised, from one cycle's
// fleet-wide request counts, Lambda time and sizes, at the list prices of shared/domain/prices.ts. One
// formula for bench:scale (which measures the inputs) and the dashboard's estimate (the per-series
// rates bench:scale recorded, shared/domain/series-cost.ts, for a fleet and its plan). Pure: no
// Node-only APIs.
import { PRICES } from './prices';
import { MEASURED_CYCLE_RATES } from './series-cost';
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
  // The health tiles' kept band: one object written per shard a cycle, read when a container starts.
  const bandGets = perMetric(get('band.get'));
  const bandPuts = perMetric(get('band.put'));
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
    line('S3 kept band PUTs (one a shard a cycle)', bandPuts, 'PUT', PRICES.s3PutPerRequest.usd),
    line('S3 kept band GETs (one a shard per cold start)', bandGets, 'GET', PRICES.s3GetPerRequest.usd),
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

/** The oldest date a price of the list was checked on (ISO date). */
export const PRICES_CHECKED = Object.values(PRICES)
  .map((p) => p.checked)
  .sort()[0]!;

/** A fleet and the plan it runs at: what {@link estimateMonthlyCost} prices. */
export interface FleetCostInputs {
  /** Configured series (metrics). */
  readonly series: number;
  /** Detect shards, and the memory of each shard's collect and detect functions (MB). */
  readonly shards: number;
  readonly memoryMb: number;
  readonly collectEveryMinutes: number;
  /** 0 = a checkpoint after every cycle. */
  readonly checkpointEveryMinutes: number;
  /** Points and anomalies kept (days). */
  readonly retentionDays: number;
}

/** The estimate: per series and for the fleet, the itemised lines (per series), and what it rests on. */
export interface CostEstimate {
  readonly perSeriesUsd: number;
  readonly fleetUsd: number;
  readonly lines: readonly CostLine[];
  /** One sentence: prices, rates and the plan the figures assume. */
  readonly basis: string;
}

/**
 * The monthly cost of a fleet at its plan: the measured per-series rates of a cycle scaled to the fleet
 * and priced by {@link projectCost}. Lambda time is CPU stretched below one vCPU plus I/O wait, at the
 * plan's memory; checkpoint PUTs follow collectEvery ÷ checkpointEvery; per-shard costs (invocations,
 * Step Functions, logs) follow the shards, and the custom metrics are one fixed cost shared by all
 * series. The other rates were measured at 5-minute cycles and are taken as they are at other intervals.
 * @throws RangeError naming the input that is not a count or size it can price (e.g. 0 series)
 */
export function estimateMonthlyCost(f: FleetCostInputs): CostEstimate {
  const whole = (name: string, x: number) => {
    if (!Number.isSafeInteger(x) || x < 1)
      throw new RangeError(`${name}: must be a whole number ≥ 1, got ${x}`);
  };
  const positive = (name: string, x: number, orZero = false) => {
    if (!Number.isFinite(x) || x < 0 || (x === 0 && !orZero)) {
      throw new RangeError(`${name}: must be a number ${orZero ? '≥' : '>'} 0, got ${x}`);
    }
  };
  whole('series', f.series);
  whole('shards', f.shards);
  positive('memoryMb', f.memoryMb);
  positive('collectEveryMinutes', f.collectEveryMinutes);
  positive('checkpointEveryMinutes', f.checkpointEveryMinutes, true);
  positive('retentionDays', f.retentionDays);
  const r = MEASURED_CYCLE_RATES;
  const n = f.series;
  const checkpointPuts =
    f.checkpointEveryMinutes === 0 ? 1 : Math.min(1, f.collectEveryMinutes / f.checkpointEveryMinutes);
  const gbSeconds = (cpu: number, io: number) => (n * lambdaSeconds(cpu, f.memoryMb, io) * f.memoryMb) / 1024;
  const { lines } = projectCost({
    series: n,
    shards: f.shards,
    collectEveryMinutes: f.collectEveryMinutes,
    warmRequests: new Map([
      ['points.query', n * r.pointsQueries],
      ['points.chunkUpdate', n * r.pointsChunkUpdates],
      ['anomalies.put', n * r.anomalyPuts],
      ['anomalies.query', n * r.anomalyQueries],
      ['anomalies.update', n * r.anomalyUpdates],
      ['control.read', n * r.controlReads],
      ['control.write', n * r.controlWrites],
      ['checkpoint.put', n * checkpointPuts],
      ['band.get', f.shards / r.coldEvery],
      ['band.put', f.shards],
    ]),
    coldCheckpointGets: n * r.checkpointGetsCold,
    coldEvery: r.coldEvery,
    metricsRequestedPerCycle: n * r.getMetricDataMetrics,
    gbSecondsWarm: gbSeconds(r.cpuSecondsWarm, r.ioSecondsWarm),
    gbSecondsCold: gbSeconds(r.cpuSecondsCold, r.ioSecondsCold),
    logBytesPerCycle: f.shards * r.logBytesPerShardPerCycle,
    customMetrics: r.customMetrics,
    checkpointBytes: r.checkpointBytes,
    retentionDays: f.retentionDays,
    chunkItemBytes: r.chunkItemBytes,
    pointItemBytes: r.pointItemBytes,
    anomalyItemBytes: r.anomalyItemBytes,
    chunksPerQuery: r.chunksPerQuery,
    pointsPerQuery: r.pointsPerQuery,
  });
  const perSeriesUsd = totalUsd(lines);
  return {
    perSeriesUsd,
    fleetUsd: perSeriesUsd * n,
    lines,
    basis:
      `us-east-1 list prices checked ${PRICES_CHECKED} applied to the requests, CPU and I/O time per series ` +
      `per ${r.everyMinutes}-minute cycle that bench:scale measured (${r.series.toLocaleString('en-US')} series, ${r.measuredOn}), for ` +
      `${n.toLocaleString('en-US')} series on ${f.shards} shard${f.shards === 1 ? '' : 's'} × ${f.memoryMb} MB, a cycle every ` +
      `${f.collectEveryMinutes} min, a checkpoint every ${Math.max(f.checkpointEveryMinutes, f.collectEveryMinutes)} min, ` +
      `${f.retentionDays} days kept.`,
  };
}
