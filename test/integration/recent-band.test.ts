// The health tiles' band end to end through the real detect cycle and health view (in-memory stores,
// the S3 object encoding): each shard keeps the last hour of its own series' expected range, equal to
// what the production detector gives those points replayed in one stream (the series chart's band);
// a retried cycle changes nothing; an unreadable or unwritable band never fails a cycle or its pages;
// the health view serves the kept band under each tile's sparkline.
import {
  MemoryAlertStore,
  MemoryAnomalyStore,
  MemoryControlStore,
  MemoryMetricStore,
  MemoryRateLimiter,
  MemoryRecentBandStore,
} from '../../shared/adapters/memory-stores';
import { rounded } from '../../shared/adapters/recent-band-codec';
import { evaluateSeriesResumable } from '../../shared/domain/anomaly';
import { DetectorCache } from '../../shared/domain/detectors/detector-cache';
import type { RecentBands } from '../../shared/domain/recent-band';
import { type Shard, seriesOfShard, shardsOf } from '../../shared/domain/shards';
import { bucketConfigOf } from '../../shared/domain/token-bucket';
import type { MetricPoint } from '../../shared/domain/types';
import { DependencyError, ValidationError } from '../../shared/errors';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';
import type { RecentBandStore } from '../../shared/ports';
import { healthView, shardBandReader } from '../../shared/use-cases/dashboard';
import { noDataRules } from '../../shared/use-cases/raise-no-data';
import { type DetectCycleResult, runDetectCycle } from '../../shared/use-cases/run-detect-cycle';
import { recordingLog } from '../helpers/logs';

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 1, 0);
const HOSTS = ['web-1', 'web-2', 'web-3', 'api-1'];
const config = parseMonitorConfig({
  series: HOSTS.map((host) => ({
    metric: 'cpu_percent',
    namespace: 'Test',
    metricName: 'CPU',
    dimensions: { host },
    label: host,
    tags: { resource: host },
  })),
});
const series = expandSeries(config);
/** Three hours of minutes; the incident on web-2 in the last hour, so its band is judged against it. */
const MINUTES = 180;
const points: MetricPoint[] = series.flatMap((s, k) =>
  Array.from({ length: MINUTES }, (_, i) => ({
    series: s.id,
    ts: T0 + i * MIN,
    value: (s.tags.resource === 'web-2' && i >= 150 && i < 160 ? 90 : 30 + k) + 3 * Math.sin(i * 1.3 + k),
  })),
);
const END = T0 + MINUTES * MIN;

/** The rounding the stored encoding applies (a ten-thousandth of each range's width). */
const stored = (b: { ts: number; low: number; high: number }) => {
  const [low, high] = rounded(b.low, b.high);
  return { ts: b.ts, low, high };
};

/** Collect then run every shard's cycle every 5 minutes up to END; returns each cycle's results. */
async function runCycles(
  shards: readonly Shard[],
  bands: (shard: Shard) => RecentBandStore,
  options: {
    readonly from?: number;
    readonly repeatLast?: boolean;
    readonly outOfTime?: () => boolean;
  } = {},
) {
  const store = new MemoryMetricStore();
  const anomalies = new MemoryAnomalyStore();
  const control = new MemoryControlStore();
  const alerts = new MemoryAlertStore();
  const limiter = new MemoryRateLimiter(bucketConfigOf(config.alerts.rateLimit));
  const caches = shards.map(() => new DetectorCache());
  const log = recordingLog();
  const pages: string[] = [];
  const results: DetectCycleResult[] = [];
  let written = 0;
  const cycle = (now: number) =>
    Promise.all(
      shards.map((shard, i) =>
        runDetectCycle(
          {
            points: store,
            anomalies,
            control,
            alerts,
            limiter,
            publisher: {
              publish: async (m) => {
                pages.push(m.subject);
                return { messageId: `m${pages.length}` };
              },
            },
            deadLetter: { send: async () => undefined },
            clock: { now: () => now },
            log,
            config,
            series,
            noDataRules: noDataRules(config),
            detectorCache: caches[i]!,
            recentBands: bands(shard),
          },
          { shard, now, ...(options.outOfTime ? { outOfTime: options.outOfTime } : {}) },
        ),
      ),
    );
  let now = options.from ?? T0 + 30 * MIN;
  for (; now <= END; now += 5 * MIN) {
    // What collect has written by now: every point before it.
    await store.putPoints(points.filter((p) => p.ts < now && p.ts >= written));
    written = now;
    results.push(...(await cycle(now)));
  }
  const last = now - 5 * MIN;
  if (options.repeatLast) results.push(...(await cycle(last)));
  return { results, pages, log, store, anomalies, last };
}

