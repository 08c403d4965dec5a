// adapter --> (use case) --> domain: the staff dashboard's read models. Infrastructure health (latest value,
// state and sparkline per series), series data for a time range (downsampled), the anomaly timeline (filtered,
// paginated), alerts with the anomaly → page funnel, and ML models (volume, accuracy, latest drift). Every
// function reads through ports and takes `now` from the caller, so the API, the local stack and tests share
// them.

import type {
  AlertsCost,
  AnomalyItem,
  ModelDrift as ApiModelDrift,
  BandPoint,
  HealthSeries,
  PointsResponse,
} from '../api/types';
import { mapLimit } from '../async';
import { type MaintenanceWindow, mutes } from '../domain/alerting';
import { memoryPoints, scanSeries } from '../domain/anomaly';
import { estimateMonthlyCost, PRICES_CHECKED } from '../domain/cost-model';
import {
  type AlertFunnel,
  type AlertQuality,
  alertFunnel,
  alertQuality,
  currentWindowMs,
  decodeCursor,
  downsample,
  encodeCursor,
  learningUntil,
  seriesState,
} from '../domain/dashboard';
import { type SeriesSemantics, semanticsOf } from '../domain/detectors/semantics';
import { performanceOf } from '../domain/drift';
import type { CheckStatus, InfraCheck, PredictionCheck } from '../domain/drift-report';
import { dedupePredictions, sliceByTime } from '../domain/prediction-set';
import { bandPointOf, bandWithin, RECENT_BAND_SPAN_MS } from '../domain/recent-band';
import { cycleTimeoutSeconds, type DetectPlan, planDetect } from '../domain/series-cost';
import { type Shard, shardName } from '../domain/shards';
import { type AlertLevel, compareSeverity, type SeriesSpec, type Severity } from '../domain/types';
import { messageOf, NotFoundError, ValidationError } from '../errors';
import type { DetectionConfig, DriftConfig } from '../monitor-config';
import type {
  AlertStateStore,
  AnomalyDetail,
  AnomalyTimelineStore,
  DriftStateStore,
  Log,
  MetricStore,
  PredictionStore,
  RecentBandStore,
} from '../ports';
import { alertFirstTs } from './feedback';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** The health view's sparkline: the last hour, at most one point a minute. */
export const SPARKLINE = { spanMs: RECENT_BAND_SPAN_MS, maxPoints: 60 } as const;

/** A time range as the routes accept it: both ends optional. */
export interface RangeInput {
  readonly from?: number | undefined;
  readonly to?: number | undefined;
}

/** How long a range may be: its default, and the most it may span (with the unit it is counted in). */
export interface RangeLimits {
  readonly defaultMs: number;
  readonly maxMs: number;
  /** How the error states the bound, e.g. `100000 points of this series (69 days at 60 s)`. */
  readonly describe?: string;
}

/**
 * Fill in a range: `to` defaults to now, `from` to `to` minus `defaultMs`.
 * @throws ValidationError naming `to` (not after `from`) or `from` (the span exceeds `maxMs`)
 */
export function resolveRange(
  input: RangeInput,
  now: number,
  limits: RangeLimits,
): { from: number; to: number } {
  const to = input.to ?? now;
  const from = input.from ?? to - limits.defaultMs;
  if (to <= from) {
    throw new ValidationError('Invalid range', ['to: must be after from'], { field: 'to' });
  }
  if (to - from > limits.maxMs) {
    const bound = limits.describe ?? `${Math.round(limits.maxMs / DAY_MS)} days`;
    throw new ValidationError('Invalid range', [`from: the range may span at most ${bound}`], {
      field: 'from',
    });
  }
  return { from, to };
}

/**
 * The longest range a series read may span: `maxPoints` of its periods, so a 5-minute series may be read
 * five times as far back as a 1-minute one for the same work.
 */
