// The dashboard's monthly cost estimate (issue 16): bench:scale's recorded per-series rates priced by the
// same formula the bench uses, at the plan the stack deploys; and GET /api/alerts' cost per metric.
import { MemoryAlertStore } from '../../shared/adapters/memory-stores';
import {
  cyclesPerMonth,
  estimateMonthlyCost,
  type FleetCostInputs,
  PRICES_CHECKED,
} from '../../shared/domain/cost-model';
import { PRICES } from '../../shared/domain/prices';
import { cycleTimeoutSeconds, planDetect } from '../../shared/domain/series-cost';
import type { SeriesSpec } from '../../shared/domain/types';
import type { AnomalyDetail, AnomalyTimelineStore } from '../../shared/ports';
import { alertsOverview, type FleetCostConfig, fleetCost } from '../../shared/use-cases/dashboard';
import { seriesSpec } from '../helpers/series';

/**
 * What `npm run bench:scale -- --series 10000 --json bench-output/scale-10000.json` recorded on
 * 2026-12-04 (docs/benchmarks.md, "Scale and cost"): its inputs, its total and its Lambda GB-s.
 */
const BENCH_10K = {
  inputs: {
    series: 10_000,
    shards: 2,
    memoryMb: 1769,
    collectEveryMinutes: 5,
    checkpointEveryMinutes: 180,
    retentionDays: 30,
  },
  costPerMetricMonthUsd: 0.0978367048562367,
  lambdaGbSecondsPerMetricMonth: 113.96345538745943,
} as const;

const lineOf = (e: ReturnType<typeof estimateMonthlyCost>, prefix: string) => {
  const line = e.lines.find((l) => l.item.startsWith(prefix));
  if (!line) throw new Error(`no line ${prefix}`);
  return line;
};
const at = (over: Partial<FleetCostInputs>) => estimateMonthlyCost({ ...BENCH_10K.inputs, ...over });

describe('estimateMonthlyCost', () => {
  it("reproduces bench:scale's recorded $0.0978 per metric-month at the bench's own inputs", () => {
    // Act
    const e = estimateMonthlyCost(BENCH_10K.inputs);

    // Assess: within 3 % (checkpoint PUTs follow 5 ÷ 180, where the bench's staggered saves made 0.0282)
    expect(Math.abs(e.perSeriesUsd / BENCH_10K.costPerMetricMonthUsd - 1)).toBeLessThan(0.03);
    expect(e.fleetUsd).toBeCloseTo(e.perSeriesUsd * 10_000, 9);
    expect(lineOf(e, 'Lambda duration').quantity / BENCH_10K.lambdaGbSecondsPerMetricMonth).toBeCloseTo(1, 3);
    expect(lineOf(e, 'CloudWatch GetMetricData').usd).toBeCloseTo(
      cyclesPerMonth(5) * PRICES.getMetricDataPerMetric.usd,
      12,
    );
    expect(e.basis).toContain(`checked ${PRICES_CHECKED}`);
    expect(e.basis).toContain('10,000 series on 2 shards × 1769 MB');
  });

  it('costs more per series with fewer of them: the custom metrics are one fixed cost', () => {
    // Act
    const small = at({ series: 1000 });
    const large = at({ series: 10_000 });

    // Assess
    expect(small.perSeriesUsd).toBeGreaterThan(large.perSeriesUsd);
    expect(lineOf(small, 'Custom metrics').usd).toBeCloseTo(10 * lineOf(large, 'Custom metrics').usd, 12);
    expect(small.fleetUsd).toBeLessThan(large.fleetUsd);
  });

  it('prices checkpoint PUTs at collectEvery ÷ checkpointEvery a cycle (0: every cycle)', () => {
    // Act
    const puts = (checkpointEveryMinutes: number) =>
      lineOf(at({ checkpointEveryMinutes }), 'S3 checkpoint PUTs').quantity;

    // Assess: 8,640 cycles a month at 5 minutes
    expect(puts(180)).toBeCloseTo(8640 / 36, 9);
    expect(puts(60)).toBeCloseTo(3 * puts(180), 9);
    expect(puts(0)).toBeCloseTo(8640, 9);
    expect(puts(1)).toBeCloseTo(8640, 9);
  });

  it('counts cycles from the collect interval', () => {
    // Act
    const every1 = at({ collectEveryMinutes: 1 });

    // Assess
    expect(lineOf(every1, 'CloudWatch GetMetricData').quantity).toBeCloseTo(43_200, 9);
    expect(lineOf(every1, 'Step Functions').quantity).toBeCloseTo(
      5 * lineOf(at({}), 'Step Functions').quantity,
      9,
    );
  });

  it('prices Lambda at the memory size: CPU-bound time costs the same below one vCPU, I/O wait less', () => {
    // Act
    const gbs = (memoryMb: number) => lineOf(at({ memoryMb }), 'Lambda duration').quantity;

    // Assess
    expect(gbs(512)).toBeLessThan(gbs(1024));
    expect(gbs(1024)).toBeLessThan(gbs(1769));
    expect(gbs(3538)).toBeCloseTo(2 * gbs(1769), 6);
    // Below 1,769 MB only the I/O part shrinks: the CPU part is the same GB-s.
    expect(gbs(512)).toBeGreaterThan((512 / 1769) * gbs(1769));
  });

  it.each([
    ['series', { series: 0 }],
    ['series', { series: 2.5 }],
    ['shards', { shards: 0 }],
    ['memoryMb', { memoryMb: Number.NaN }],
    ['collectEveryMinutes', { collectEveryMinutes: 0 }],
    ['checkpointEveryMinutes', { checkpointEveryMinutes: -1 }],
    ['retentionDays', { retentionDays: 0 }],
  ])('refuses a bad %s, naming it', (field, over) => {
    expect(() => at(over)).toThrow(RangeError);
    expect(() => at(over)).toThrow(new RegExp(`^${field}: must be`));
  });
});

