// (contract) the HTTP API in one place: every route's method, path, summary, zod schemas for its path
// parameters, query string and JSON body (each field bounded, so malformed input is a 400 naming the
// field, never a 5xx), and the type of its success body (shared/api/types.ts). The router
// (functions/api-routes.ts) attaches handlers to these specs and cannot answer another type; the CDK API
// (infra/stack.ts → infra/constructs/monitor-api.ts) builds its resources from them; the OpenAPI document
// (docs/api/openapi.json, `npm run openapi`) is generated from them; the SPA imports the types only.
import { z } from 'zod';
import { CHANGE_ID_PATTERN, FEEDBACK_LABELS, REASON_MAX_LENGTH } from '../domain/feedback';
import { SEVERITIES } from '../domain/types';
import type * as T from './types';

/** Methods the API uses. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** A route's success answer: its status, and (type only) its body. */
export interface Success<TBody> {
  readonly status: 200 | 201 | 204;
  /** Name of the body's type in shared/api/types.ts (the OpenAPI document cites it). */
  readonly type: string;
  /** Never set: carries the body's type to the router. */
  readonly body?: TBody;
}

/** Declare a route's success answer. */
export function returns<TBody>(type: string, status: 200 | 201 | 204 = 200): Success<TBody> {
  return { status, type };
}

/** A route's contract: where it lives, what it accepts and what it answers. */
export interface RouteSpec<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  R = unknown,
> {
  readonly method: HttpMethod;
  /** Path template, e.g. `/api/thresholds/{metric}`. */
  readonly path: string;
  /** One line for the docs, the OpenAPI document and the API Gateway method description. */
  readonly summary: string;
  readonly params?: P;
  readonly query?: Q;
  /** JSON body schema; a missing body is parsed as `{}`. */
  readonly body?: B;
  /** Changes state: the caller is recorded as the actor. */
  readonly mutates?: boolean;
  readonly success: Success<R>;
}

/** The success body type of a route spec. */
export type ResponseOf<S> = S extends RouteSpec<z.ZodType, z.ZodType, z.ZodType, infer R> ? R : never;

// ---- limits (documented in docs/dashboard-and-api.md and the OpenAPI document) ----

/** Largest request body the handler reads, in bytes: above it, 413 naming `body`. */
export const MAX_BODY_BYTES = 32 * 1024;
/** Chart points: at most this many by default, and never more than the cap. */
export const MAX_POINTS = { default: 500, cap: 5000 } as const;
/**
 * A series read may cover at most this many of the series' periods (≈ 69 days of 1-minute points,
 * 347 days of 5-minute ones): what bounds the work is the point count, not a fixed number of days.
 */
export const MAX_RANGE_POINTS = 100_000;
/** Anomaly and alert reads are one query per day: at most this many days. */
export const MAX_RANGE_DAYS = 400;
/** Timeline page size: default and cap. */
export const TIMELINE_LIMIT = { default: 100, cap: 500 } as const;
/** Maintenance windows: at most this many tags, key and value lengths as AWS tags allow. */
export const WINDOW_TAGS = { maxCount: 20, maxKey: 128, maxValue: 256 } as const;
/** A one-off maintenance window may last at most this many days. */
export const WINDOW_MAX_DAYS = 366;

/** Latest time the API accepts (2100-01-01): anything later is a typo. */
const MAX_EPOCH_MS = 4_102_444_800_000;
const DAY_MS = 86_400_000;

// ---- field schemas (messages name what is expected) ----

const seriesId = z.string().min(1, 'required').max(1024, 'must be at most 1024 characters');

const epochMs = z
  .number()
  .int('must be an integer (epoch milliseconds)')
  .min(0, 'must not be before 1970')
  .max(MAX_EPOCH_MS, 'must be before 2100');

const isoTime = z.iso
  .datetime({ offset: true, error: 'must be an ISO-8601 time such as 2026-11-20T11:57:00Z' })
  .max(40);

