// The detect cycle sharded against the real DynamoDB stores (dynalite): shards run side by side, as the
// state machine's Map runs them, and must record and page exactly what one unsharded cycle does; they
// share one token bucket that never over-issues; a failed shard holds back nobody and catches up.
import { DynamoAlertStore } from '../../shared/adapters/dynamodb-alert-store';
import { DynamoAnomalyStore } from '../../shared/adapters/dynamodb-anomaly-store';
import { DynamoControlStore } from '../../shared/adapters/dynamodb-control-store';
import { DynamoMetricStore } from '../../shared/adapters/dynamodb-metric-store';
import { DynamoRateLimiter } from '../../shared/adapters/dynamodb-rate-limiter';
import { DetectorCache } from '../../shared/domain/detectors/detector-cache';
import { type Shard, seriesOfShard } from '../../shared/domain/shards';
import { bucketConfigOf } from '../../shared/domain/token-bucket';
import type { MetricPoint, SeriesSpec } from '../../shared/domain/types';
import { expandSeries, type MonitorConfig, parseMonitorConfig } from '../../shared/monitor-config';
import type { AlertMessage, MetricStore } from '../../shared/ports';
import { noDataRules } from '../../shared/use-cases/raise-no-data';
import { type DetectCycleResult, runDetectCycle } from '../../shared/use-cases/run-detect-cycle';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';
import { recordingLog } from '../helpers/logs';

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 1, 0);
const HOSTS = ['web-1', 'web-2', 'web-3', 'api-1', 'api-2', 'db-1'];

function configWith(rateLimit?: {
  capacity: number;
  refillTokens: number;
  refillMinutes: number;
}): MonitorConfig {
  return parseMonitorConfig({
    series: HOSTS.flatMap((host) =>
      ['cpu_percent', 'error_rate'].map((metric) => ({
        metric,
        namespace: 'Test',
        metricName: metric,
        dimensions: { host },
        label: host,
        tags: { resource: host },
      })),
    ),
    ...(rateLimit ? { alerts: { rateLimit } } : {}),
  });
}

/** Seeded noise around a level, and a spike on some hosts' cpu at their incident minute. */
function pointsOf(series: readonly SeriesSpec[], minutes: number, incidents: ReadonlyMap<string, number>) {
  let seed = 7;
  const noise = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  const out: MetricPoint[] = [];
  for (let i = 0; i < minutes; i++) {
    for (const s of series) {
      const start = s.metric === 'cpu_percent' ? incidents.get(s.tags.resource!) : undefined;
      const spiking = start !== undefined && i >= start && i < start + 10;
      out.push({ series: s.id, ts: T0 + i * MIN, value: (spiking ? 90 : 30) + 4 * noise() });
    }
  }
  return out;
}

interface Fleet {
  readonly db: TestDynamo;
  readonly pages: (AlertMessage & { at: number })[];
  readonly cycles: DetectCycleResult[];
  readonly anomalies: DynamoAnomalyStore;
}

/**
 * Collect (the points up to each cycle) and run every shard's cycle side by side, every 5 minutes.
 * `faulty(shard, now)` makes that shard's point reads fail in that cycle.
 */
async function runFleet(
  config: MonitorConfig,
  points: readonly MetricPoint[],
  cycles: { from: number; to: number },
  count: number,
  faulty: (shard: Shard, now: number) => boolean = () => false,
): Promise<Fleet> {
  const db = await startDynalite();
  const series = expandSeries(config);
  const store = new DynamoMetricStore({ client: db.doc, tableName: db.tables.points });
  const anomalies = new DynamoAnomalyStore({ client: db.doc, tableName: db.tables.anomalies });
  const control = new DynamoControlStore({ client: db.doc, tableName: db.tables.control });
  const alerts = new DynamoAlertStore({ client: db.doc, tableName: db.tables.control });
  const pages: (AlertMessage & { at: number })[] = [];
  let clockNow = cycles.from;
  const shards = Array.from({ length: count }, (_, index) => ({
    shard: { index, count },
    cache: new DetectorCache(),
    // Each shard its own limiter instance (its own Lambda), on the one shared bucket item.
    limiter: new DynamoRateLimiter({
      client: db.doc,
      tableName: db.tables.control,
      config: bucketConfigOf(config.alerts.rateLimit),
    }),
  }));
  const results: DetectCycleResult[] = [];
  let written = 0;
  for (let now = cycles.from; now <= cycles.to; now += 5 * MIN) {
    clockNow = now;
    const batch: MetricPoint[] = [];
    while (written < points.length && points[written]!.ts < now) batch.push(points[written++]!);
    await store.putPoints(batch);
    const run = await Promise.all(
      shards.map(({ shard, cache, limiter }) => {
        const reads: MetricStore = faulty(shard, now)
          ? { putPoints: (p) => store.putPoints(p), queryRange: () => Promise.reject(new Error('throttled')) }
          : store;
        return runDetectCycle(
          {
            points: reads,
            anomalies,
            control,
            alerts,
            limiter,
            publisher: {
              publish: async (m) => {
                pages.push({ ...m, at: clockNow });
                return { messageId: `m${pages.length}` };
              },
            },
            deadLetter: { send: async () => undefined },
            clock: { now: () => now },
            log: recordingLog(),
            config,
            series,
            noDataRules: noDataRules(config),
            detectorCache: cache,
          },
          { shard, now },
        );
      }),
    );
    results.push(...run);
  }
  return { db, pages, cycles: results, anomalies };
}

