// detectAnomalies' first-sight backfill, maintenance-window exclusion and invalid-value counts (issue 12),
// over the in-memory stores and a scripted metric source.
import {
  MemoryAnomalyStore,
  MemoryControlStore,
  MemoryMetricStore,
} from '../../shared/adapters/memory-stores';
import type { MaintenanceWindow } from '../../shared/domain/alerting';
import { DetectorCache } from '../../shared/domain/detectors/detector-cache';
import { createRng } from '../../shared/domain/random';
import type { MetricPoint, SeriesSpec } from '../../shared/domain/types';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';
import type { FetchResult, MetricSource } from '../../shared/ports';
import { backfillSpanMs, DETECT_JOB, detectAnomalies } from '../../shared/use-cases/detect-anomalies';
import { recordingLog } from '../helpers/logs';

const MIN = 60_000;
const DAY = 1440 * MIN;
const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
const config = parseMonitorConfig({
  series: [
    {
      metric: 'requests',
      namespace: 'App',
      metricName: 'Requests',
      unit: 'count',
      tags: { resource: 'web' },
    },
  ],
});
const [spec] = expandSeries(config) as [SeriesSpec];
const rng = createRng(3);
/** A daily pattern: 500 ± 300, peak at 06:00 UTC. */
const daily = (ts: number) => 500 + 300 * Math.sin((2 * Math.PI * (ts % DAY)) / DAY) + rng.normal(0, 10);

class ScriptedSource implements MetricSource {
  calls: { start: number; end: number }[] = [];
  constructor(private readonly fail = false) {}
  async fetch(specs: readonly SeriesSpec[], start: number, end: number): Promise<FetchResult> {
    this.calls.push({ start, end });
    if (this.fail) throw new Error('throttled');
    const points: MetricPoint[] = [];
    for (const s of specs)
      for (let ts = Math.ceil(start / MIN) * MIN; ts < end; ts += MIN)
        points.push({ series: s.id, ts, value: daily(ts) });
    return { points, skipped: 0, calls: 1, warnings: [] };
  }
}

/** A store with the last `hours` of the series, and detect's watermark 5 minutes back. */
async function deps(hours: number, value: (ts: number) => number = daily) {
  const store = new MemoryMetricStore();
  const points: MetricPoint[] = [];
  for (let ts = NOW - hours * 60 * MIN; ts <= NOW; ts += MIN)
    points.push({ series: spec.id, ts, value: value(ts) });
  await store.putPoints(points);
  const control = new MemoryControlStore();
  await control.advanceWatermark(DETECT_JOB, NOW - 5 * MIN);
  return {
    store,
    anomalies: new MemoryAnomalyStore(),
    control,
    clock: { now: () => NOW },
    log: recordingLog(),
    series: [spec],
    detection: config.detection,
    detectorCache: new DetectorCache(),
  };
}