/** Epoch milliseconds (number or digits) or an ISO-8601 time with offset, as pages print it. */
const timestamp = z.union(
  [
    epochMs,
    z
      .string()
      .regex(/^\d{1,15}$/)
      .transform(Number)
      .pipe(epochMs),
    isoTime.transform((s) => Date.parse(s)).pipe(epochMs),
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
  .max(24, 'must be at most 24 characters')
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
        .transform(Number)
        .pipe(epochMs),
      isoTime.transform((s) => Date.parse(s)).pipe(epochMs),
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

const flag = z
  .enum(['true', 'false'], { error: "must be 'true' or 'false'" })
  .optional()
  .transform((s) => s === 'true');

const range = { from: queryTime, to: queryTime };

const tagKey = z
  .string()
  .min(1, 'must not be empty')
  .max(WINDOW_TAGS.maxKey, `must be at most ${WINDOW_TAGS.maxKey} characters`);

/** A maintenance window as the API accepts and the control table stores it. */
export const MaintenanceWindowSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, _ . or -'),
    series: seriesId.optional(),
    tags: z
      .record(
        tagKey,
        z.string().max(WINDOW_TAGS.maxValue, `must be at most ${WINDOW_TAGS.maxValue} characters`),
      )
      .refine((t) => Object.keys(t).length <= WINDOW_TAGS.maxCount, {
        message: `at most ${WINDOW_TAGS.maxCount} tags`,
      })
      .optional(),
    schedule: z.discriminatedUnion('kind', [
      z
        .strictObject({ kind: z.literal('once'), start: epochMs, end: epochMs })
        .refine((s) => s.end > s.start, { message: 'end must be after start', path: ['end'] })
        .refine((s) => s.end - s.start <= WINDOW_MAX_DAYS * DAY_MS, {
          message: `a window may last at most ${WINDOW_MAX_DAYS} days`,
          path: ['end'],
        }),
      z.strictObject({
        kind: z.literal('weekly'),
        dayOfWeek: z.number().int().min(0).max(6),
        startMinute: z.number().int().min(0).max(1439),
        durationMinutes: z
          .number()
          .int()
          .min(1)
          .max(7 * 1440),
      }),
    ]),
    reason: z.string().max(REASON_MAX_LENGTH).optional(),
  })
  .refine((w) => w.series !== undefined || Object.keys(w.tags ?? {}).length > 0, {
    message: 'name a series or at least one tag',
    path: ['series'],
  });

const alertIdParam = z.object({ alertId: z.string().min(1).max(256, 'must be at most 256 characters') });

// ---- the routes ----