/** 12 series on 6 resources, five hours; three incidents at different minutes; cycles over the last three. */
function threeIncidents() {
  const config = configWith();
  const series = expandSeries(config);
  const incidents = new Map([
    ['web-1', 150],
    ['api-2', 200],
    ['db-1', 260],
  ]);
  return {
    config,
    series,
    points: pointsOf(series, 300, incidents),
    span: { from: T0 + 120 * MIN, to: T0 + 300 * MIN },
  };
}

const alertsOf = (pages: readonly AlertMessage[]) =>
  pages
    .map((m) => `${m.attributes.severity === 'RESOLVED' ? 'RESOLVED' : 'ALERT'} ${m.attributes.alert_id}`)
    .sort();

const recordedOf = async (fleet: Fleet) =>
  (await fleet.anomalies.listRange(T0, T0 + 10 * 60 * MIN, T0 + 10 * 60 * MIN))
    .map((a) => `${a.series}@${a.ts}`)
    .sort();

describe('sharded detect cycle (dynalite)', () => {
  const fleets: Fleet[] = [];
  afterAll(async () => Promise.all(fleets.map((f) => f.db.close())));

  it('records and pages exactly what the unsharded cycle does on the same data', async () => {
    // Prepare: 12 series on 6 resources; three incidents at different minutes, one resolved in range
    const { config, series, points, span } = threeIncidents();
    // Act
    const one = await runFleet(config, points, span, 1);
    const three = await runFleet(config, points, span, 3);
    fleets.push(one, three);
    // Assess: the shard plan really split the fleet, and nothing depends on it
    const sizes = [0, 1, 2].map((index) => seriesOfShard(series, { index, count: 3 }, 'resource').length);
    expect(sizes.filter((n) => n > 0).length).toBeGreaterThan(1);
    expect(alertsOf(one.pages).filter((p) => p.startsWith('ALERT'))).toHaveLength(3);
    expect(alertsOf(three.pages)).toEqual(alertsOf(one.pages));
    expect(await recordedOf(three)).toEqual(await recordedOf(one));
    expect(three.cycles.every((c) => c.complete)).toBe(true);
  }, 120_000);

  it('shares one token bucket: concurrent shards never issue more pages than it holds', async () => {
    // Prepare: a bucket of 2 that does not refill within the test; all six hosts spike at once
    const config = configWith({ capacity: 2, refillTokens: 1, refillMinutes: 24 * 60 });
    const series = expandSeries(config);
    const incidents = new Map(HOSTS.map((h) => [h, 200] as const));
    const points = pointsOf(series, 230, incidents);
    // Act: six shards, one Lambda each, all taking tokens at the same time
    const fleet = await runFleet(config, points, { from: T0 + 180 * MIN, to: T0 + 230 * MIN }, 6);
    fleets.push(fleet);
    // Assess: two pages in all; every other incident held back (rate-limited), none dropped
    const alerts = fleet.pages.filter((m) => m.attributes.severity !== 'RESOLVED');
    expect(alerts).toHaveLength(2);
    const rateLimited = fleet.cycles.reduce((n, c) => n + (c.alerts.states['rate-limited'] ?? 0), 0);
    expect(rateLimited).toBeGreaterThanOrEqual(HOSTS.length - 2);
  }, 120_000);

  it('a failed shard holds back no other shard and catches up on its next cycle', async () => {
    // Prepare
    const { config, series, points, span } = threeIncidents();
    const broken = T0 + 205 * MIN; // api-2's incident starts at minute 200
    const owner = [0, 1, 2].find((index) =>
      seriesOfShard(series, { index, count: 3 }, 'resource').some((s) => s.tags.resource === 'api-2'),
    )!;
    // Act
    const healthy = await runFleet(config, points, span, 3);
    const faulty = await runFleet(config, points, span, 3, (s, now) => s.index === owner && now === broken);
    fleets.push(healthy, faulty);
    // Assess: in the bad cycle only the owner failed (and did not move its watermark); the others paged on
    const bad = faulty.cycles.filter((c) => c.now === broken);
    expect(bad.filter((c) => !c.complete).map((c) => c.shard)).toEqual([`${owner}of3`]);
    expect(bad.find((c) => c.shard === `${owner}of3`)!.detect.seriesFailed.length).toBeGreaterThan(0);
    // …and the next cycle caught up: the same records and the same pages in the end
    expect(alertsOf(faulty.pages)).toEqual(alertsOf(healthy.pages));
    expect(await recordedOf(faulty)).toEqual(await recordedOf(healthy));
    const late = faulty.pages.find((m) => m.body.type === 'ALERT' && m.subject.includes('api-2'))!;
    const onTime = healthy.pages.find((m) => m.body.type === 'ALERT' && m.subject.includes('api-2'))!;
    expect(late.at - onTime.at).toBe(5 * MIN);
  }, 120_000);
});
