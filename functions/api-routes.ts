// (handler) the HTTP API's routes: the staff dashboard's reads (health, series data, anomaly timeline,
// alerts, ML models), false-positive feedback, thresholds with their history, revert and what-if preview,
// the weekly tune on demand, and maintenance windows. Each route validates its input with zod and calls
// one use case; every request is authenticated first (functions/auth.ts). `createApiRouter` binds them to
// adapters; the Lambda (functions/api.ts), the local server and the feedback CLI all use it. The CDK API
// is built from `API_ROUTES` (infra/constructs/monitor-api.ts), so the deployed resources and the router
// cannot drift.
import { z } from 'zod';
import { MaintenanceWindowSchema } from '../shared/adapters/dynamodb-alert-store';
import type { MaintenanceWindow } from '../shared/domain/alerting';
import {
  CHANGE_ID_PATTERN,
  FEEDBACK_LABELS,
  REASON_MAX_LENGTH,
  sensitivityOf,
  type ThresholdState,
  tuningPolicyOf,
} from '../shared/domain/feedback';
import { SEVERITIES, type SeriesSpec } from '../shared/domain/types';
import { NotFoundError, ValidationError } from '../shared/errors';
import type { MonitorConfig } from '../shared/monitor-config';
import type {
  AlertStateStore,
  AnomalyTimelineStore,
  Clock,
  DriftStateStore,
  FeedbackStore,
  Log,
  MetricStore,
  PredictionStore,
  ThresholdStore,
} from '../shared/ports';
import { autoTune } from '../shared/use-cases/auto-tune';
import {
  alertsOverview,
  anomalyTimeline,
  healthView,
  modelsOverview,
  resolveRange,
  seriesData,
} from '../shared/use-cases/dashboard';
import {
  type FeedbackDeps,
  revertChange,
  setAdjustment,
  setAlertFeedback,
  setAnomalyFeedback,
} from '../shared/use-cases/feedback';
import { previewAdjustment } from '../shared/use-cases/preview-adjustment';
import type { Authenticator } from './auth';
import { type ApiHandler, createRouter, type Route, route } from './http';

// ---- shared field schemas (messages name what is expected) ----

const seriesId = z.string().min(1, 'required').max(1024);

/** Epoch milliseconds (number or digits) or an ISO-8601 time with offset, as pages print it. */
const timestamp = z.union(
  [
    z.number().int().min(0),
    z
      .string()
      .regex(/^\d{1,15}$/)
      .transform(Number),
    z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
  ],
  { error: 'must be epoch milliseconds or an ISO-8601 time such as 2026-11-20T11:57:00.000Z' },
);

const label = z.enum(FEEDBACK_LABELS, { error: "must be 'false-positive' or 'confirmed'" });

const reason = z
  .string()
  .trim()
  .max(REASON_MAX_LENGTH, `must be at most ${REASON_MAX_LENGTH} characters`)
  .optional()
  .transform((s) => (s ? s : undefined));

const metricName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be a metric name (snake_case), e.g. cpu_percent');

const changeId = z.string().regex(CHANGE_ID_PATTERN, 'must be a threshold change id from the history');

const numberText = z
  .string({ error: 'required' })
  .regex(/^-?\d+(\.\d+)?$/, 'must be a number such as 0.2 or -0.1')
  .transform(Number);

const limit = z
  .string()
  .regex(/^\d{1,3}$/, 'must be an integer from 1 to 100')
  .transform(Number)
  .pipe(z.number().int().min(1, 'must be at least 1').max(100, 'must be at most 100'))
  .optional()
  .transform((n) => n ?? 20);

/** A time in a query string: epoch milliseconds (digits) or ISO-8601 with an offset. */
const queryTime = z
  .union(
    [
      z
        .string()
        .regex(/^\d{1,15}$/)
        .transform(Number),
      z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
    ],
    { error: 'must be epoch milliseconds or an ISO-8601 time such as 2026-11-20T11:57:00Z' },
  )
  .optional();