export function seriesRangeLimits(periodSeconds: number, maxPoints: number, defaultMs = DAY_MS): RangeLimits {
  const maxMs = maxPoints * periodSeconds * 1000;
  return {
    defaultMs,
    maxMs,
    describe: `${maxPoints} points of this series (${Math.floor(maxMs / DAY_MS)} days at its ${periodSeconds} s period)`,
  };
}

// ---- infrastructure health ----

/** One tile of the health view. */
export type SeriesHealth = HealthSeries;

/** What the health view reads. */
export interface HealthDeps {
  readonly series: readonly SeriesSpec[];
  readonly store: MetricStore;
  readonly timeline: AnomalyTimelineStore;
  /** Maintenance windows (a muted series says so); none when absent. */
  readonly alerts?: Pick<AlertStateStore, 'listWindows'>;
  /**
   * How often new points arrive (collect's interval plus its settle delay): a series is "no data" only
   * when its newest point is older than one arrival plus two periods (see currentWindowMs). @default 0
   */
  readonly arrivalEveryMs?: number;
  /** The expected range kept for each series' last hour (see {@link shardBandReader}); without it tiles draw none. */
  readonly keptBands?: KeptBandReader;
}

/** Reads the kept band of every series that has one: series id → its band points, oldest first. */
export type KeptBandReader = () => Promise<ReadonlyMap<string, readonly BandPoint[]>>;

/**
 * Infrastructure health at `now`.
 * 1. One read of the last 24 h of anomalies (the newest per series is its `lastAnomaly`), of the
 *    maintenance windows, and of each detect shard's kept band (the sparkline's expected range; a shard
 *    whose band cannot be read leaves its tiles without one).
 * 2. Per series (8 at a time): the points of the last hour, or of the detector's warm-up span when
 *    longer → latest value, a ≤ 60-point sparkline, and `learningUntil` when the series' first point
 *    falls inside that span (it began less than a warm-up ago).
 * 3. State: muted, anomalous (an anomaly among its current points), no data (nothing current: see
 *    {@link currentWindowMs}), learning or ok (see {@link seriesState}).
 */
export async function healthView(
  deps: HealthDeps,
  now: number,
): Promise<{ generatedAt: number; series: SeriesHealth[] }> {
  const [{ items }, windows, kept] = await Promise.all([
    deps.timeline.listNewestFirst({ from: now - DAY_MS, to: now, now }),
    deps.alerts ? deps.alerts.listWindows() : Promise.resolve([] as MaintenanceWindow[]),
    deps.keptBands ? deps.keptBands() : new Map<string, readonly BandPoint[]>(),
  ]);
  const lastBySeries = new Map<string, AnomalyDetail>();
  for (const a of items) if (!lastBySeries.has(a.series)) lastBySeries.set(a.series, a);
  const series = await mapLimit(deps.series, 8, async (s): Promise<SeriesHealth> => {
    const periodMs = s.period * 1000;
    const warmUpFrom = now - learningUntil(0, periodMs);
    const readFrom = Math.min(now - SPARKLINE.spanMs, warmUpFrom);
    const read = await deps.store.queryRange(s.id, readFrom, now, now);
    const points = read.filter((p) => p.ts >= now - SPARKLINE.spanMs);
    const first = read[0];
    // A first point more than a period into the span: the series began within its warm-up.
    const until = first && first.ts > warmUpFrom + periodMs ? learningUntil(first.ts, periodMs) : null;
    const learning = until !== null && until > now ? until : null;
    const last = read.at(-1);
    const anomaly = lastBySeries.get(s.id);
    const mutedBy = windows.find((w) => mutes(w, s, now))?.id;
    const sparkline = downsample(points, now - SPARKLINE.spanMs, now, SPARKLINE.maxPoints);
    const sparkRange = { from: now - SPARKLINE.spanMs, to: now, maxPoints: SPARKLINE.maxPoints };
    const band = bandWithin(kept.get(s.id), sparkRange.from, sparkRange.to);
    return {
      id: s.id,
      label: s.label,
      metric: s.metric,
      ...(s.unit !== undefined ? { unit: s.unit } : {}),
      tags: s.tags,
      latest: last ? { ts: last.ts, value: last.value } : null,
      state: seriesState(last?.ts, anomaly?.ts, now, currentWindowMs(periodMs, deps.arrivalEveryMs ?? 0), {
        learningUntil: learning,
        muted: mutedBy !== undefined,
      }),
      learningUntil: learning,
      ...(mutedBy !== undefined ? { mutedBy } : {}),
      lastAnomaly: anomaly
        ? {
            ts: anomaly.ts,
            severity: anomaly.severity,
            level: anomaly.level,
            explanation: anomaly.explanation,
          }
        : null,
      sparkline: sparkline.points.map((p) => ({ ts: p.ts, value: p.value })),
      // Bucketed exactly when the points are, so band and line share their timestamps.
      sparklineBand: sparkline.downsampled ? bucketBand(band, sparkRange) : band,
    };
  });
  return { generatedAt: now, series };
}

