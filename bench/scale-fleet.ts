// bench:scale's synthetic fleet: N one-minute series (a few metrics × many hosts, a `resource` tag per
// host) with daily and weekly shapes plus seeded noise, the monitor config that watches them, the
// detectors warmed on two weeks of their history, and a fake CloudWatch that serves their points to the
// real CloudWatchMetricSource (counting what GetMetricData would bill).
//
// Warming 10,000 detectors on 15 days each (216 M points) would take most of an hour, so the history is
// shared: every series of one metric and "variant" (host index mod `variants`) has the same history up
// to the warm-up instant, generated and streamed once through the production loop
// (evaluateSeriesResumable); each series gets its own deep copy (clone) of that detector, so its state
// is exactly what streaming its own history would have built. From the warm-up instant on, every series
// draws its own noise (and incidents), so the cycles judge distinct data.
import type { CloudWatchClient, GetMetricDataCommand, MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { encodeCheckpoint } from '../shared/adapters/checkpoint-codec';
import { MAX_SERIES } from '../shared/config/limits';
import { evaluateSeriesResumable } from '../shared/domain/anomaly';
import type { SeriesDetector } from '../shared/domain/detectors/series-detector';
import { createRng } from '../shared/domain/random';
import type { MetricPoint, SeriesSpec } from '../shared/domain/types';
import {
  expandSeries,
  type MonitorConfig,
  type MonitorConfigInput,
  MonitorConfigSchema,
  parseMonitorConfig,
} from '../shared/monitor-config';

export const MINUTE = 60_000;
const DAY = 1440 * MINUTE;
/** The instant the fleet's detectors were warmed up to: a Monday 00:00 UTC. */
export const T0 = Date.UTC(2026, 10, 16);
/** Days of history streamed per detector: what backfill on first sight fetches with weekly seasonality. */
export const HISTORY_DAYS = 15;

/** The metrics every host reports: level, daily amplitude, noise (sd). */
const METRICS = [
  { metric: 'cpu_percent', unit: '%', base: 35, amp: 15, noise: 2.5 },
  { metric: 'memory_percent', unit: '%', base: 62, amp: 6, noise: 1 },
  { metric: 'request_latency_ms', unit: 'ms', base: 180, amp: 40, noise: 10 },
  { metric: 'requests_per_minute', unit: 'count', base: 1200, amp: 500, noise: 40 },
] as const;

/** A stretch of one series multiplied by `factor` (an injected incident). */
export interface Incident {
  readonly series: number;
  /** First affected point: minutes after T0. */
  readonly startMinute: number;
  readonly minutes: number;
  readonly factor: number;
}

/** Options of {@link createFleet}. */
export interface FleetOptions {
  readonly series: number;
  readonly seed: number;
  /** Distinct histories per metric. @default 8 */
  readonly variants?: number;
  /** Minutes after T0 the fleet's own (per-series) points are generated for. */
  readonly spanMinutes: number;
  readonly incidents?: readonly Incident[];
}

/** The expected value of a series of `metric` in `variant` at `ts`: daily + weekly shape. */
function shape(m: (typeof METRICS)[number], variant: number, ts: number): number {
  const phase = (variant * 37 * MINUTE) % DAY;
  const day = Math.floor((ts - T0) / DAY);
  const weekday = (((day % 7) + 7) % 7) as number; // 0 = Monday
  const weekend = weekday >= 5;
  const daily = Math.sin((2 * Math.PI * (((ts + phase) % DAY) + DAY)) / DAY - Math.PI / 2);
  const level = m.base * (weekend ? 0.85 : 1) * (1 + 0.02 * (variant % 3));
  return level + (weekend ? 0.5 : 1) * m.amp * daily;
}

/** A synthetic fleet and everything the benchmark needs to drive it. */
export interface Fleet {
  readonly config: MonitorConfig;
  /** Every series, in config order (index i ↔ series i). */
  readonly specs: readonly SeriesSpec[];
  readonly indexOf: ReadonlyMap<string, number>;
  /** The warmed detector of a series' template (clone it before use), and its encoded checkpoint. */
  templateOf(series: number): { readonly detector: SeriesDetector; readonly encoded: Buffer };
  /** The series' value at `ts` (minute-aligned), from its template's history before T0, its own after. */
  valueAt(series: number, ts: number): number;
  /** The series' points with start <= ts < end. */
  points(series: number, start: number, end: number): MetricPoint[];
  /** CPU seconds spent streaming the templates' history. */
  readonly warmCpuSeconds: number;
  readonly templates: number;
}

/** The checkpoint time of the warmed detectors: the detect run at T0 + 10 s keeps state up to now − 10 min. */
export const WARM_LAST_TS = T0 - 10 * MINUTE;

/**
 * The fleet's config. Beyond MAX_SERIES (one stack's limit today) parseMonitorConfig refuses it, so the
 * schema validates every field and only that count check is skipped (series ids are unique by design).
 */
export function parseFleetConfig(raw: MonitorConfigInput): MonitorConfig {
  if ((raw.series?.length ?? 0) <= MAX_SERIES) return parseMonitorConfig(raw, 'bench:scale');
  return MonitorConfigSchema.parse(raw);
}

/** Build the fleet: config (daily + weekly seasonality on), specs, template detectors. */
export function createFleet(options: FleetOptions): Fleet {
  const variants = options.variants ?? 8;
  const hosts = Math.ceil(options.series / METRICS.length);
  const width = String(hosts).length;
  const entries = [];
  for (let i = 0; i < options.series; i++) {
    const host = `host-${String(Math.floor(i / METRICS.length)).padStart(width, '0')}`;
    const m = METRICS[i % METRICS.length]!;
    entries.push({
      metric: m.metric,
      namespace: 'Bench/Scale',
      metricName: m.metric,
      dimensions: { host },
      label: host,
      unit: m.unit,
      tags: { resource: host },
    });
  }
  const config = parseFleetConfig({
    series: entries,
    // Stated, not left to the defaults: the figures are for daily + weekly baselines.
    detection: { seasonality: { enabled: true, days: 7, weeks: 4 } },
  });
  const specs = expandSeries(config);
  const indexOf = new Map(specs.map((s, i) => [s.id, i]));
  const metricOf = (series: number) => METRICS[series % METRICS.length]!;
  const variantOf = (series: number) => Math.floor(series / METRICS.length) % variants;
  const templateKey = (series: number) => (series % METRICS.length) * variants + variantOf(series);

  const historyStart = T0 - HISTORY_DAYS * DAY;
  const histories = new Map<number, Float64Array>();
  const historyOf = (key: number): Float64Array => {
    let h = histories.get(key);
    if (!h) {
      const m = METRICS[Math.floor(key / variants)]!;
      const variant = key % variants;
      const rng = createRng(options.seed * 1_000_003 + key);
      h = new Float64Array(HISTORY_DAYS * 1440);
      for (let i = 0; i < h.length; i++) {
        const ts = historyStart + i * MINUTE;
        h[i] = Math.max(0, shape(m, variant, ts) + rng.normal(0, m.noise));
      }
      histories.set(key, h);
    }
    return h;
  };

  const templates = new Map<number, { detector: SeriesDetector; encoded: Buffer }>();
  let warmCpuSeconds = 0;
  const templateOf = (series: number) => {
    const key = templateKey(series);
    let t = templates.get(key);
    if (!t) {
      const history = historyOf(key);
      const points: { ts: number; value: number }[] = [];
      for (let i = 0; i < history.length; i++) {
        const ts = historyStart + i * MINUTE;
        if (ts > WARM_LAST_TS) break;
        points.push({ ts, value: history[i]! });
      }
      const started = process.cpuUsage();
      // The production loop: nothing is judged (from = T0), the checkpoint is taken at WARM_LAST_TS.
      const evaluated = evaluateSeriesResumable(
        specs[series]!,
        points,
        T0,
        WARM_LAST_TS,
        config.detection,
        1,
        {
          checkpointAt: WARM_LAST_TS,
        },
      );
      const cpu = process.cpuUsage(started);
      warmCpuSeconds += (cpu.user + cpu.system) / 1e6;
      const detector = evaluated.checkpoint!;
      t = { detector, encoded: encodeCheckpoint(detector.snapshot()) };
      templates.set(key, t);
    }
    return t;
  };

  const incidents = options.incidents ?? [];
  const own = new Map<number, Float64Array>();
  const ownOf = (series: number): Float64Array => {
    let values = own.get(series);
    if (!values) {
      const m = metricOf(series);
      const rng = createRng(options.seed * 7_919 + series + 1);
      values = new Float64Array(options.spanMinutes);
      for (let i = 0; i < values.length; i++) {
        let v = shape(m, variantOf(series), T0 + i * MINUTE) + rng.normal(0, m.noise);
        for (const inc of incidents)
          if (inc.series === series && i >= inc.startMinute && i < inc.startMinute + inc.minutes)
            v *= inc.factor;
        values[i] = Math.max(0, m.unit === '%' ? Math.min(100, v) : v);
      }
      own.set(series, values);
    }
    return values;
  };

  const valueAt = (series: number, ts: number): number => {
    if (ts < T0) return historyOf(templateKey(series))[(ts - historyStart) / MINUTE] ?? Number.NaN;
    return ownOf(series)[(ts - T0) / MINUTE] ?? Number.NaN;
  };
  const points = (series: number, start: number, end: number): MetricPoint[] => {
    const out: MetricPoint[] = [];
    const id = specs[series]!.id;
    for (let ts = Math.ceil(start / MINUTE) * MINUTE; ts < end; ts += MINUTE) {
      const value = valueAt(series, ts);
      if (Number.isFinite(value)) out.push({ series: id, ts, value });
    }
    return out;
  };

  return {
    config,
    specs,
    indexOf,
    templateOf,
    valueAt,
    points,
    get warmCpuSeconds() {
      return warmCpuSeconds;
    },
    get templates() {
      return templates.size;
    },
  };
}

/** What the fake CloudWatch was asked for. */
export interface CloudWatchTally {
  calls: number;
  metricsRequested: number;
  datapoints: number;
}

/**
 * A CloudWatch client that answers GetMetricData from the fleet: a 1-minute point with ts t (period
 * start) is available from t + 60 s on the clock, as CloudWatch publishes a closed minute.
 */
export function fakeCloudWatch(
  fleet: Fleet,
  clock: { now(): number },
  tally: CloudWatchTally,
): CloudWatchClient {
  const byMetric = new Map<string, number>();
  fleet.specs.forEach((s, i) => {
    byMetric.set(`${s.metricName}|${s.dimensions.host}`, i);
  });
  const send = async (command: GetMetricDataCommand) => {
    const input = command.input;
    const queries = input.MetricDataQueries ?? [];
    tally.calls++;
    tally.metricsRequested += queries.length;
    const start = input.StartTime!.getTime();
    const end = Math.min(input.EndTime!.getTime(), clock.now() - MINUTE + 1);
    const results: MetricDataResult[] = queries.map((q) => {
      const metric = q.MetricStat!.Metric!;
      const host = metric.Dimensions?.find((d) => d.Name === 'host')?.Value ?? '';
      const series = byMetric.get(`${metric.MetricName}|${host}`);
      const points = series === undefined ? [] : fleet.points(series, start, end);
      tally.datapoints += points.length;
      return {
        Id: q.Id,
        StatusCode: 'Complete',
        Timestamps: points.map((p) => new Date(p.ts)),
        Values: points.map((p) => p.value),
      };
    });
    return { MetricDataResults: results, Messages: [] };
  };
  return { send } as unknown as CloudWatchClient;
}
