import {
  MemoryAnomalyStore,
  MemoryCheckpointStore,
  MemoryControlStore,
  MemoryMetricStore,
} from '../../shared/adapters/memory-stores';
import { DetectorCache } from '../../shared/domain/detectors/detector-cache';
import { createRng } from '../../shared/domain/random';
import type { MetricPoint, SeriesSpec } from '../../shared/domain/types';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';
import type {
  CheckpointStore,
  FetchResult,
  MetricSource,
  MetricStore,
  WriteResult,
} from '../../shared/ports';
import { COLLECT_JOB, collectMetrics } from '../../shared/use-cases/collect-metrics';
import { DETECT_JOB, detectAnomalies } from '../../shared/use-cases/detect-anomalies';
import { recordingLog } from '../helpers/logs';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const config = parseMonitorConfig({
  series: [
    {
      metric: 'cpu_percent',
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensions: { InstanceId: 'i-1' },
    },
    { metric: 'queue_depth', namespace: 'AWS/SQS', metricName: 'Depth', dimensions: { QueueName: 'q' } },
  ],
  // The window arithmetic below is easier to read without the CloudWatch settle delay; tested apart.
  collection: { settleMinutes: 0 },
});
const series = expandSeries(config);

/** A source that serves a fixed function of (series, minute), with NaN where asked. */
class FunctionSource implements MetricSource {
  public calls: { start: number; end: number }[] = [];
  public constructor(private readonly f: (s: SeriesSpec, ts: number) => number) {}
  public async fetch(specs: readonly SeriesSpec[], start: number, end: number): Promise<FetchResult> {
    this.calls.push({ start, end });
    const points: MetricPoint[] = [];
    let skipped = 0;
    for (const s of specs) {
      for (let ts = Math.ceil(start / MIN) * MIN; ts < end; ts += MIN) {
        const value = this.f(s, ts);
        if (Number.isFinite(value)) points.push({ series: s.id, ts, value });
        else skipped++;
      }
    }
    return { points, skipped, calls: 1, warnings: [] };
  }
}

function collectDeps(source: MetricSource, store: MetricStore = new MemoryMetricStore()) {
  return {
    source,
    store,
    control: new MemoryControlStore(),
    clock: { now: () => T0 },
    log: recordingLog(),
    series,
    collection: config.collection,
  };
}

describe('collectMetrics', () => {
  it('first run looks back maxLookbackMinutes, then resumes from the watermark minus the overlap', async () => {
    const source = new FunctionSource(() => 1);
    const deps = collectDeps(source);
    const first = await collectMetrics(deps, { now: T0 + 30_000 });
    expect(first.end).toBe(T0);
    expect(first.start).toBe(T0 - 180 * MIN);
    expect(first.fetched).toBe(2 * 180);
    expect(await deps.control.getWatermark(COLLECT_JOB)).toBe(T0);
    const second = await collectMetrics(deps, { now: T0 + 5 * MIN });
    expect(second.start).toBe(T0 - 10 * MIN);
    expect(second.end).toBe(T0 + 5 * MIN);
  });

  it('stops settleMinutes before now so the still-filling CloudWatch minute is not stored', async () => {
    const deps = {
      ...collectDeps(new FunctionSource(() => 1)),
      collection: { ...config.collection, settleMinutes: 2 },
    };
    const r = await collectMetrics(deps, { now: T0 + 30_000 });
    expect(r.end).toBe(T0 - 2 * MIN);
  });

  it('is idempotent: re-running a window stores no duplicates', async () => {
    const store = new MemoryMetricStore();
    const deps = collectDeps(new FunctionSource(() => 2), store);
    await collectMetrics(deps, { now: T0 });
    const size = store.size();
    await collectMetrics({ ...deps, control: new MemoryControlStore() }, { now: T0 });
    expect(store.size()).toBe(size);
  });

  it('does not rewrite overlap points already stored unchanged, but writes late or corrected ones', async () => {
    let revised = false;
    const store = new MemoryMetricStore();
    const deps = collectDeps(
      new FunctionSource((_s, ts) => (revised && ts === T0 - 3 * MIN ? 99 : 1)),
      store,
    );
    await collectMetrics(deps, { now: T0 });
    revised = true;
    const second = await collectMetrics(deps, { now: T0 + 5 * MIN });
    // Window T0−10 min … T0+5 min: 10 overlap minutes (one changed) + 5 new minutes, for 2 series.
    expect(second.fetched).toBe(30);
    expect(second.unchanged).toBe(18);
    expect(second.written).toBe(12);
    expect((await store.queryRange(series[0]!.id, T0 - 3 * MIN, T0 - 3 * MIN))[0]!.value).toBe(99);
  });

  it('skips and counts NaN points', async () => {
    const deps = collectDeps(new FunctionSource((_s, ts) => (ts % (2 * MIN) === 0 ? Number.NaN : 3)));
    const r = await collectMetrics(deps, { now: T0 });
    expect(r.skipped).toBe(180);
    expect(r.written).toBe(180);
  });

  it('holds the watermark before points that failed to store, and reports them', async () => {
    const failing: MetricStore = {
      async putPoints(points): Promise<WriteResult> {
        const failed = points.filter((p) => p.ts >= T0 - 30 * MIN);
        return { written: points.length - failed.length, failed, rejected: [] };
      },
      queryRange: async () => [],
    };
    const deps = collectDeps(new FunctionSource(() => 1), failing);
    const r = await collectMetrics(deps, { now: T0 });
    expect(r.failed).toBe(60);
    expect(await deps.control.getWatermark(COLLECT_JOB)).toBe(T0 - 30 * MIN);
    expect(deps.log.lines.some((l) => l.level === 'error' && l.extra?.failed === 60)).toBe(true);
  });
});

