// (handler) the HTTP API's routes: the staff dashboard's reads (health, series data, anomaly timeline,
// alerts, ML models), false-positive feedback, thresholds with their history, revert and what-if preview,
// the weekly tune on demand, and maintenance windows. Each route validates its input with zod and calls
// one use case; every request is authenticated first (functions/auth.ts). `createApiRouter` binds them to
// adapters; the Lambda (functions/api.ts), the local server and the feedback CLI all use it. The routes'
// contract (paths, schemas, response types) is shared/api/contract.ts, which the CDK API and the SPA use
// too, so the deployed resources, the router and the dashboard cannot drift.
import { API_ROUTES, MAX_RANGE_DAYS, MAX_RANGE_POINTS } from '../shared/api/contract';
import type { AlertsCost } from '../shared/api/types';
import type { MaintenanceWindow } from '../shared/domain/alerting';
import { sensitivityOf, type ThresholdState, tuningPolicyOf } from '../shared/domain/feedback';
import type { SeriesSpec } from '../shared/domain/types';
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
  fleetCost,
  healthView,
  type KeptBandReader,
  modelsOverview,
  resolveRange,
  seriesData,
  seriesRangeLimits,
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

export { API_ROUTES, MAX_POINTS, TIMELINE_LIMIT } from '../shared/api/contract';

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
  /** The band the health tiles draw under their sparklines (shardBandReader; none drawn without it). */
  readonly keptBands?: KeptBandReader;
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
  // Anomaly and alert reads are a query per day; series reads are bounded by their point count.
  const limits = { defaultMs: DAY_MS, maxMs: MAX_RANGE_DAYS * DAY_MS };
  const sensitivityFor = async (metric: string) =>
    sensitivityOf((await deps.thresholds.get(metric)).adjustment);

  // The fleet and the config `cdk deploy` plans and runs it with, fixed for the router's life: planned
  // and priced once, on the first alerts read (planning hashes the whole fleet).
  let estimate: AlertsCost | null | undefined;
  const fleetEstimate = (): AlertsCost | null => {
    if (estimate === undefined)
      estimate = fleetCost({
        series: deps.series,
        groupBy: deps.config.alerts.groupBy,
        collectEveryMinutes: deps.config.schedules.collectEveryMinutes,
        checkpointEveryMinutes: deps.config.detection.checkpointEveryMinutes,
        retentionDays: deps.config.retentionDays,
      });
    return estimate;
  };
  const routes: Route[] = [
    route(R.health, async () => ({
      status: 200,
      body: await healthView(
        {
          ...deps,
          // Points land once per collect, after its settle delay: fresher than that is not "no data".
          arrivalEveryMs:
            (deps.config.schedules.collectEveryMinutes + deps.config.collection.settleMinutes) * 60_000,
        },
        deps.clock.now(),
      ),
    })),
    route(R.seriesPoints, async ({ params, query }) => {
      const now = deps.clock.now();
      const spec = deps.series.find((s) => s.id === params.id);
      if (!spec) throw new NotFoundError(`No configured series ${params.id}`, { field: 'id' });
      const { from, to } = resolveRange(query, now, seriesRangeLimits(spec.period, MAX_RANGE_POINTS));
      return {
        status: 200,
        body: await seriesData(
          { ...deps, detection: deps.config.detection, sensitivityOf: sensitivityFor },
          { id: params.id, from, to, maxPoints: query.maxPoints, band: query.band },
          now,
        ),
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
          { ...deps, minLevelToPage: deps.config.alerts.minLevelToPage, cost: fleetEstimate() },
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
      // Labels older than the retention have expired: such a week cannot be evaluated.
      if (at < now - deps.config.retentionDays * DAY_MS) {
        throw new ValidationError(
          'Invalid time',
          [`time: must be within the last ${deps.config.retentionDays} days (the retention)`],
          { field: 'time' },
        );
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