/**
 * The band the detect shards keep (one object each), by series. A shard whose object cannot be read
 * contributes none and is logged: its tiles draw no band, the view still answers.
 */
export function shardBandReader(store: RecentBandStore, shards: readonly Shard[], log?: Log): KeptBandReader {
  return async () => {
    const loaded = await Promise.all(
      shards.map((shard) =>
        store.load(shard).catch((error: unknown) => {
          log?.warn('Kept band unreadable; its tiles draw no band', {
            shard: shardName(shard),
            error: messageOf(error),
          });
          return undefined;
        }),
      ),
    );
    const bySeries = new Map<string, readonly BandPoint[]>();
    for (const bands of loaded)
      for (const [id, points] of Object.entries(bands?.series ?? {})) bySeries.set(id, points);
    return bySeries;
  };
}

// ---- series data ----

/** What the series view reads. */
export interface SeriesDataDeps {
  readonly series: readonly SeriesSpec[];
  readonly store: MetricStore;
  /** Needed for the expected band: the production detector's settings and each metric's sensitivity. */
  readonly detection?: DetectionConfig;
  readonly sensitivityOf?: (metric: string) => Promise<number>;
}

/** What a series read asks for. */
export interface SeriesDataInput {
  readonly id: string;
  readonly from: number;
  readonly to: number;
  readonly maxPoints: number;
  /** Also return the detector's expected range over [from, to]. */
  readonly band?: boolean;
}

/**
 * One series' points in [from, to], at most `maxPoints` (min/max/mean buckets beyond that), and with
 * `band` the detector's expected range.
 * 1. Read the range (plus, for the band, the detector's memory and seasonal look-back before it).
 * 2. Band: replay the points through the production detector ({@link scanSeries}) at the metric's
 *    current sensitivity and keep each verdict's z-score bounds; downsampled into the same buckets as
 *    the points (a bucket's widest range), so the band never hides a bucket's extreme.
 * @throws NotFoundError (field `id`) for a series that is not configured
 */
export async function seriesData(
  deps: SeriesDataDeps,
  input: SeriesDataInput,
  now: number,
): Promise<PointsResponse & { band?: BandPoint[] }> {
  const spec = deps.series.find((s) => s.id === input.id);
  if (!spec) throw new NotFoundError(`No configured series ${input.id}`, { field: 'id' });
  const periodMs = spec.period * 1000;
  const wantBand = input.band === true && deps.detection !== undefined;
  const readFrom = wantBand ? input.from - bandLookbackMs(deps.detection!, periodMs) : input.from;
  const read = await deps.store.queryRange(spec.id, readFrom, input.to, now);
  const result = downsample(read, input.from, input.to, input.maxPoints);
  const base = {
    id: spec.id,
    label: spec.label,
    ...(spec.unit !== undefined ? { unit: spec.unit } : {}),
    from: input.from,
    to: input.to,
    downsampled: result.downsampled,
    points: result.points,
  };
  if (!wantBand) return base;
  const sensitivity = deps.sensitivityOf ? await deps.sensitivityOf(spec.metric) : 1;
  // Bucketed exactly when the points are, so band and points share their timestamps.
  const band = expectedBand(
    read,
    input,
    deps.detection!,
    sensitivity,
    periodMs,
    result.downsampled,
    semanticsOf(spec),
  );
  return { ...base, band };
}

