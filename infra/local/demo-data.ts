// (local stack) `npm start -- --seed-demo`: a populated dashboard at once. 55 demo series (11 hosts × 5
// metrics) with 24 h of 1-minute points that keep arriving every minute; ~200 recorded anomalies with the
// alert states alerting gives them (pages, grouped, folded in, rate-limited, muted, below the page level,
// pending, failed), open alerts and a few staff marks; two series and their anomalies carry XSS-looking
// labels; three ML models with a week of predictions and a real drift run (K-S per model, and an
// isolation forest trained on one demo host for the infra check). Everything goes through the production
// stores and use cases, so the dashboard reads it exactly as it reads real data.

import { MemoryModelStore } from '../../shared/adapters/memory-drift-stores';
import { mapLimit } from '../../shared/async';
import { type AlertState, dedupKey } from '../../shared/domain/alerting';
import type { Anomaly } from '../../shared/domain/anomaly';
import { tuningPolicyOf } from '../../shared/domain/feedback';
import { hash53, type IngestedPrediction, predictionKey } from '../../shared/domain/prediction-set';
import { createRng } from '../../shared/domain/random';
import { alertLevelOf, type SeriesSpec, type Severity } from '../../shared/domain/types';
import { type MonitorConfig, seriesIdOf } from '../../shared/monitor-config';
import type {
  AlertStateStore,
  AlertStateUpdate,
  AnomalyStore,
  Clock,
  DriftStateStore,
  FeedbackStore,
  Log,
  MetricStore,
  PredictionStore,
  ThresholdStore,
} from '../../shared/ports';
import { checkDrift } from '../../shared/use-cases/check-drift';
import { setAnomalyFeedback } from '../../shared/use-cases/feedback';
import { trainDriftModel } from '../../shared/use-cases/train-drift-model';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** The demo's shape. */
export const DEMO = {
  hosts: 11,
  hours: 24,
  anomalies: 200,
  models: ['churn-v2', 'fraud-score', 'ltv-estimator'],
  predictionsPerDay: 2000,
  /** Labels that must render as text. */
  xssLabels: ['<img src=x onerror=alert(1)>', '"><script>alert(document.domain)</script>'],
} as const;

const METRICS = [
  { metric: 'cpu_percent', unit: '%', base: 35, amp: 15, noise: 4 },
  { metric: 'memory_percent', unit: '%', base: 60, amp: 5, noise: 1.5 },
  { metric: 'request_latency_p95', unit: 'ms', base: 180, amp: 60, noise: 20 },
  { metric: 'error_rate', unit: 'count', base: 2, amp: 1.5, noise: 1 },
  { metric: 'db_query_time_ms', unit: 'ms', base: 12, amp: 4, noise: 1.5 },
] as const;

/** The 55 demo series: `Demo/<metric>/host=web-NN/Average/60`. */
export function demoSeries(): SeriesSpec[] {
  const out: SeriesSpec[] = [];
  for (let h = 1; h <= DEMO.hosts; h++) {
    const host = `web-${String(h).padStart(2, '0')}`;
    for (const [m, spec] of METRICS.entries()) {
      const dimensions = { host };
      const xss = (h === 3 && m === 0 && DEMO.xssLabels[0]) || (h === 7 && m === 1 && DEMO.xssLabels[1]);
      out.push({
        id: seriesIdOf('Demo', spec.metric, dimensions, 'Average', 60),
        metric: spec.metric,
        label: xss || `${spec.metric} ${host}`,
        namespace: 'Demo',
        metricName: spec.metric,
        dimensions,
        stat: 'Average',
        period: 60,
        scale: 1,
        unit: spec.unit,
        tags: { service: 'demo', resource: host },
      });
    }
  }
  return out;
}

/** A demo series' value at `ts`: daily seasonality plus deterministic noise (the same at every restart). */
export function demoValue(index: number, ts: number): number {
  const spec = METRICS[index % METRICS.length]!;
  const phase = ((ts % DAY) / DAY) * 2 * Math.PI + index;
  const noise = (hash53(`${index}:${ts}`) / 2 ** 53) * 2 - 1;
  const value = spec.base + spec.amp * Math.sin(phase) + spec.noise * noise;
  return Math.max(0, Math.round(value * 100) / 100);
}

/** How much hotter the first demo series (web-01's CPU) runs from `hotSince` on: the infra drift. */
const HOT_CPU = 25;

/** Points of every demo series with from <= ts < to, one a minute; web-01's CPU is hot from `hotSince`. */
export function demoPoints(series: readonly SeriesSpec[], from: number, to: number, hotSince: number) {
  const points: { series: string; ts: number; value: number }[] = [];
  const first = Math.ceil(from / MIN) * MIN;
  series.forEach((s, i) => {
    for (let ts = first; ts < to; ts += MIN) {
      points.push({ series: s.id, ts, value: demoValue(i, ts) + (i === 0 && ts >= hotSince ? HOT_CPU : 0) });
    }
  });
  return points;
}

