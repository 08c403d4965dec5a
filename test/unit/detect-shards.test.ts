// Sharding the detect cycle: stable assignment by alert group, shard plans from the measured budget,
// checkpoint saves spread over the runs, the shard event, and a run cut short that resumes on retry.
import { parseShardInvocation } from '../../functions/events';
import {
  MemoryAnomalyStore,
  MemoryCheckpointStore,
  MemoryControlStore,
  MemoryMetricStore,
} from '../../shared/adapters/memory-stores';
import { DetectorCache } from '../../shared/domain/detectors/detector-cache';
import { createRng } from '../../shared/domain/random';
import {
  groupKeyOf,
  planShards,
  type ShardBudget,
  seriesOfShard,
  seriesPerShard,
  shardJobName,
  shardOf,
} from '../../shared/domain/shards';
import type { SeriesSpec } from '../../shared/domain/types';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';
import { checkpointDue, detectAnomalies } from '../../shared/use-cases/detect-anomalies';
import { detectJobOf } from '../../shared/use-cases/run-detect-cycle';
import { recordingLog } from '../helpers/logs';

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 1);

const specs = (n: number, perResource = 2): Pick<SeriesSpec, 'id' | 'tags' | 'label'>[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `s${i}`,
    label: `cpu host-${Math.floor(i / perResource)}`,
    tags: { resource: `host-${Math.floor(i / perResource)}` },
  }));

describe('shard assignment', () => {
  it('keeps every series of one alert group in one shard, the same on every call', () => {
    const series = specs(400, 4);
    for (const count of [2, 3, 7]) {
      const byGroup = new Map<string, Set<number>>();
      for (const s of series) {
        const key = groupKeyOf(s, 'resource');
        byGroup.set(key, (byGroup.get(key) ?? new Set()).add(shardOf(s, 'resource', count)));
      }
      for (const shards of byGroup.values()) expect(shards.size).toBe(1);
      const union = Array.from({ length: count }, (_, index) =>
        seriesOfShard(series, { index, count }, 'resource'),
      );
      expect(
        union
          .flat()
          .map((s) => s.id)
          .sort(),
      ).toEqual(series.map((s) => s.id).sort());
    }
    // Stable: a fixed key always lands in the same shard (FNV-1a is machine-independent).
    expect(shardOf({ tags: { resource: 'web-1' }, label: 'x' }, 'resource', 8)).toBe(
      shardOf({ tags: { resource: 'web-1' }, label: 'y' }, 'resource', 8),
    );
  });

  it('falls back to the label when a series has no group tag, as planAlerts does', () => {
    expect(groupKeyOf({ tags: {}, label: 'cpu web-9' }, 'resource')).toBe('cpu web-9');
  });

  it('names watermarks so the single-shard fleet keeps its historical ones', () => {
    expect(detectJobOf({ index: 0, count: 1 })).toBe('detect');
    expect(detectJobOf({ index: 2, count: 8 })).toBe('detect#2of8');
    expect(shardJobName('collect', { index: 0, count: 3 })).toBe('collect#0of3');
  });
});