/**
 * How far before a chart's first point the band's replay starts: the detector's finite memory, and the
 * seasonal baselines' look-back (same time on previous days or weeks), so the band is judged against the
 * same model detect used (a checkpointed detector carries that history).
 */
export function bandLookbackMs(detection: DetectionConfig, periodMs: number): number {
  const s = detection.seasonality;
  const seasonalDays = s.enabled ? Math.max(s.days, s.weeks >= 2 ? 7 * s.weeks : 0) : 0;
  return Math.max(memoryPoints(detection) * periodMs, seasonalDays * DAY_MS + periodMs);
}

/**
 * The detector's expected range over [from, to]: each point's {@link bandPointOf}. With `bucketed`: `maxPoints` time buckets as {@link downsample} makes them,
 * the widest range per bucket.
 */
export function expectedBand(
  points: readonly { readonly ts: number; readonly value: number }[],
  range: { readonly from: number; readonly to: number; readonly maxPoints: number },
  detection: DetectionConfig,
  sensitivity: number,
  periodMs: number,
  bucketed = false,
  semantics?: SeriesSemantics,
): BandPoint[] {
  const raw: BandPoint[] = [];
  scanSeries(
    points,
    range.from,
    range.to,
    detection,
    sensitivity,
    periodMs,
    (p, verdict) => {
      const band = bandPointOf(p.ts, verdict);
      if (band) raw.push(band);
    },
    { semantics },
  );
  return bucketed ? bucketBand(raw, range) : raw;
}

/**
 * A band in `maxPoints` time buckets over [from, to], as {@link downsample} buckets points: the widest
 * range per bucket, so the band never hides a bucket's extreme.
 */
export function bucketBand(
  band: readonly BandPoint[],
  range: { readonly from: number; readonly to: number; readonly maxPoints: number },
): BandPoint[] {
  const width = Math.max(1, Math.ceil((range.to - range.from) / range.maxPoints));
  const buckets = new Map<number, { low: number; high: number }>();
  for (const b of band) {
    const i = Math.min(range.maxPoints - 1, Math.floor((b.ts - range.from) / width));
    const cur = buckets.get(i);
    if (!cur) buckets.set(i, { low: b.low, high: b.high });
    else {
      if (b.low < cur.low) cur.low = b.low;
      if (b.high > cur.high) cur.high = b.high;
    }
  }
  return [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([i, r]) => ({ ts: range.from + i * width, low: r.low, high: r.high }));
}

// ---- anomaly timeline ----

/** One row of the anomaly timeline (JSON: non-finite numbers as null): the API contract's type. */
export type AnomalyRow = AnomalyItem;

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/**
 * The alert an anomaly belongs to: the page that listed it (`sent`, `grouped`), or the open alert it was
 * folded into (`deduplicated`, whose reason is that alert's id).
 */
export function alertIdOfAnomaly(a: AnomalyDetail): string | undefined {
  if (a.alertId !== undefined) return a.alertId;
  if (
    a.alertState === 'deduplicated' &&
    a.alertReason !== undefined &&
    alertFirstTs(a.alertReason) !== undefined
  )
    return a.alertReason;
  return undefined;
}