const spec = (id: string, metric: string, resource: string): SeriesSpec =>
  seriesSpec({ id, metric, label: `${metric} ${resource}`, tags: { resource } });
const SERIES = [
  spec('a', 'cpu_percent', 'h1'),
  spec('b', 'cpu_percent', 'h2'),
  spec('c', 'memory_percent', 'h1'),
];
const FLEET: FleetCostConfig = {
  series: SERIES,
  groupBy: 'resource',
  collectEveryMinutes: 5,
  checkpointEveryMinutes: 180,
  retentionDays: 30,
};

describe('fleetCost and GET /api/alerts cost', () => {
  it("prices the configured fleet at the stack's plan", () => {
    // Prepare: the plan infra/stack.ts would deploy (detect timeout of a 5-minute cycle)
    const plan = planDetect(SERIES, 'resource', cycleTimeoutSeconds(5).detect);
    const expected = estimateMonthlyCost({
      series: 3,
      shards: plan.count,
      memoryMb: plan.memoryMb,
      collectEveryMinutes: 5,
      checkpointEveryMinutes: 180,
      retentionDays: 30,
    });

    // Act
    const cost = fleetCost(FLEET);

    // Assess
    expect(cost).toEqual({
      perSeriesUsd: expected.perSeriesUsd,
      fleetUsd: expected.fleetUsd,
      series: 3,
      shards: plan.count,
      memoryMb: plan.memoryMb,
      collectEveryMinutes: 5,
      pricesChecked: PRICES_CHECKED,
      basis: expected.basis,
    });
  });

  it('has no estimate without configured series', () => {
    expect(fleetCost({ ...FLEET, series: [] })).toBeNull();
  });

  it("gives each quality row its metric's configured series × the cost per series, overall the fleet's", async () => {
    // Prepare: one paged anomaly of each metric, and one of a metric no longer configured
    const detail = (series: string, metric: string, ts: number): AnomalyDetail => ({
      series,
      metric,
      label: series,
      ts,
      value: 90,
      expectedLow: 0,
      expectedHigh: 50,
      baseline: 25,
      deviation: 4,
      score: 4,
      methods: ['zscore'],
      findings: [],
      severity: 'high',
      level: 'CRITICAL',
      explanation: 'high',
      sensitivity: 0,
      alertState: 'sent',
      alertId: `${metric}-${ts}`,
    });
    const items = [
      detail('a', 'cpu_percent', 3000),
      detail('c', 'memory_percent', 2000),
      detail('x', 'gone', 1000),
    ];
    const timeline: AnomalyTimelineStore = {
      listNewestFirst: async () => ({ items, more: false }),
    } as unknown as AnomalyTimelineStore;
    const cost = fleetCost(FLEET)!;

    // Act
    const r = await alertsOverview(
      { timeline, alerts: new MemoryAlertStore(), minLevelToPage: 'WARNING', series: FLEET.series, cost },
      { from: 0, to: 86_400_000 },
      86_400_000,
    );

    // Assess
    expect(r.cost).toEqual(cost);
    const usd = Object.fromEntries(r.quality.map((q) => [q.metric ?? 'all', q.estimatedMonthlyUsd]));
    expect(usd).toEqual({
      all: cost.fleetUsd,
      cpu_percent: 2 * cost.perSeriesUsd,
      memory_percent: cost.perSeriesUsd,
      gone: 0,
    });
  });

  it('answers null costs when there is no estimate', async () => {
    // Act
    const r = await alertsOverview(
      {
        timeline: {
          listNewestFirst: async () => ({ items: [], more: false }),
        } as unknown as AnomalyTimelineStore,
        alerts: new MemoryAlertStore(),
        minLevelToPage: 'WARNING',
        series: [],
        cost: fleetCost({ ...FLEET, series: [] }),
      },
      { from: 0, to: 86_400_000 },
      86_400_000,
    );

    // Assess
    expect(r.cost).toBeNull();
    expect(r.quality.map((q) => q.estimatedMonthlyUsd)).toEqual([null]);
  });
});