/** Every route of the API; `createApiRouter` (functions/api-routes.ts) attaches the handlers. */
export const API_ROUTES = {
  health: {
    method: 'GET',
    path: '/api/health',
    summary:
      'Latest value, state (ok, anomalous, learning, no-data, muted), last anomaly and a 60-minute sparkline of every series',
    success: returns<T.HealthResponse>('HealthResponse'),
  },
  seriesPoints: {
    method: 'GET',
    path: '/api/series/{id}/points',
    summary: `One series' points, min/max/mean buckets beyond maxPoints; with band=true the detector's expected range (query: from?, to?, maxPoints? ${MAX_POINTS.default} max ${MAX_POINTS.cap}, band?; the range may cover at most ${MAX_RANGE_POINTS} of the series' periods)`,
    params: z.object({ id: seriesId }),
    query: z.object({
      ...range,
      maxPoints: intParam(1, MAX_POINTS.cap, MAX_POINTS.default),
      band: flag,
    }),
    success: returns<T.PointsResponse>('PointsResponse'),
  },
  listAnomalies: {
    method: 'GET',
    path: '/api/anomalies',
    summary: `Anomaly timeline, newest first (query: from?, to?, at most ${MAX_RANGE_DAYS} days, severity? minimum, series?, method?, limit? ${TIMELINE_LIMIT.default} max ${TIMELINE_LIMIT.cap}, cursor?)`,
    query: z.object({
      ...range,
      severity: z.enum(SEVERITIES, { error: 'must be low, medium, high or critical' }).optional(),
      series: seriesId.optional(),
      method: z
        .string()
        .regex(/^[a-z][a-z0-9_]{0,31}$/, 'must be a detector method such as zscore, spike or level_shift')
        .optional(),
      limit: intParam(1, TIMELINE_LIMIT.cap, TIMELINE_LIMIT.default),
      cursor: z.string().min(1).max(2000, 'must be at most 2000 characters').optional(),
    }),
    success: returns<T.AnomaliesResponse>('AnomaliesResponse'),
  },
  alerts: {
    method: 'GET',
    path: '/api/alerts',
    summary: `Alerts with their state, and how anomalies fared in alerting with the conversion rate (query: from?, to?, at most ${MAX_RANGE_DAYS} days)`,
    query: z.object(range),
    success: returns<T.AlertsResponse>('AlertsResponse'),
  },
  models: {
    method: 'GET',
    path: '/api/models',
    summary: 'ML models: prediction volume and accuracy (24 h, 7 d), latest K-S drift; the infra drift check',
    success: returns<T.ModelsResponse>('ModelsResponse'),
  },
  markAnomaly: {
    method: 'PUT',
    path: '/api/anomalies/feedback',
    summary: 'Mark an anomaly false-positive or confirmed (body: series, ts, label, reason?)',
    body: z.strictObject({ series: seriesId, ts: timestamp, label, reason }),
    mutates: true,
    success: returns<T.MarkResponse>('MarkResponse'),
  },
  unmarkAnomaly: {
    method: 'DELETE',
    path: '/api/anomalies/feedback',
    summary: 'Remove the mark of an anomaly (query: series, ts)',
    query: z.object({ series: seriesId, ts: timestamp }),
    mutates: true,
    success: returns<T.MarkResponse>('MarkResponse'),
  },
  markAlert: {
    method: 'PUT',
    path: '/api/alerts/{alertId}/feedback',
    summary: 'Mark every anomaly an alert paged (body: label, reason?)',
    params: alertIdParam,
    body: z.strictObject({ label, reason }),
    mutates: true,
    success: returns<T.AlertMarkResponse>('AlertMarkResponse'),
  },
  unmarkAlert: {
    method: 'DELETE',
    path: '/api/alerts/{alertId}/feedback',
    summary: 'Remove the marks of every anomaly an alert paged',
    params: alertIdParam,
    mutates: true,
    success: returns<T.AlertMarkResponse>('AlertMarkResponse'),
  },
  listThresholds: {
    method: 'GET',
    path: '/api/thresholds',
    summary: 'Current adjustment, sensitivity and feedback counts of every configured metric',
    success: returns<T.ThresholdsResponse>('ThresholdsResponse'),
  },
  getThreshold: {
    method: 'GET',
    path: '/api/thresholds/{metric}',
    summary: "One metric's adjustment, counts, last weekly evaluation and latest changes",
    params: z.object({ metric: metricName }),
    success: returns<T.ThresholdDetail>('ThresholdDetail'),
  },
  setThreshold: {
    method: 'PUT',
    path: '/api/thresholds/{metric}',
    summary:
      'Set an adjustment by hand, within the policy bounds (body: adjustment, e.g. 0.2 = thresholds 20% higher; reason?)',
    params: z.object({ metric: metricName }),
    body: z.strictObject({
      adjustment: z
        .number({ error: 'must be a number such as 0.2' })
        .min(-1, 'must be at least -1')
        .max(10, 'must be at most 10'),
      reason,
    }),
    mutates: true,
    success: returns<T.ThresholdChange>('ThresholdChange'),
  },
  previewThreshold: {
    method: 'GET',
    path: '/api/thresholds/{metric}/preview',
    summary:
      'What-if: pages and labelled anomalies at the current vs a proposed adjustment (query: adjustment)',
    params: z.object({ metric: metricName }),
    query: z.object({ adjustment: numberText }),
    success: returns<T.PreviewResponse>('PreviewResponse'),
  },
  listChanges: {
    method: 'GET',
    path: '/api/threshold-changes',
    summary: 'Threshold history, newest first (query: metric?, limit? 1-100, cursor?)',
    query: z.object({ metric: metricName.optional(), limit, cursor: changeId.optional() }),
    success: returns<T.ChangesResponse>('ChangesResponse'),
  },
  getChange: {
    method: 'GET',
    path: '/api/threshold-changes/{id}',
    summary: 'One history entry',
    params: z.object({ id: changeId }),
    success: returns<T.ThresholdChange>('ThresholdChange'),
  },
  revertChange: {
    method: 'POST',
    path: '/api/threshold-changes/{id}/revert',
    summary: 'Put the metric back to the value before that change; itself a history entry (body: reason?)',
    params: z.object({ id: changeId }),
    body: z.strictObject({ reason }),
    mutates: true,
    success: returns<T.ThresholdChange>('ThresholdChange', 201),
  },
  runTune: {
    method: 'POST',
    path: '/api/tuning-runs',
    summary:
      'Run the weekly auto-tune now (idempotent per ISO week; body: time? ISO, default now, within the retention and not in the future)',
    body: z.strictObject({ time: isoTime.optional() }),
    mutates: true,
    success: returns<T.TuneResponse>('TuneResponse'),
  },
  listWindows: {
    method: 'GET',
    path: '/api/maintenance-windows',
    summary: 'Maintenance windows',
    success: returns<T.WindowsResponse>('WindowsResponse'),
  },
  putWindow: {
    method: 'POST',
    path: '/api/maintenance-windows',
    summary: `Create or replace a maintenance window (body: id, series and/or tags (at most ${WINDOW_TAGS.maxCount}), schedule once {start, end} or weekly {dayOfWeek, startMinute, durationMinutes}, reason?)`,
    body: MaintenanceWindowSchema,
    mutates: true,
    success: returns<T.MaintenanceWindow>('MaintenanceWindow', 201),
  },
  deleteWindow: {
    method: 'DELETE',
    path: '/api/maintenance-windows/{id}',
    summary: 'Delete a maintenance window',
    params: z.object({ id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a maintenance window id') }),
    mutates: true,
    success: returns<undefined>('none', 204),
  },
} as const satisfies Record<string, RouteSpec<z.ZodType, z.ZodType, z.ZodType, unknown>>;

/** A route's name in {@link API_ROUTES}. */
export type RouteName = keyof typeof API_ROUTES;