/** An anomaly as the timeline returns it. */
export function anomalyRow(a: AnomalyDetail): AnomalyRow {
  const alertId = alertIdOfAnomaly(a);
  return {
    series: a.series,
    label: a.label,
    metric: a.metric,
    ...(a.unit !== undefined ? { unit: a.unit } : {}),
    ts: a.ts,
    value: a.value,
    expectedLow: finite(a.expectedLow),
    expectedHigh: finite(a.expectedHigh),
    baseline: finite(a.baseline),
    deviation: finite(a.deviation),
    score: a.score,
    severity: a.severity,
    level: a.level,
    methods: a.methods,
    explanation: a.explanation,
    ...(a.model !== undefined ? { model: a.model } : {}),
    alertState: a.alertState,
    ...(alertId !== undefined ? { alertId } : {}),
    ...(a.feedback !== undefined ? { feedback: a.feedback } : {}),
  };
}

/** Filters and page of the timeline. */
export interface TimelineInput {
  readonly from: number;
  readonly to: number;
  /** Minimum severity. */
  readonly severity?: Severity | undefined;
  readonly series?: string | undefined;
  /** Only anomalies this method fired on. */
  readonly method?: string | undefined;
  readonly limit: number;
  /** A previous page's `nextCursor`. */
  readonly cursor?: string | undefined;
}

/**
 * One page of the anomaly timeline, newest first, filtered while reading (so a page is full whenever
 * enough anomalies match); `nextCursor` when more follow.
 * @throws ValidationError (field `cursor`) for a cursor this API did not issue
 */
export async function anomalyTimeline(
  deps: { readonly timeline: AnomalyTimelineStore },
  input: TimelineInput,
  now: number,
): Promise<{ items: AnomalyRow[]; nextCursor?: string }> {
  const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
  if (input.cursor !== undefined && after === undefined) {
    throw new ValidationError('Invalid cursor', ['cursor: pass back the nextCursor of a previous page'], {
      field: 'cursor',
    });
  }
  const { items, more } = await deps.timeline.listNewestFirst({
    from: input.from,
    to: input.to,
    now,
    limit: input.limit,
    ...(after ? { after } : {}),
    accept: (a) =>
      (input.severity === undefined || compareSeverity(a.severity, input.severity) >= 0) &&
      (input.series === undefined || a.series === input.series) &&
      (input.method === undefined || a.methods.includes(input.method)),
  });
  const last = items.at(-1);
  return {
    items: items.map(anomalyRow),
    ...(more && last ? { nextCursor: encodeCursor({ ts: last.ts, series: last.series }) } : {}),
  };
}

// ---- alerts ----

/** One alert (page) on the alert correlation view. */
export interface AlertRow {
  readonly alertId: string;
  /** Its first anomaly's time. */
  readonly ts: number;
  /** The worst level among its anomalies in the range. */
  readonly level: AlertLevel;
  /** Series ids of its anomalies in the range (labels in `labels`, same order). */
  readonly series: string[];
  readonly labels: string[];
  /** Its anomalies in the range: paged (sent, grouped) and folded in later (deduplicated). */
  readonly anomalies: number;
  /** `open` until its RESOLVED notice went out. */
  readonly state: 'open' | 'resolved';
  /** When its RESOLVED notice went out (null: open, or resolved before the records kept). */
  readonly resolvedAt: number | null;
  /** Of its anomalies, how many staff have labelled (the dashboard offers "Undo" only then). */
  readonly marked: number;
}

const LEVEL_RANK: Record<AlertLevel, number> = { INFO: 0, WARNING: 1, CRITICAL: 2 };

/** The fleet the cost estimate prices: the configured series, and the config that plans and drives them. */
export interface FleetCostConfig {
  readonly series: readonly Pick<SeriesSpec, 'metric' | 'tags' | 'label'>[];
  /** `alerts.groupBy`: the shard of a series is chosen by its alert group. */
  readonly groupBy: string;
  readonly collectEveryMinutes: number;
  readonly checkpointEveryMinutes: number;
  readonly retentionDays: number;
}