describe('the band detect keeps for the health tiles', () => {
  it("keeps each shard's own series' last hour, equal to the detector's range over one replay", async () => {
    // Prepare
    const store = new MemoryRecentBandStore();
    const shards = shardsOf(2);

    // Act
    const run = await runCycles(shards, () => store);

    // Assess: each shard's object holds exactly its series, each the band of one stream replay
    for (const shard of shards) {
      const kept = (await store.load(shard))!;
      const own = seriesOfShard(series, shard, config.alerts.groupBy);
      expect(Object.keys(kept.series).sort()).toEqual(own.map((s) => s.id).sort());
      expect(kept.at).toBe(run.last);
      for (const spec of own) {
        const mine = points.filter((p) => p.series === spec.id && p.ts < run.last);
        const expected = evaluateSeriesResumable(
          spec,
          mine,
          run.last - 60 * MIN + 1,
          run.last,
          config.detection,
        ).band;
        expect(expected.length).toBeGreaterThan(50);
        expect(kept.series[spec.id]).toEqual(expected.map(stored));
      }
    }
    // The incident paged; keeping the band changed nothing about that.
    expect(run.pages.length).toBeGreaterThan(0);
    expect(run.results.every((r) => r.complete && r.bandSeries !== null)).toBe(true);
    // While the detector warms up (its first 60 points) there is no range to keep.
    expect(run.results[0]!.bandSeries).toBe(0);
  });

  it('changes nothing when a cycle is retried with the same time', async () => {
    // Prepare: the same cycles, once with the last one run twice
    const shard = shardsOf(1)[0]!;
    const retried = new MemoryRecentBandStore();
    const single = new MemoryRecentBandStore();

    // Act
    const run = await runCycles([shard], () => retried, { repeatLast: true });
    const once = await runCycles([shard], () => single);

    // Assess: the same kept band and the same pages
    expect(run.results.at(-1)!.bandSeries).toBe(HOSTS.length);
    const kept = await retried.load(shard);
    expect(Object.keys(kept!.series)).toHaveLength(HOSTS.length);
    expect(kept).toEqual(await single.load(shard));
    expect(run.pages).toEqual(once.pages);
  });

  it('never fails a cycle or its pages when the band cannot be read or written', async () => {
    // Prepare: one store unreachable for reads; one whose object is corrupt and whose writes fail every
    // other time
    const unreachable: RecentBandStore = {
      load: () => Promise.reject(new DependencyError('SlowDown')),
      save: () => Promise.reject(new Error('never asked')),
    };
    let saves = 0;
    const corrupt: RecentBandStore = {
      load: () => Promise.reject(new ValidationError('Recent band k is not gzipped JSON')),
      save: () => (saves++ % 2 ? Promise.reject(new Error('AccessDenied')) : Promise.resolve()),
    };

    // Act
    const down = await runCycles(shardsOf(1), () => unreachable);
    const bad = await runCycles(shardsOf(1), () => corrupt);
    const healthy = await runCycles(shardsOf(1), () => new MemoryRecentBandStore());

    // Assess: the same pages as with a healthy store, every cycle complete and its failure counted
    for (const run of [down, bad]) {
      expect(run.pages).toEqual(healthy.pages);
      expect(run.results.every((r) => r.complete && r.bandFailed)).toBe(true);
    }
    expect(healthy.results.some((r) => r.bandFailed)).toBe(false);
    const warnings = (run: typeof down) =>
      run.log.lines.filter((l) => l.level === 'warn').map((l) => l.message);
    // Unreachable: never overwritten with one cycle's minutes.
    expect(down.results.every((r) => r.bandSeries === null)).toBe(true);
    expect(warnings(down)).toEqual(down.results.map(() => 'Kept band unreadable; left for the next cycle'));
    // Corrupt: started afresh each cycle, every other write failing.
    expect(warnings(bad).filter((m) => m === 'Kept band corrupt; starting it afresh')).toHaveLength(
      bad.results.length,
    );
    expect(warnings(bad).filter((m) => m.startsWith('Kept band not written'))).toHaveLength(
      Math.floor(bad.results.length / 2),
    );
  });

  it('leaves the band to the next cycle when the run is out of time', async () => {
    const store = new MemoryRecentBandStore();
    const run = await runCycles(shardsOf(1), () => store, { outOfTime: () => true });
    expect(run.results.every((r) => r.bandSeries === null && !r.bandFailed)).toBe(true);
    expect(store.objects.size).toBe(0);
  });

  it('is what the health view draws under each tile, from every shard', async () => {
    // Prepare
    const bandStore = new MemoryRecentBandStore();
    const shards = shardsOf(2);
    const run = await runCycles(shards, () => bandStore);
    const kept = new Map<string, RecentBands>();
    for (const shard of shards) kept.set(String(shard.index), (await bandStore.load(shard))!);

    // Act
    const health = await healthView(
      {
        series,
        store: run.store,
        timeline: { listNewestFirst: async () => ({ items: [] }) } as never,
        keptBands: shardBandReader(bandStore, shards),
      },
      run.last,
    );

    // Assess
    for (const tile of health.series) {
      const mine = [...kept.values()].find((k) => k.series[tile.id])!.series[tile.id]!;
      expect(tile.sparklineBand).toEqual(mine.filter((b) => b.ts >= run.last - 60 * MIN));
      expect(tile.sparklineBand.length).toBeGreaterThan(50);
      // The line's points and the band's share their timestamps.
      expect(tile.sparklineBand.map((b) => b.ts)).toEqual(
        tile.sparkline.filter((p) => tile.sparklineBand.some((b) => b.ts === p.ts)).map((p) => p.ts),
      );
    }
  });

  it('buckets the band exactly as the sparkline when a fast series is downsampled', async () => {
    // Prepare: a 10-second series, 360 points and ranges in the hour
    const fast = { ...series[0]!, id: 'fast', period: 10 };
    const store = new MemoryMetricStore();
    const now = END;
    const ts = Array.from({ length: 360 }, (_, i) => now - (359 - i) * 10_000);
    await store.putPoints(ts.map((t, i) => ({ series: fast.id, ts: t, value: 30 + (i % 7) })));
    const band = ts.map((t, i) => ({ ts: t, low: 20 - (i % 5), high: 40 + (i % 3) }));

    // Act
    const health = await healthView(
      {
        series: [fast],
        store,
        timeline: { listNewestFirst: async () => ({ items: [] }) } as never,
        keptBands: async () => new Map([[fast.id, band]]),
      },
      now,
    );

    // Assess: 60 buckets each, on the same timestamps, each bucket's band its widest range
    const tile = health.series[0]!;
    expect(tile.sparkline).toHaveLength(60);
    expect(tile.sparklineBand.map((b) => b.ts)).toEqual(tile.sparkline.map((p) => p.ts));
    const width = 60_000;
    for (const b of tile.sparklineBand) {
      const inBucket = band.filter((x) => x.ts >= b.ts && x.ts < b.ts + width);
      expect(b.low).toBe(Math.min(...inBucket.map((x) => x.low)));
      expect(b.high).toBe(Math.max(...inBucket.map((x) => x.high)));
    }
  });

  it('leaves a tile without band, and says why, when its shard cannot be read', async () => {
    const store = new MemoryMetricStore();
    await store.putPoints(points.filter((p) => p.ts < END));
    const log = recordingLog();
    const health = await healthView(
      {
        series,
        store,
        timeline: { listNewestFirst: async () => ({ items: [] }) } as never,
        keptBands: shardBandReader(
          { load: () => Promise.reject(new Error('AccessDenied')), save: async () => undefined },
          shardsOf(1),
          log,
        ),
      },
      END,
    );
    expect(health.series.every((s) => s.sparklineBand.length === 0 && s.sparkline.length > 0)).toBe(true);
    expect(log.lines).toEqual([
      {
        level: 'warn',
        message: 'Kept band unreadable; its tiles draw no band',
        extra: { shard: 'all', error: 'AccessDenied' },
      },
    ]);
  });
});