describe('detectAnomalies', () => {
  async function seeded(values: (s: SeriesSpec, i: number) => number, minutes = 120) {
    const store = new MemoryMetricStore();
    const points: MetricPoint[] = [];
    for (const s of series) {
      for (let i = 0; i < minutes; i++) points.push({ series: s.id, ts: T0 + i * MIN, value: values(s, i) });
    }
    await store.putPoints(points);
    const deps = {
      store,
      anomalies: new MemoryAnomalyStore(),
      control: new MemoryControlStore(),
      clock: { now: () => T0 + minutes * MIN },
      log: recordingLog(),
      series,
      detection: config.detection,
    };
    return deps;
  }

  const noisy = (s: SeriesSpec, i: number) => (s.metric === 'cpu_percent' ? 40 : 100) + ((i * 7) % 5);

  it('records the spike on the right series with its explanation, once', async () => {
    const deps = await seeded((s, i) => (s.metric === 'cpu_percent' && i === 115 ? 99 : noisy(s, i)));
    await deps.control.advanceWatermark(DETECT_JOB, T0 + 110 * MIN);
    const r = await detectAnomalies(deps);
    expect(r.from).toBe(T0 + 100 * MIN);
    expect(r.recorded).toHaveLength(1);
    const a = r.recorded[0]!;
    expect(a).toMatchObject({ metric: 'cpu_percent', ts: T0 + 115 * MIN, value: 99, severity: 'critical' });
    expect(a.methods).toContain('zscore');
    expect(deps.log.lines.some((l) => l.message.startsWith('Anomaly: cpu_percent i-1 = 99'))).toBe(true);
    const again = await detectAnomalies(
      { ...deps, control: new MemoryControlStore() },
      { now: T0 + 120 * MIN },
    );
    expect(again.recorded).toHaveLength(0);
    expect(again.alreadyRecorded).toBe(1);
  });

  it('first run evaluates only the late-overlap span; the watermark then advances', async () => {
    const deps = await seeded((s, i) => (s.metric === 'queue_depth' && i === 50 ? 1000 : noisy(s, i)));
    const r = await detectAnomalies(deps);
    expect(r.from).toBe(T0 + 110 * MIN);
    expect(r.recorded).toHaveLength(0);
    expect(await deps.control.getWatermark(DETECT_JOB)).toBe(T0 + 120 * MIN);
  });

  it('applies per-metric sensitivity', async () => {
    // 49 clears the young series' bar (a new range) only at full sensitivity; 112 at both.
    const deps = await seeded((s, i) => (i === 115 ? (s.metric === 'cpu_percent' ? 49 : 112) : noisy(s, i)));
    await deps.control.advanceWatermark(DETECT_JOB, T0 + 110 * MIN);
    const strict = await detectAnomalies(deps);
    expect(strict.recorded.length).toBe(2);
    const lenient = await detectAnomalies({
      ...deps,
      anomalies: new MemoryAnomalyStore(),
      sensitivityOf: async (metric) => (metric === 'cpu_percent' ? 1.5 : 1),
    });
    expect(lenient.recorded.map((a) => a.metric)).toEqual(['queue_depth']);
  });

  it('reports a failing series, keeps the others, and holds the watermark', async () => {
    const deps = await seeded((s, i) => (i === 115 ? 999 : noisy(s, i)));
    await deps.control.advanceWatermark(DETECT_JOB, T0 + 110 * MIN);
    const inner = deps.store;
    const store: MetricStore = {
      putPoints: (p) => inner.putPoints(p),
      queryRange: async (id, a, b) => {
        if (id === series[0]!.id) throw new Error('throttled');
        return inner.queryRange(id, a, b);
      },
    };
    const r = await detectAnomalies({ ...deps, store });
    expect(r.seriesFailed).toEqual([series[0]!.id]);
    expect(r.recorded.map((a) => a.metric)).toEqual(['queue_depth']);
    expect(await deps.control.getWatermark(DETECT_JOB)).toBe(T0 + 110 * MIN);
  });

  it('with a detector cache, scheduled runs read only new points and record exactly what fresh runs do', async () => {
    // 10 hours of noise with spikes and a level shift; detect every 5 minutes, with and without a cache.
    const rng = createRng(3);
    const values = new Map(series.map((s) => [s.id, Array.from({ length: 600 }, () => rng.normal(50, 2))]));
    const cpu = values.get(series[0]!.id)!;
    cpu[250] = 90;
    cpu[400] = 20;
    for (let i = 480; i < 600; i++) cpu[i]! += 9;
    const run = async (cache?: DetectorCache) => {
      const deps = await seeded((s, i) => values.get(s.id)![i]!, 600);
      await deps.control.advanceWatermark(DETECT_JOB, T0 + 150 * MIN);
      const recorded: string[] = [];
      let pointsRead = 0;
      for (let now = T0 + 155 * MIN; now <= T0 + 600 * MIN; now += 5 * MIN) {
        const r = await detectAnomalies({
          ...deps,
          clock: { now: () => now },
          ...(cache ? { detectorCache: cache } : {}),
        });
        recorded.push(...r.recorded.map((a) => `${a.series}@${(a.ts - T0) / MIN}:${a.severity}`));
        pointsRead += r.pointsRead;
      }
      return { recorded, pointsRead };
    };
    const fresh = await run();
    const cached = await run(new DetectorCache());
    expect(cached.recorded).toEqual(fresh.recorded);
    expect(fresh.recorded.some((r) => r.endsWith('@250:critical'))).toBe(true);
    expect(cached.pointsRead).toBeLessThan(fresh.pointsRead / 5);
  });

  describe('with persisted checkpoints', () => {
    // 10 hours as above; every 6th run is a cold start (a new process: empty cache, same store).
    const rng = createRng(5);
    const values = new Map(series.map((s) => [s.id, Array.from({ length: 600 }, () => rng.normal(50, 2))]));
    const cpu = values.get(series[0]!.id)!;
    cpu[250] = 90;
    for (let i = 480; i < 600; i++) cpu[i]! += 9;
    const run = async (opts: { store?: CheckpointStore; coldEvery?: number; everyMinutes?: number }) => {
      const deps = await seeded((s, i) => values.get(s.id)![i]!, 600);
      await deps.control.advanceWatermark(DETECT_JOB, T0 + 150 * MIN);
      const detection = { ...deps.detection, checkpointEveryMinutes: opts.everyMinutes ?? 60 };
      const recorded: string[] = [];
      const coldReads: number[] = [];
      let cache = new DetectorCache();
      let k = 0;
      let restored = 0;
      let errors = 0;
      for (let now = T0 + 155 * MIN; now <= T0 + 600 * MIN; now += 5 * MIN, k++) {
        const cold = opts.coldEvery !== undefined && k > 0 && k % opts.coldEvery === 0;
        if (cold) cache = new DetectorCache();
        const r = await detectAnomalies({
          ...deps,
          detection,
          clock: { now: () => now },
          detectorCache: cache,
          ...(opts.store ? { checkpoints: opts.store } : {}),
        });
        recorded.push(...r.recorded.map((a) => `${a.series}@${(a.ts - T0) / MIN}:${a.severity}`));
        if (cold) coldReads.push(r.pointsRead);
        restored += r.checkpointsRestored;
        errors += r.checkpointErrors;
      }
      return { recorded, coldReads, restored, errors, log: deps.log };
    };

    it('a cold start resumes from the stored checkpoint: the same records as a warm process, few points read', async () => {
      const warm = await run({});
      const store = new MemoryCheckpointStore();
      const cold = await run({ store, coldEvery: 6, everyMinutes: 20 });
      expect(warm.recorded.some((r) => r.endsWith('@250:critical'))).toBe(true);
      expect(cold.recorded).toEqual(warm.recorded);
      expect(cold.restored).toBe(2 * cold.coldReads.length); // both series, every cold start
      expect(cold.errors).toBe(0);
      // Each cold start read what is newer than a checkpoint ≤ 20 min old: far less than the memory.
      for (const n of cold.coldReads) expect(n).toBeLessThan(2 * 40);
      // Saved when 20 minutes newer: about every 4th run, not every run.
      expect(store.saves).toBeGreaterThan(10);
      expect(store.saves).toBeLessThan(2 * 25);
      // Without a store the same cold starts re-read their whole memory (here: everything since T0).
      const bare = await run({ coldEvery: 6 });
      for (const n of bare.coldReads) expect(n).toBeGreaterThan(2 * 150);
    });

    it('a store that fails to load or save never fails detection: logged, counted, re-warmed', async () => {
      const warm = await run({});
      const broken: CheckpointStore = {
        load: async () => {
          throw new Error('AccessDenied');
        },
        save: async () => {
          throw new Error('SlowDown');
        },
      };
      const r = await run({ store: broken, coldEvery: 6 });
      expect(r.recorded).toEqual(warm.recorded);
      expect(r.restored).toBe(0);
      expect(r.errors).toBeGreaterThan(0);
      const warnings = r.log.lines.filter((l) => l.level === 'warn').map((l) => l.message);
      expect(warnings).toContain('Detector checkpoint unusable; re-warming the series from its points');
      expect(warnings).toContain('Detector checkpoint not saved; the next run tries again');
    });

    it('a checkpoint taken at another sensitivity is not resumed, and is replaced', async () => {
      const store = new MemoryCheckpointStore();
      await run({ store });
      const before = store.saves;
      const deps = await seeded((s, i) => values.get(s.id)![i]!, 600);
      await deps.control.advanceWatermark(DETECT_JOB, T0 + 595 * MIN);
      const r = await detectAnomalies({
        ...deps,
        detectorCache: new DetectorCache(),
        checkpoints: store,
        sensitivityOf: async () => 1.2,
      });
      expect(r.checkpointsRestored).toBe(0);
      expect(r.checkpointErrors).toBe(0);
      expect(store.saves).toBe(before + 2);
    });

    it('a checkpoint older than the detector memory is not resumed (the gap would be judged blind)', async () => {
      const store = new MemoryCheckpointStore();
      await run({ store });
      const deps = await seeded((s, i) => values.get(s.id)![i]!, 600);
      const later = T0 + (600 + 14_000) * MIN; // the memory is 13,100 one-minute points
      await deps.control.advanceWatermark(DETECT_JOB, later - 5 * MIN);
      const r = await detectAnomalies({
        ...deps,
        clock: { now: () => later },
        detectorCache: new DetectorCache(),
        checkpoints: store,
      });
      expect(r.checkpointsRestored).toBe(0);
      expect(r.checkpointErrors).toBe(0);
      expect(r.seriesFailed).toEqual([]);
    });
  });

  it('never crashes or records anything on NaN-laden or constant series', async () => {
    const deps = await seeded((s, i) => (s.metric === 'cpu_percent' ? 5 : i % 3 === 0 ? Number.NaN : 50));
    await deps.control.advanceWatermark(DETECT_JOB, T0);
    const r = await detectAnomalies(deps);
    expect(r.recorded).toEqual([]);
    expect(r.seriesFailed).toEqual([]);
  });
});