/**
 * The fleet's estimated monthly cost at the plan `cdk deploy` gives it: planDetect with the detect
 * timeout of its cycle period (as infra/stack.ts plans it), priced by estimateMonthlyCost.
 * @returns null when no series is configured, or the fleet needs more shards than the limit (the stack
 *   refuses to deploy it, so there is no plan to price)
 */
export function fleetCost(fleet: FleetCostConfig): AlertsCost | null {
  if (fleet.series.length === 0) return null;
  let plan: DetectPlan;
  try {
    plan = planDetect(fleet.series, fleet.groupBy, cycleTimeoutSeconds(fleet.collectEveryMinutes).detect);
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
  const estimate = estimateMonthlyCost({
    series: fleet.series.length,
    shards: plan.count,
    memoryMb: plan.memoryMb,
    collectEveryMinutes: fleet.collectEveryMinutes,
    checkpointEveryMinutes: fleet.checkpointEveryMinutes,
    retentionDays: fleet.retentionDays,
  });
  return {
    perSeriesUsd: estimate.perSeriesUsd,
    fleetUsd: estimate.fleetUsd,
    series: fleet.series.length,
    shards: plan.count,
    memoryMb: plan.memoryMb,
    collectEveryMinutes: fleet.collectEveryMinutes,
    pricesChecked: PRICES_CHECKED,
    basis: estimate.basis,
  };
}

/**
 * Alerts and the funnel over [from, to].
 * 1. One read of the range's anomalies with their alert states.
 * 2. The funnel: counts per state, conversion = (sent + grouped) / anomalies at or above the page level.
 * 3. Alerts: anomalies grouped by the alert they belong to, newest first; open per the open-alert store.
 * 4. Quality per metric and overall: pages (per week), anomalies per page, precision from the labels,
 *    held back by the rate limit, suppressed, median time to RESOLVED (see {@link alertQuality}), and
 *    the estimated monthly cost of the metric's configured series (overall: the fleet's `cost`).
 */
export async function alertsOverview(
  deps: {
    readonly timeline: AnomalyTimelineStore;
    readonly alerts: AlertStateStore;
    readonly minLevelToPage: AlertLevel;
    /** The configured series (each quality row's cost is its metric's share). */
    readonly series: readonly Pick<SeriesSpec, 'metric'>[];
    /** The fleet's estimate ({@link fleetCost}: fixed for a config, so the caller prices it once). */
    readonly cost: AlertsCost | null;
  },
  range: { readonly from: number; readonly to: number },
  now: number,
): Promise<{
  from: number;
  to: number;
  summary: AlertFunnel;
  quality: AlertQuality[];
  cost: AlertsCost | null;
  alerts: AlertRow[];
}> {
  const [{ items }, open, resolvedList] = await Promise.all([
    deps.timeline.listNewestFirst({ from: range.from, to: range.to, now }),
    deps.alerts.listOpen(),
    deps.alerts.listResolved(range.from, now),
  ]);
  const openIds = new Set(open.map((a) => a.alertId));
  const resolvedAt = new Map(resolvedList.map((r) => [r.alertId, r.at]));
  const byAlert = new Map<string, AnomalyDetail[]>();
  for (const a of items) {
    const id = alertIdOfAnomaly(a);
    if (id === undefined) continue;
    const members = byAlert.get(id);
    if (members) members.push(a);
    else byAlert.set(id, [a]);
  }
  const alerts = [...byAlert.entries()].map(([alertId, members]): AlertRow => {
    const series = [...new Set(members.map((m) => m.series))];
    const labelOf = new Map(members.map((m) => [m.series, m.label]));
    const level = members.reduce<AlertLevel>(
      (worst, m) => (LEVEL_RANK[m.level] > LEVEL_RANK[worst] ? m.level : worst),
      'INFO',
    );
    return {
      alertId,
      ts: alertFirstTs(alertId) ?? Math.min(...members.map((m) => m.ts)),
      level,
      series,
      labels: series.map((s) => labelOf.get(s) ?? s),
      anomalies: members.length,
      state: openIds.has(alertId) ? 'open' : 'resolved',
      resolvedAt: openIds.has(alertId) ? null : (resolvedAt.get(alertId) ?? null),
      marked: members.filter((m) => m.feedback !== undefined).length,
    };
  });
  alerts.sort((a, b) => b.ts - a.ts || (a.alertId < b.alertId ? 1 : -1));
  const rowById = new Map(alerts.map((a) => [a.alertId, a]));
  const { cost } = deps;
  const seriesOfMetric = new Map<string, number>();
  for (const s of deps.series) seriesOfMetric.set(s.metric, (seriesOfMetric.get(s.metric) ?? 0) + 1);
  const quality = alertQuality(
    items,
    (i) => alertIdOfAnomaly(items[i]!),
    range.to - range.from,
    (alertId) => {
      const row = rowById.get(alertId);
      return row?.resolvedAt != null ? row.resolvedAt - row.ts : undefined;
    },
  ).map(
    (q): AlertQuality => ({
      ...q,
      // A metric no longer configured (its anomalies outlive it) costs nothing now.
      estimatedMonthlyUsd:
        cost === null
          ? null
          : q.metric === null
            ? cost.fleetUsd
            : (seriesOfMetric.get(q.metric) ?? 0) * cost.perSeriesUsd,
    }),
  );
  return {
    from: range.from,
    to: range.to,
    summary: alertFunnel(items, deps.minLevelToPage),
    quality,
    cost,
    alerts,
  };
}

// ---- ML models ----

/** The latest K-S result of a model: the API contract's type. */
export type ModelDrift = ApiModelDrift;

/** One drift run's reading of a model, for the over-time charts. */
export interface ModelHistoryPoint {
  readonly at: number;
  readonly status: CheckStatus;
  readonly statistic: number | null;
  /** Accuracy over the 24 h before the run; null without outcomes. */
  readonly accuracy24h: number | null;
}

/** One model on the ML view. */
export interface ModelRow {
  readonly model: string;
  readonly predictions24h: number;
  readonly predictions7d: number;
  /** Share of correct predictions among those with an outcome; null without outcomes. */
  readonly accuracy24h: number | null;
  readonly accuracy7d: number | null;
  readonly drift: ModelDrift | null;
  /** Baseline vs recent score quantiles of the latest check that had them (a CDF overlay). */
  readonly quantiles: readonly { readonly q: number; readonly before: number; readonly after: number }[];
  /** Every drift run of the last 31 days that checked the model, oldest first. */
  readonly history: readonly ModelHistoryPoint[];
}

/** The infrastructure drift check's latest result. */
export interface InfraDrift {
  readonly status: CheckStatus;
  readonly reason: string;
  /** Share of recent rows the isolation forest scored anomalous; null when the check did not score. */
  readonly anomalyRate: number | null;
  readonly expectedRate: number | null;
  /** anomalyRate ÷ expectedRate. */
  readonly ratio: number | null;
  readonly checkedAt: number;
}

/** How far back the ML view looks for drift runs (they are kept 30 days). */
const RUNS_LOOKBACK_MS = 31 * DAY_MS;

function modelDrift(check: PredictionCheck, checkedAt: number): ModelDrift {
  return {
    status: check.status,
    reason: check.reason,
    statistic: check.ks?.statistic ?? null,
    pValue: check.ks?.pValue ?? null,
    adjustedPValue: check.ks?.adjustedPValue ?? null,
    nBaseline: check.baseline.n,
    nRecent: check.recent.n,
    baselineWindow: [check.baseline.from, check.baseline.to],
    recentWindow: [check.recent.from, check.recent.to],
    checkedAt,
  };
}

function infraDrift(check: InfraCheck, checkedAt: number): InfraDrift {
  const rate = check.rate ?? null;
  const expected = check.expectedRate ?? null;
  return {
    status: check.status,
    reason: check.reason,
    anomalyRate: rate,
    expectedRate: expected,
    ratio: rate !== null && expected !== null && expected > 0 ? rate / expected : null,
    checkedAt,
  };
}

/**
 * ML models at `now`.
 * 1. The models: configured, seen in predictions, or named in a drift run of the last 31 days.
 * 2. Per model (2 at a time): the last 7 days of predictions, duplicates dropped → volume and accuracy over
 *    24 h and 7 d (outcomes judged as check-drift does, with the configured decision threshold).
 * 3. Drift: each model's check in the newest run that has one (with its score quantiles); infra: the
 *    newest infra check. History: every run's K-S statistic and 24 h accuracy per model, and the infra
 *    anomaly rate, oldest first.
 */
export async function modelsOverview(
  deps: {
    readonly predictions: PredictionStore;
    readonly drift: DriftStateStore;
    readonly config: DriftConfig;
  },
  now: number,
): Promise<{
  models: ModelRow[];
  infra: InfraDrift | null;
  infraHistory: { at: number; rate: number | null; expectedRate: number | null }[];
  lastRun: number | null;
}> {
  const [seen, runs] = await Promise.all([
    deps.predictions.listModels(now),
    deps.drift.listRuns(now - RUNS_LOOKBACK_MS, now),
  ]);
  const latestCheck = new Map<string, ModelDrift>();
  const latestQuantiles = new Map<string, ModelRow['quantiles']>();
  const history = new Map<string, ModelHistoryPoint[]>();
  const infraHistory: { at: number; rate: number | null; expectedRate: number | null }[] = [];
  let infra: InfraDrift | null = null;
  // Runs come newest first: the first check of a model is its latest.
  for (const run of runs) {
    for (const check of run.checks) {
      if (check.kind === 'prediction') {
        if (!latestCheck.has(check.model)) latestCheck.set(check.model, modelDrift(check, run.runAt));
        if (!latestQuantiles.has(check.model) && check.quantiles?.length) {
          latestQuantiles.set(
            check.model,
            check.quantiles.map((q) => ({ q: q.q, before: q.before, after: q.after })),
          );
        }
        const points = history.get(check.model) ?? [];
        history.set(check.model, points);
        points.unshift({
          at: run.runAt,
          status: check.status,
          statistic: check.ks?.statistic ?? null,
          accuracy24h: (check.performance ?? []).find((p) => p.window === '24h')?.accuracy ?? null,
        });
      } else {
        if (infra === null) infra = infraDrift(check, run.runAt);
        infraHistory.unshift({
          at: run.runAt,
          rate: check.rate ?? null,
          expectedRate: check.expectedRate ?? null,
        });
      }
    }
  }
  const names = [
    ...new Set([...deps.config.predictions.models, ...seen.map((m) => m.model), ...latestCheck.keys()]),
  ].sort();
  const threshold = deps.config.predictions.decisionThreshold;
  const models = await mapLimit(names, 2, async (model): Promise<ModelRow> => {
    const week = dedupePredictions(await deps.predictions.load(model, now - 7 * DAY_MS, now, now)).columns;
    const day = sliceByTime(week, now - DAY_MS, now);
    return {
      model,
      predictions24h: day.ts.length,
      predictions7d: week.ts.length,
      accuracy24h: performanceOf(week, now - DAY_MS, now, threshold, '24h')?.accuracy ?? null,
      accuracy7d: performanceOf(week, now - 7 * DAY_MS, now, threshold, '7d')?.accuracy ?? null,
      drift: latestCheck.get(model) ?? null,
      quantiles: latestQuantiles.get(model) ?? [],
      history: history.get(model) ?? [],
    };
  });
  return { models, infra, infraHistory, lastRun: runs[0]?.runAt ?? null };
}