/** An integer query parameter within [min, max], with a default. */
const intParam = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,6}$/, `must be an integer from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .optional()
    .transform((n) => n ?? fallback);

const range = { from: queryTime, to: queryTime };

/** Chart points: at most this many by default, and never more than the cap. */
export const MAX_POINTS = { default: 500, cap: 5000 } as const;
/** Timeline page size: default and cap. */
export const TIMELINE_LIMIT = { default: 100, cap: 500 } as const;

// ---- the routes' contracts (method, path, schemas): shared with the CDK API ----

/** Every route of the API; `createApiRouter` attaches the handlers. */
export const API_ROUTES = {
  health: {
    method: 'GET',
    path: '/api/health',
    summary: 'Latest value, state (last 5 min), last anomaly and a 60-minute sparkline of every series',
  },
  seriesPoints: {
    method: 'GET',
    path: '/api/series/{id}/points',
    summary: `One series' points, min/max/mean buckets beyond maxPoints (query: from?, to?, maxPoints? ${MAX_POINTS.default}, max ${MAX_POINTS.cap})`,
    params: z.object({ id: seriesId }),
    query: z.object({ ...range, maxPoints: intParam(1, MAX_POINTS.cap, MAX_POINTS.default) }),
  },
  listAnomalies: {
    method: 'GET',
    path: '/api/anomalies',
    summary: `Anomaly timeline, newest first (query: from?, to?, severity? minimum, series?, method?, limit? ${TIMELINE_LIMIT.default} max ${TIMELINE_LIMIT.cap}, cursor?)`,
    query: z.object({
      ...range,
      severity: z.enum(SEVERITIES, { error: 'must be low, medium, high or critical' }).optional(),
      series: seriesId.optional(),
      method: z
        .string()
        .regex(/^[a-z][a-z0-9_]{0,31}$/, 'must be a detector method such as zscore, spike or level_shift')
        .optional(),
      limit: intParam(1, TIMELINE_LIMIT.cap, TIMELINE_LIMIT.default),
      cursor: z.string().min(1).max(2000).optional(),
    }),
  },
  alerts: {
    method: 'GET',
    path: '/api/alerts',
    summary:
      'Alerts with their state, and how anomalies fared in alerting with the conversion rate (query: from?, to?)',
    query: z.object(range),
  },
  models: {
    method: 'GET',
    path: '/api/models',
    summary: 'ML models: prediction volume and accuracy (24 h, 7 d), latest K-S drift; the infra drift check',
  },
  markAnomaly: {
    method: 'PUT',
    path: '/api/anomalies/feedback',
    summary: 'Mark an anomaly false-positive or confirmed (body: series, ts, label, reason?)',
    body: z.strictObject({ series: seriesId, ts: timestamp, label, reason }),
    mutates: true,
  },
  unmarkAnomaly: {
    method: 'DELETE',
    path: '/api/anomalies/feedback',
    summary: 'Remove the mark of an anomaly (query: series, ts)',
    query: z.object({ series: seriesId, ts: timestamp }),
    mutates: true,
  },
  markAlert: {
    method: 'PUT',
    path: '/api/alerts/{alertId}/feedback',
    summary: 'Mark every anomaly an alert paged (body: label, reason?)',
    params: z.object({ alertId: z.string().min(1).max(256) }),
    body: z.strictObject({ label, reason }),
    mutates: true,
  },
  unmarkAlert: {
    method: 'DELETE',
    path: '/api/alerts/{alertId}/feedback',
    summary: 'Remove the marks of every anomaly an alert paged',
    params: z.object({ alertId: z.string().min(1).max(256) }),
    mutates: true,
  },
  listThresholds: {
    method: 'GET',
    path: '/api/thresholds',
    summary: 'Current adjustment, sensitivity and feedback counts of every configured metric',
  },
  getThreshold: {
    method: 'GET',
    path: '/api/thresholds/{metric}',
    summary: "One metric's adjustment, counts, last weekly evaluation and latest changes",
    params: z.object({ metric: metricName }),
  },
  setThreshold: {
    method: 'PUT',
    path: '/api/thresholds/{metric}',
    summary: 'Set an adjustment by hand, within the bounds (body: adjustment, reason?)',
    params: z.object({ metric: metricName }),
    body: z.strictObject({ adjustment: z.number({ error: 'must be a number such as 0.2' }), reason }),
    mutates: true,
  },
  previewThreshold: {
    method: 'GET',
    path: '/api/thresholds/{metric}/preview',
    summary:
      'What-if: pages and labelled anomalies at the current vs a proposed adjustment (query: adjustment)',
    params: z.object({ metric: metricName }),
    query: z.object({ adjustment: numberText }),
  },
  listChanges: {
    method: 'GET',
    path: '/api/threshold-changes',
    summary: 'Threshold history, newest first (query: metric?, limit? 1-100, cursor?)',
    query: z.object({ metric: metricName.optional(), limit, cursor: changeId.optional() }),
  },
  getChange: {
    method: 'GET',
    path: '/api/threshold-changes/{id}',
    summary: 'One history entry',
    params: z.object({ id: changeId }),
  },
  revertChange: {
    method: 'POST',
    path: '/api/threshold-changes/{id}/revert',
    summary: 'Put the metric back to the value before that change; itself a history entry (body: reason?)',
    params: z.object({ id: changeId }),
    body: z.strictObject({ reason }),
    mutates: true,
  },
  runTune: {
    method: 'POST',
    path: '/api/tuning-runs',
    summary: 'Run the weekly auto-tune now (idempotent per ISO week; body: time? ISO, default now)',
    body: z.strictObject({ time: z.iso.datetime({ offset: true }).optional() }),
    mutates: true,
  },
  listWindows: {
    method: 'GET',
    path: '/api/maintenance-windows',
    summary: 'Maintenance windows',
  },
  putWindow: {
    method: 'POST',
    path: '/api/maintenance-windows',
    summary: 'Create or replace a maintenance window',
    body: MaintenanceWindowSchema,
    mutates: true,
  },
  deleteWindow: {
    method: 'DELETE',
    path: '/api/maintenance-windows/{id}',
    summary: 'Delete a maintenance window',
    params: z.object({ id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a maintenance window id') }),
    mutates: true,
  },
} as const;

/** What the API reads and writes, and how it authenticates. */
export interface ApiDeps {
  readonly config: MonitorConfig;
  readonly series: readonly SeriesSpec[];
  readonly store: MetricStore;
  readonly feedback: FeedbackStore;
  readonly thresholds: ThresholdStore;
  readonly alerts: AlertStateStore;
  readonly timeline: AnomalyTimelineStore;
  readonly predictions: PredictionStore;
  readonly drift: DriftStateStore;
  readonly clock: Clock;
  readonly log: Log;
  /** Runs before every route (functions/auth.ts): the staff-group check. */
  readonly authenticate: Authenticator;
  /** Headers on every response (CORS in AWS). */
  readonly headers?: Readonly<Record<string, string>>;
}

const DAY_MS = 86_400_000;

/** A run time may not be ahead of the clock: it would evaluate a week that has not happened. */
const MAX_AHEAD_MS = 5 * 60_000;

/** The API with its handlers bound to `deps`. */
export function createApiRouter(deps: ApiDeps): ApiHandler {
  const policy = tuningPolicyOf(deps.config.feedback);
  const feedbackDeps: FeedbackDeps = {
    feedback: deps.feedback,
    thresholds: deps.thresholds,
    policy,
    clock: deps.clock,
    log: deps.log,
  };
  const metrics = [...new Set(deps.series.map((s) => s.metric))].sort();
  const configured = (metric: string): void => {
    if (!metrics.includes(metric)) {
      throw new NotFoundError(`No configured series has metric ${metric}`, { field: 'metric' });
    }
  };
  const thresholdView = (s: ThresholdState) => ({ ...s, sensitivity: sensitivityOf(s.adjustment) });
  const policyView = {
    ...policy,
    weeklyRun: `${deps.config.feedback.weekly.day} ${String(deps.config.feedback.weekly.hour).padStart(2, '0')}:${String(deps.config.feedback.weekly.minute).padStart(2, '0')} UTC`,
  };
  const R = API_ROUTES;
  // Reads span at most the retention (older data has expired) plus a day of slack for time zones.
  const limits = { defaultMs: DAY_MS, maxMs: (deps.config.retentionDays + 1) * DAY_MS };

  const routes: Route[] = [
    route(R.health, async () => ({
      status: 200,
      body: await healthView(deps, deps.clock.now()),
    })),
    route(R.seriesPoints, async ({ params, query }) => {
      const now = deps.clock.now();
      const { from, to } = resolveRange(query, now, limits);
      return {
        status: 200,
        body: await seriesData(deps, { id: params.id, from, to, maxPoints: query.maxPoints }, now),
      };
    }),
    route(R.listAnomalies, async ({ query }) => {
      const now = deps.clock.now();
      return {
        status: 200,
        body: await anomalyTimeline(deps, { ...query, ...resolveRange(query, now, limits) }, now),
      };
    }),
    route(R.alerts, async ({ query }) => {
      const now = deps.clock.now();
      return {
        status: 200,
        body: await alertsOverview(
          { ...deps, minLevelToPage: deps.config.alerts.minLevelToPage },
          resolveRange(query, now, limits),
          now,
        ),
      };
    }),
    route(R.models, async () => ({
      status: 200,
      body: await modelsOverview({ ...deps, config: deps.config.drift }, deps.clock.now()),
    })),
    route(R.markAnomaly, async ({ body, actor }) => {
      checkSeries(deps.series, body.series);
      const r = await setAnomalyFeedback(
        feedbackDeps,
        { series: body.series, ts: body.ts },
        { label: body.label, ...(body.reason ? { reason: body.reason } : {}), actor: actor! },
      );
      return { status: 200, body: { ...r, state: thresholdView(r.state) } };
    }),
    route(R.unmarkAnomaly, async ({ query, actor }) => {
      checkSeries(deps.series, query.series);
      const r = await setAnomalyFeedback(
        feedbackDeps,
        { series: query.series, ts: query.ts },
        { actor: actor! },
      );
      return { status: 200, body: { ...r, state: thresholdView(r.state) } };
    }),
    route(R.markAlert, async ({ params, body, actor }) => {
      const r = await setAlertFeedback(feedbackDeps, params.alertId, {
        label: body.label,
        ...(body.reason ? { reason: body.reason } : {}),
        actor: actor!,
      });
      return { status: 200, body: { ...r, states: r.states.map(thresholdView) } };
    }),
    route(R.unmarkAlert, async ({ params, actor }) => {
      const r = await setAlertFeedback(feedbackDeps, params.alertId, { actor: actor! });
      return { status: 200, body: { ...r, states: r.states.map(thresholdView) } };
    }),
    route(R.listThresholds, async () => {
      const states = await Promise.all(metrics.map((m) => deps.thresholds.get(m)));
      return { status: 200, body: { policy: policyView, items: states.map(thresholdView) } };
    }),
    route(R.getThreshold, async ({ params }) => {
      configured(params.metric);
      const [state, recent] = await Promise.all([
        deps.thresholds.get(params.metric),
        deps.thresholds.listChanges({ metric: params.metric, limit: 5 }),
      ]);
      return {
        status: 200,
        body: { ...thresholdView(state), recentChanges: recent.items, policy: policyView },
      };
    }),
    route(R.setThreshold, async ({ params, body, actor }) => {
      configured(params.metric);
      const change = await setAdjustment(feedbackDeps, {
        metric: params.metric,
        adjustment: body.adjustment,
        actor: actor!,
        ...(body.reason ? { reason: body.reason } : {}),
      });
      return { status: 200, body: change };
    }),
    route(R.previewThreshold, async ({ params, query }) => {
      configured(params.metric);
      const result = await previewAdjustment(
        {
          store: deps.store,
          feedback: deps.feedback,
          thresholds: deps.thresholds,
          alerts: deps.alerts,
          series: deps.series,
          detection: deps.config.detection,
          alertPolicy: deps.config.alerts,
          detectEveryMinutes: deps.config.schedules.detectEveryMinutes,
          policy,
          days: Math.min(deps.config.feedback.previewDays, deps.config.retentionDays),
          clock: deps.clock,
        },
        { metric: params.metric, adjustment: query.adjustment },
      );
      return { status: 200, body: result };
    }),
    route(R.listChanges, async ({ query }) => {
      const page = await deps.thresholds.listChanges({
        limit: query.limit,
        ...(query.metric ? { metric: query.metric } : {}),
        ...(query.cursor ? { cursor: query.cursor } : {}),
      });
      return { status: 200, body: page };
    }),
    route(R.getChange, async ({ params }) => {
      const change = await deps.thresholds.getChange(params.id);
      if (!change) throw new NotFoundError(`No threshold change ${params.id}`, { field: 'id' });
      return { status: 200, body: change };
    }),
    route(R.revertChange, async ({ params, body, actor }) => {
      const change = await revertChange(feedbackDeps, {
        id: params.id,
        actor: actor!,
        ...(body.reason ? { reason: body.reason } : {}),
      });
      return { status: 201, body: change };
    }),
    route(R.runTune, async ({ body }) => {
      const now = deps.clock.now();
      const at = body.time === undefined ? now : Date.parse(body.time);
      if (at > now + MAX_AHEAD_MS) {
        throw new ValidationError('Invalid time', ['time: must not be in the future'], { field: 'time' });
      }
      const result = await autoTune(
        {
          feedback: deps.feedback,
          thresholds: deps.thresholds,
          policy,
          metrics,
          runDay: deps.config.feedback.weekly.day,
          clock: deps.clock,
          log: deps.log,
        },
        { now: at },
      );
      return { status: 200, body: result };
    }),
    route(R.listWindows, async () => ({ status: 200, body: { items: await deps.alerts.listWindows() } })),
    route(R.putWindow, async ({ body }) => {
      await deps.alerts.putWindow(body as MaintenanceWindow);
      return { status: 201, body };
    }),
    route(R.deleteWindow, async ({ params }) => {
      if (!(await deps.alerts.deleteWindow(params.id))) {
        throw new NotFoundError(`No maintenance window ${params.id}`, { field: 'id' });
      }
      return { status: 204 };
    }),
  ];
  return createRouter(routes, deps.log, {
    authenticate: deps.authenticate,
    ...(deps.headers ? { headers: deps.headers } : {}),
  });
}

/** A mark must name a configured series: an unknown one is a typo, not a missing anomaly. */
function checkSeries(series: readonly SeriesSpec[], id: string): void {
  if (!series.some((s) => s.id === id)) {
    throw new NotFoundError(`No configured series ${id}`, { field: 'series' });
  }
}