describe('shard plan', () => {
  const budget: ShardBudget = {
    memoryMb: 256,
    timeoutSeconds: 120,
    baseMb: 64,
    heapBytesPerSeries: 64 * 1024,
    cpuSecondsPerSeriesCold: 0.01,
  };

  it('takes the smaller of the memory and the time budget at half of each', () => {
    // Memory: (128 − 64) MB / 64 KiB = 1,024. Time: 60 s × (256/1769 vCPU) / 0.01 s = 868.
    expect(seriesPerShard(budget)).toBe(868);
    expect(seriesPerShard({ ...budget, memoryMb: 1769 })).toBe(6000);
  });

  it('adds shards until the largest (hashing is uneven) fits', () => {
    const plan = planShards(specs(10_000, 5), 'resource', budget);
    expect(plan.count).toBeGreaterThanOrEqual(Math.ceil(10_000 / plan.capacity));
    expect(plan.largest).toBeLessThanOrEqual(plan.capacity);
    expect(plan.sizes.reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(planShards(specs(50), 'resource', budget).count).toBe(1);
  });

  it('refuses a function too small for one series, and a fleet past the most shards', () => {
    expect(() => planShards(specs(1), 'resource', { ...budget, memoryMb: 128 })).toThrow(
      /cannot hold one series/,
    );
    expect(() => planShards(specs(100_000, 1), 'resource', budget)).toThrow(/more than 40 detect shards/);
  });
});

describe('staggered checkpoint saves', () => {
  it('spreads a fleet saved hourly evenly over the 5-minute runs, each series once an hour', () => {
    const every = 60 * MIN;
    const ids = Array.from({ length: 1200 }, (_, i) => `AWS/EC2/CPUUtilization/InstanceId=i-${i}/Average/60`);
    const savedAt = new Map(ids.map((id) => [id, T0] as const));
    const perRun: number[] = [];
    for (let now = T0 + 5 * MIN; now <= T0 + 4 * every; now += 5 * MIN) {
      let n = 0;
      for (const id of ids) {
        if (checkpointDue(id, savedAt.get(id)!, now, every)) {
          savedAt.set(id, now);
          n++;
        }
      }
      perRun.push(n);
    }
    // After the first hour every run saves about 1/12 of the fleet — never all at once.
    const steady = perRun.slice(12);
    expect(steady.reduce((a, b) => a + b, 0)).toBe(3 * ids.length);
    for (const n of steady) {
      expect(n).toBeGreaterThan(ids.length / 12 / 2);
      expect(n).toBeLessThan((ids.length / 12) * 2);
    }
  });

  it('saves a series with none saved at once, and never the same checkpoint twice', () => {
    expect(checkpointDue('a', Number.NEGATIVE_INFINITY, T0, 60 * MIN)).toBe(true);
    expect(checkpointDue('a', T0, T0, 0)).toBe(false);
    expect(checkpointDue('a', T0, T0 + 1, 0)).toBe(true);
  });
});

describe('shard invocation', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  it('takes the time and shard the state machine sends', () => {
    expect(
      parseShardInvocation({ time: '2026-12-01T11:55:00Z', shard: { index: 2, count: 8 } }, now),
    ).toEqual({
      ok: true,
      now: Date.parse('2026-12-01T11:55:00Z'),
      shard: { index: 2, count: 8 },
    });
    expect(parseShardInvocation({}, now)).toEqual({
      ok: true,
      now: undefined,
      shard: { index: 0, count: 1 },
    });
  });

  it('names the bad field', () => {
    const r = parseShardInvocation({ shard: { index: 8, count: 8 } }, now);
    expect(r).toEqual({ ok: false, issues: ['shard.index: index must be below count'] });
    const extra = parseShardInvocation({ shard: { index: 0, count: 2, size: 1 } }, now);
    expect(extra.ok).toBe(false);
    expect(parseShardInvocation({ shard: 3, time: 'soon' }, now)).toMatchObject({ ok: false });
  });
});

describe('a run cut short by its deadline', () => {
  const config = parseMonitorConfig({
    series: Array.from({ length: 6 }, (_, i) => ({
      metric: 'cpu_percent',
      namespace: 'T',
      metricName: 'cpu',
      dimensions: { host: `h${i}` },
    })),
  });
  const series = expandSeries(config);

  async function seeded() {
    const store = new MemoryMetricStore();
    const rng = createRng(3);
    const points = series.flatMap((s, k) =>
      Array.from({ length: 300 }, (_, i) => ({
        series: s.id,
        ts: T0 + i * MIN,
        // Host k spikes at minute 280 + k: every series has an anomaly in the last run's window.
        value: i === 280 + k ? 400 : rng.normal(50, 2),
      })),
    );
    await store.putPoints(points);
    return store;
  }

  it('records what finished, holds the watermark, and the retry (cold, same now) resumes the rest', async () => {
    // Prepare
    const store = await seeded();
    const anomalies = new MemoryAnomalyStore();
    const control = new MemoryControlStore();
    const checkpoints = new MemoryCheckpointStore();
    const now = T0 + 300 * MIN;
    await control.advanceWatermark('detect', now - 30 * MIN);
    const base = {
      store,
      anomalies,
      control,
      clock: { now: () => now },
      log: recordingLog(),
      series,
      detection: config.detection,
      checkpoints,
      concurrency: 1,
    };
    let started = 0;
    // Act: out of time after two series; then a retry in a fresh container (empty cache)
    const cut = await detectAnomalies({
      ...base,
      detectorCache: new DetectorCache(),
      outOfTime: () => started++ >= 2,
    });
    const heldAt = await control.getWatermark('detect');
    const retryCache = new DetectorCache();
    const retry = await detectAnomalies({ ...base, detectorCache: retryCache });
    // Assess
    expect(cut.seriesUnfinished).toHaveLength(4);
    expect(cut.recorded.map((a) => a.series)).toEqual(series.slice(0, 2).map((s) => s.id));
    expect(cut.checkpointsSaved).toBe(2); // the warmed ones persisted for the retry
    expect(heldAt).toBe(now - 30 * MIN);
    expect(retry.seriesUnfinished).toEqual([]);
    expect(retry.checkpointsRestored).toBe(2);
    // The two finished series are not judged again: only the other four record, once each.
    expect(retry.recorded.map((a) => a.series).sort()).toEqual(
      series
        .slice(2)
        .map((s) => s.id)
        .sort(),
    );
    expect(retry.alreadyRecorded).toBe(0);
    expect(await control.getWatermark('detect')).toBe(now);
    expect(retryCache.size).toBe(6);
  });
});