describe('detect: backfill on first sight', () => {
  it('asks the source once for the two weeks the weekly baseline needs and learns them (no write-back)', async () => {
    const d = await deps(2);
    const source = new ScriptedSource();
    const r = await detectAnomalies({ ...d, backfill: source });
    expect(source.calls).toHaveLength(1);
    expect(source.calls[0]!.start).toBe(NOW - backfillSpanMs(60, config.detection.seasonality));
    expect(backfillSpanMs(60, config.detection.seasonality)).toBe(15 * DAY);
    expect(r.pointsBackfilled).toBeGreaterThan(14 * 1440);
    expect(r.backfillErrors).toBe(0);
    expect(r.seriesLearning).toEqual([]);
    // Learned, not written back: the store holds only what collect wrote.
    expect(await d.store.queryRange(spec.id, NOW - 15 * DAY, NOW)).toHaveLength(121);
    // Once per process: the next run resumes from its checkpoint and does not ask again.
    await detectAnomalies({ ...d, backfill: source }, { now: NOW + 5 * MIN });
    expect(source.calls).toHaveLength(1);
  });

  it('does not ask when the store already holds the history', async () => {
    const d = await deps(15 * 24);
    const source = new ScriptedSource();
    const r = await detectAnomalies({ ...d, backfill: source });
    expect(source.calls).toEqual([]);
    expect(r.pointsBackfilled).toBe(0);
  });

  it('counts and logs a failed backfill, and judges the series from what it has', async () => {
    const d = await deps(2);
    const r = await detectAnomalies({ ...d, backfill: new ScriptedSource(true) });
    expect(r.backfillErrors).toBe(1);
    expect(r.seriesFailed).toEqual([]);
    expect(r.seriesEvaluated).toBe(1);
    expect(d.log.lines.map((l) => l.message)).toContain(
      'Backfill failed; the series is judged from the points it has',
    );
  });

  it('backfills at most backfillSeriesPerRun series a run; the others stay cold and go next run', async () => {
    const two = expandSeries(
      parseMonitorConfig({
        series: ['a', 'b'].map((host) => ({
          metric: 'requests',
          namespace: 'App',
          metricName: 'Requests',
          unit: 'count',
          dimensions: { host },
        })),
      }),
    );
    const d = await deps(2);
    for (const s of two) {
      const points: MetricPoint[] = [];
      for (let ts = NOW - 2 * 60 * MIN; ts <= NOW; ts += MIN)
        points.push({ series: s.id, ts, value: daily(ts) });
      await d.store.putPoints(points);
    }
    const source = new ScriptedSource();
    const detection = { ...config.detection, backfillSeriesPerRun: 1 };
    const first = await detectAnomalies({ ...d, series: two, detection, backfill: source });
    expect(source.calls).toHaveLength(1);
    expect(first.seriesEvaluated).toBe(2);
    await detectAnomalies({ ...d, series: two, detection, backfill: source }, { now: NOW + 5 * MIN });
    expect(source.calls).toHaveLength(2);
    await detectAnomalies({ ...d, series: two, detection, backfill: source }, { now: NOW + 10 * MIN });
    expect(source.calls).toHaveLength(2);
  });

  it('keeps CloudWatch retention: 5-minute data 63 days, sub-minute 3 hours, no seasonality one day', () => {
    const s = config.detection.seasonality;
    expect(backfillSpanMs(300, { ...s, weeks: 0 })).toBe(3 * DAY);
    expect(backfillSpanMs(10, s)).toBe(3 * 3_600_000);
    expect(backfillSpanMs(60, { ...s, enabled: false })).toBe(DAY);
  });
});

describe('detect: young series', () => {
  it('says when a series without enough history gets its first full verdict ("learning until")', async () => {
    const d = await deps(0.5); // 31 one-minute points: 29 to go before the 60th
    const r = await detectAnomalies(d);
    expect(r.seriesLearning).toEqual([{ series: spec.id, until: NOW + (60 - 31) * MIN }]);
  });
});

describe('detect: what is never learned', () => {
  it('counts values the metric cannot take (negative counts) and skips them', async () => {
    const d = await deps(3, (ts) => (ts === NOW - 2 * MIN ? -4 : 100 + rng.normal(0, 2)));
    const r = await detectAnomalies(d);
    expect(r.pointsInvalid).toBe(1);
    expect(r.recorded).toEqual([]);
  });

  it('does not learn a maintenance window as normal: the same load after it still pages', async () => {
    // Two days at 100; a 3-hour maintenance at 400 yesterday; the same 400 now.
    const maintenanceStart = NOW - DAY;
    const value = (ts: number) =>
      (ts >= maintenanceStart && ts < maintenanceStart + 180 * MIN) || ts >= NOW - 3 * MIN
        ? 400
        : 100 + rng.normal(0, 3);
    const window: MaintenanceWindow = {
      id: 'w1',
      tags: { resource: 'web' },
      schedule: { kind: 'once', start: maintenanceStart, end: maintenanceStart + 180 * MIN },
      reason: 'planned load test',
    };
    const muted = await deps(48, value);
    const withWindow = await detectAnomalies({
      ...muted,
      maintenance: { listWindows: async () => [window] },
    });
    expect(withWindow.recorded.filter((a) => a.ts >= NOW - 3 * MIN).length).toBeGreaterThanOrEqual(1);
  });
});