/** What seeding writes through. */
export interface DemoDeps {
  readonly config: MonitorConfig;
  readonly series: readonly SeriesSpec[];
  readonly store: MetricStore;
  readonly anomalies: AnomalyStore;
  readonly feedback: FeedbackStore;
  readonly thresholds: ThresholdStore;
  readonly alerts: AlertStateStore;
  readonly predictions: PredictionStore;
  readonly drift: DriftStateStore;
  readonly clock: Clock;
  readonly log: Log;
}

/** What was seeded. */
export interface DemoSummary {
  readonly points: number;
  readonly anomalies: number;
  readonly predictions: number;
  readonly driftChecks: number;
  /** Pass to {@link feedDemo}: when web-01's CPU started running hot. */
  readonly hotSince: number;
}

const SEVERITY_LADDER: readonly [number, Severity][] = [
  [0.45, 'low'],
  [0.75, 'medium'],
  [0.9, 'high'],
  [1, 'critical'],
];
const METHOD_SETS = [['zscore'], ['spike', 'zscore'], ['level_shift'], ['zscore', 'level_shift']] as const;

function demoAnomalies(series: readonly SeriesSpec[], now: number): Anomaly[] {
  const rng = createRng(20261124);
  const end = Math.floor(now / MIN) * MIN;
  const seen = new Set<string>();
  const out: Anomaly[] = [];
  while (out.length < DEMO.anomalies) {
    const i = rng.int(series.length);
    // A few in the last 4 minutes, so some tiles are "anomalous" right away.
    const ago = out.length < 4 ? 1 + rng.int(4) : 5 + rng.int(DEMO.hours * 60 - 6);
    const ts = end - ago * MIN;
    const key = `${i}|${ts}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const s = series[i]!;
    const spec = METRICS[i % METRICS.length]!;
    const u = rng.next();
    const severity = SEVERITY_LADDER.find(([p]) => u < p)?.[1] ?? 'low';
    const methods = METHOD_SETS[rng.int(METHOD_SETS.length)]!;
    const baseline = demoValue(i, ts);
    const deviation = { low: 3.5, medium: 5.5, high: 8, critical: 12 }[severity] + rng.next();
    const sigma = spec.noise;
    const value = Math.round((baseline + deviation * sigma * 1.4826) * 100) / 100;
    const low = Math.round((baseline - 3 * sigma) * 100) / 100;
    const high = Math.round((baseline + 3 * sigma) * 100) / 100;
    const level = alertLevelOf(severity);
    out.push({
      series: s.id,
      metric: s.metric,
      label: s.label,
      ts,
      value,
      expectedLow: low,
      expectedHigh: high,
      baseline,
      deviation,
      score: Math.min(0.99, 0.5 + deviation / 30),
      model: 'level',
      methods: [...methods],
      findings: methods.map((method) => ({
        method,
        deviation,
        expectedLow: low,
        expectedHigh: high,
        severity,
      })),
      severity,
      level,
      explanation:
        `${s.label} = ${value} ${spec.unit} at ${new Date(ts).toISOString()}: outside expected ${low}–${high} ` +
        `${spec.unit}; ${methods.join(', ')} deviation ${deviation.toFixed(1)}. Severity ${severity} (${level}). (demo)`,
      sensitivity: 1,
      unit: spec.unit,
    });
  }
  return out.sort((a, b) => a.ts - b.ts);
}

/** Where alerting would have put each demo anomaly, and the alerts that paged. */
function demoAlerting(anomalies: readonly Anomaly[], now: number) {
  const rng = createRng(7);
  const updates: AlertStateUpdate[] = [];
  const pages: { alertId: string; first: Anomaly; members: Anomaly[] }[] = [];
  let current: (typeof pages)[number] | undefined;
  for (const a of anomalies) {
    const set = (state: AlertState, extra: Partial<AlertStateUpdate> = {}): void => {
      updates.push({ series: a.series, ts: a.ts, state, ...extra });
    };
    if (a.level === 'INFO') {
      set('below-severity');
      continue;
    }
    if (now - a.ts < 3 * MIN) {
      set('pending');
      continue;
    }
    const u = rng.next();
    if (u < 0.05) set('suppressed', { reason: 'demo-maintenance' });
    else if (u < 0.13) set('rate-limited', { reason: 'retry in 90 s' });
    else if (u < 0.15) set('failed', { reason: 'not published for 61 min' });
    else if (current && a.ts - current.members.at(-1)!.ts <= 5 * MIN) {
      const repeat = current.members.some((m) => m.series === a.series);
      if (repeat) set('deduplicated', { reason: current.alertId });
      else set('grouped', { alertId: current.alertId, messageId: `demo-${current.alertId}` });
      current.members.push(a);
    } else {
      const alertId = `${dedupKey(a)}-${a.ts}`;
      current = { alertId, first: a, members: [a] };
      pages.push(current);
      set('sent', { alertId, messageId: `demo-${alertId}` });
    }
  }
  return { updates, pages };
}

function demoPredictions(now: number): IngestedPrediction[] {
  const rng = createRng(42);
  const out: IngestedPrediction[] = [];
  const per = DEMO.predictionsPerDay;
  for (const model of DEMO.models) {
    for (let i = 0; i < 7 * per; i++) {
      const ts = now - 7 * DAY + Math.floor((i + rng.next()) * (DAY / per));
      const recent = ts >= now - DAY;
      // fraud-score drifts in the last day; churn-v2 stays put; ltv-estimator reports no outcomes.
      const shifted = model === 'fraud-score' && recent;
      const score = Math.min(1, Math.max(0, shifted ? rng.normal(0.55, 0.12) : rng.normal(0.3, 0.1)));
      const id = `demo-${model}-${i}`;
      const withOutcome = model !== 'ltv-estimator' && rng.next() < 0.6;
      out.push({
        model,
        ts,
        score,
        key: predictionKey(model, id, id),
        ...(withOutcome ? { outcome: rng.next() < (shifted ? 0.3 : score) } : {}),
      });
    }
  }
  return out;
}

/**
 * Seed the demo (idempotent keys: a restart re-seeds the last 24 h around the new now).
 * 1. Points of the 55 series, then the anomalies' own values over them.
 * 2. Anomalies, their alert states, the two newest pages open, six staff marks (through the feedback use case).
 * 3. A week of predictions of three models; an isolation forest trained on one host's five metrics
 *    (18 h up to 6 h ago, kept in memory), that host's CPU raised over the last 6 h; one check-drift run
 *    (recent day vs the 5 days before; the last 6 h for infra), stored like the daily run's results.
 */
export async function seedDemo(deps: DemoDeps): Promise<DemoSummary> {
  const now = deps.clock.now();
  const from = now - DEMO.hours * HOUR;
  // Host web-01's CPU (series 0) runs hot for the last 6 hours: the infra model sees the shift.
  const hotSince = now - 6 * HOUR;
  const points = demoPoints(deps.series, from, now + 1, hotSince);
  const anomalies = demoAnomalies(deps.series, now);
  const overrides = anomalies.map((a) => ({ series: a.series, ts: a.ts, value: a.value }));
  const written = await deps.store.putPoints([...points, ...overrides]);

  await deps.anomalies.record(anomalies, now);
  const { updates, pages } = demoAlerting(anomalies, now);
  await deps.anomalies.setAlertStates(updates, now);
  for (const page of pages.slice(-2)) {
    for (const a of page.members.filter((m, i, all) => all.findIndex((x) => x.series === m.series) === i)) {
      await deps.alerts.putOpen({
        dedupKey: dedupKey(a),
        alertId: page.alertId,
        series: a.series,
        label: a.label,
        metric: a.metric,
        openedAt: page.first.ts,
        lastSeenAt: Math.max(...page.members.filter((m) => m.series === a.series).map((m) => m.ts)),
        level: a.level,
      });
    }
  }
  const feedbackDeps = {
    feedback: deps.feedback,
    thresholds: deps.thresholds,
    policy: tuningPolicyOf(deps.config.feedback),
    clock: deps.clock,
    log: deps.log,
  };
  const paged = updates.filter((u) => u.state === 'sent' || u.state === 'grouped').slice(0, 6);
  await mapLimit(paged, 1, (u, i) =>
    setAnomalyFeedback(
      feedbackDeps,
      { series: u.series, ts: u.ts },
      {
        label: i < 4 ? 'false-positive' : 'confirmed',
        reason: i < 4 ? 'demo: load test' : 'demo: real incident',
        actor: { kind: 'person', name: 'demo-seed' },
      },
    ),
  );

  const predictions = demoPredictions(now);
  await deps.predictions.append(predictions, now);
  const models = new MemoryModelStore();
  const infra = {
    ...deps.config.drift.infra,
    modelName: 'demo-infra',
    minRows: 600,
    minRecentRows: 60,
    trainDays: 1,
  };
  const features = deps.series.slice(0, METRICS.length).map((s) => ({ id: s.id, label: s.label }));
  await trainDriftModel(
    { metrics: deps.store, models, clock: deps.clock, log: deps.log, features, settings: infra },
    { now: now - 6 * HOUR, days: 1 },
  );
  const run = await checkDrift({
    predictions: deps.predictions,
    metrics: deps.store,
    models,
    state: deps.drift,
    clock: deps.clock,
    log: deps.log,
    drift: { ...deps.config.drift, infra, predictions: { ...deps.config.drift.predictions, models: [] } },
    windows: { recentMs: DAY, baselineMs: 5 * DAY, infraRecentMs: 6 * HOUR },
  });
  return {
    points: written.written,
    anomalies: anomalies.length,
    predictions: predictions.length,
    driftChecks: run.checks.length,
    hotSince,
  };
}

/** Append the demo series' points up to now (the feed that keeps the demo "live"). */
export async function feedDemo(
  store: MetricStore,
  series: readonly SeriesSpec[],
  range: { readonly since: number; readonly now: number; readonly hotSince: number },
): Promise<number> {
  const r = await store.putPoints(demoPoints(series, range.since, range.now + 1, range.hotSince));
  return r.written;
}
