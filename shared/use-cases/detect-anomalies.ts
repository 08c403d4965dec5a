// adapter --> (use case) --> domain: score each series' new points against its recent window and
// record the anomalies idempotently.

import type { BandPoint } from '../api/types';
import { mapLimit } from '../async';
import { type MaintenanceWindow, mutes } from '../domain/alerting';
import { type Anomaly, evaluateSeriesResumable, memoryPoints } from '../domain/anomaly';
import type { DetectorCache } from '../domain/detectors/detector-cache';
import { semanticsOf } from '../domain/detectors/semantics';
import { SeriesDetector } from '../domain/detectors/series-detector';
import { stableBucket } from '../domain/hash';
import { RECENT_BAND_SPAN_MS } from '../domain/recent-band';
import type { SeriesSpec } from '../domain/types';
import { messageOf } from '../errors';
import type { DetectionConfig } from '../monitor-config';
import type {
  AnomalyStore,
  CheckpointStore,
  Clock,
  ControlStore,
  Log,
  MetricSource,
  MetricStore,
} from '../ports';

/** The watermark name of this job in the control store. */
export const DETECT_JOB = 'detect';

/** What detect needs. */
export interface DetectDeps {
  readonly store: MetricStore;
  readonly anomalies: AnomalyStore;
  readonly control: ControlStore;
  readonly clock: Clock;
  readonly log: Log;
  readonly series: readonly SeriesSpec[];
  readonly detection: DetectionConfig;
  /**
   * Threshold multiplier per metric (1 + its feedback adjustment). Called once per metric per run.
   * @default every metric at 1
   */
  readonly sensitivityOf?: (metric: string) => Promise<number>;
  /**
   * Detector checkpoints kept between runs in this process (a warm Lambda, the local stack, a
   * replay): a run then feeds only the new points. Without one (or after a cold start) each run
   * re-warms the detectors from the memory it reads.
   */
  readonly detectorCache?: DetectorCache;
  /**
   * Persisted checkpoints (S3): a series with no checkpoint in `detectorCache` (a cold start) resumes
   * from its stored one; after a successful run a series' checkpoint is saved about every
   * `detection.checkpointEveryMinutes`, each series at its own phase (see checkpointDue), so saves are
   * spread over the runs instead of all coming due at once. Needs `detectorCache`.
   * A checkpoint that cannot be read or written is logged and counted, never fatal: the series then
   * re-warms from the points, as without a store.
   */
  readonly checkpoints?: CheckpointStore;
  /**
   * Backfill on first sight: a series with no checkpoint whose stored history is shorter than the
   * seasonal baselines need asks this source (CloudWatch) once per process for it and learns from it,
   * so a new stack has its daily and weekly baselines on day one (`detection.backfillSeriesPerRun` a
   * run). Counted and logged; a failure leaves the series judged from what it has.
   */
  readonly backfill?: MetricSource;
  /**
   * Maintenance windows: points inside one are judged but never learned as normal (nor do they
   * open an incident), so planned work does not become the baseline.
   */
  readonly maintenance?: { listWindows(): Promise<readonly MaintenanceWindow[]> };
  /** Watermark name. @default DETECT_JOB */
  readonly job?: string;
  /** Series evaluated at once. @default 8 */
  readonly concurrency?: number;
  /**
   * True once the run must stop starting series (the Lambda's time is nearly up). The series not
   * started are reported in `seriesUnfinished` and the watermark is held; what finished is recorded
   * and its detectors kept (and persisted), so a retry of the same run resumes instead of restarting.
   * @default never
   */
  readonly outOfTime?: () => boolean;
}

/** What one detect run did. */
export interface DetectResult {
  readonly from: number;
  readonly to: number;
  readonly seriesEvaluated: number;
  /** Series whose read failed; the watermark is held so the next run re-evaluates them. */
  readonly seriesFailed: readonly string[];
  /** Series not started because the run ran out of time (`outOfTime`); the watermark is held. */
  readonly seriesUnfinished: readonly string[];
  readonly pointsRead: number;
  readonly anomaliesFound: number;
  /** Newly recorded this run (a re-run of the same window records none). */
  readonly recorded: readonly Anomaly[];
  readonly alreadyRecorded: number;
  readonly recordFailed: number;
  /** Series read this run → time of their latest point (alerting resolves only series with data). */
  readonly coverage: ReadonlyMap<string, number>;
  /** Series judged this run → the expected range at each point judged (the health sparklines' band). */
  readonly band: ReadonlyMap<string, readonly BandPoint[]>;
  /** Points judged that the metric cannot take (outside its bounds, e.g. negative bytes): skipped, never learned. */
  readonly pointsInvalid: number;
  /** Points fetched by backfill on first sight, and backfills that failed (each logged). */
  readonly pointsBackfilled: number;
  readonly backfillErrors: number;
  /** Series whose newest verdict was still warm-up ("learning"), and when their first full verdict is due. */
  readonly seriesLearning: readonly { readonly series: string; readonly until: number }[];
  /** Persisted checkpoints this run resumed from, and saved. */
  readonly checkpointsRestored: number;
  readonly checkpointsSaved: number;
  /** Persisted checkpoints that could not be read, restored or written (each one logged). */
  readonly checkpointErrors: number;
}

/**
 * Detect anomalies.
 * 1. Evaluate points with ts in [from, now]: from = last watermark − late overlap (first run: now −
 *    late overlap), never more than `maxCatchUpMinutes` back.
 * 2. Per series: read [from − memory, now] (memory = the detector's finite memory in points × the
 *    series period), stream every point through a fresh detector, keep the verdicts from `from` on —
 *    or, with a checkpoint from the previous run in `detectorCache` (or, after a cold start, the one
 *    persisted in `checkpoints`), read and feed only the points after it. The checkpoint is taken at
 *    now − late overlap (the next run re-judges the overlap) and kept only when the run succeeds, so a
 *    failed run is re-evaluated in full.
 * 3. Record anomalies with a conditional put keyed by (series, ts): re-runs create no duplicates.
 * 4. Advance the watermark to now only when every series was read and every anomaly recorded; then
 *    keep the checkpoints (and persist those due).
 */
export async function detectAnomalies(deps: DetectDeps, input: { now?: number } = {}): Promise<DetectResult> {
  const now = input.now ?? deps.clock.now();
  const cfg = deps.detection;
  const overlapMs = cfg.lateOverlapMinutes * 60_000;
  const job = deps.job ?? DETECT_JOB;
  const watermark = await deps.control.getWatermark(job);
  const from = Math.max(now - cfg.maxCatchUpMinutes * 60_000, (watermark ?? now) - overlapMs);
  const memory = memoryPoints(cfg);

  const sensitivities = new Map<string, number>();
  for (const metric of new Set(deps.series.map((s) => s.metric))) {
    sensitivities.set(metric, deps.sensitivityOf ? await deps.sensitivityOf(metric) : 1);
  }

  const failedSeries: string[] = [];
  const unfinished: string[] = [];
  const coverage = new Map<string, number>();
  const band = new Map<string, readonly BandPoint[]>();
  let pointsRead = 0;
  const checkpoints = new Map<string, SeriesDetector>();
  const cache = deps.detectorCache;
  const store = cache ? deps.checkpoints : undefined;
  let restored = 0;
  let checkpointErrors = 0;
  let pointsInvalid = 0;
  let pointsBackfilled = 0;
  let backfillErrors = 0;
  const seriesLearning: { series: string; until: number }[] = [];
  const windows = deps.maintenance ? await deps.maintenance.listWindows() : [];
  let backfillsStarted = 0;
  const deferred = new Set<string>();
  const perSeries = await mapLimit(deps.series, deps.concurrency ?? 8, async (spec) => {
    if (deps.outOfTime?.()) {
      unfinished.push(spec.id);
      return [];
    }
    try {
      const sensitivity = sensitivities.get(spec.metric) ?? 1;
      const memoryFrom = from - memory * spec.period * 1000;
      let resume = cache?.take(spec.id, sensitivity);
      const fromStore = !resume && store !== undefined;
      if (fromStore) resume = await restore(spec, sensitivity);
      // Checkpoints are kept only once their run's anomalies are recorded, so one up to this run's own
      // checkpoint time may be resumed (a retry of a run that ran out of time); one later than that
      // (a run at an earlier "now") or older than the memory: start over.
      if (resume && !(resume.lastTs <= now - overlapMs && resume.lastTs >= memoryFrom)) resume = undefined;
      if (fromStore && resume) restored++;
      const wantsBackfill =
        !resume && deps.backfill !== undefined && cache !== undefined && !cache.wasBackfilled(spec.id);
      // At most backfillSeriesPerRun a run (a new stack of thousands must not blow the timeout); the
      // others are judged from the store and stay cold (no checkpoint kept), so a later run backfills them.
      const backfillNow = wantsBackfill && backfillsStarted < cfg.backfillSeriesPerRun;
      if (backfillNow) backfillsStarted++;
      else if (wantsBackfill) deferred.add(spec.id);
      const points = backfillNow
        ? await withBackfill(spec, deps.backfill!, cache!)
        : await deps.store.queryRange(spec.id, resume ? resume.lastTs + 1 : memoryFrom, now, now);
      pointsRead += points.length;
      const last =
        points.at(-1)?.ts ?? (resume && Number.isFinite(resume.lastTs) ? resume.lastTs : undefined);
      if (last !== undefined) coverage.set(spec.id, last);
      const muted = windows.length > 0 ? (ts: number) => !windows.some((w) => mutes(w, spec, ts)) : undefined;
      const evaluated = evaluateSeriesResumable(spec, points, from, now, cfg, sensitivity, {
        resume,
        checkpointAt: cache ? now - overlapMs : undefined,
        learn: muted,
        // What the health tiles keep: the last hour (a catch-up run judges up to a day).
        bandFrom: now - RECENT_BAND_SPAN_MS,
      });
      pointsInvalid += evaluated.invalid;
      if (evaluated.band.length > 0) band.set(spec.id, evaluated.band);
      if (evaluated.learningUntil !== undefined)
        seriesLearning.push({ series: spec.id, until: evaluated.learningUntil });
      if (evaluated.checkpoint && !deferred.has(spec.id)) checkpoints.set(spec.id, evaluated.checkpoint);
      return evaluated.anomalies;
    } catch (error) {
      failedSeries.push(spec.id);
      deps.log.error('Detection failed for a series', {
        series: spec.id,
        error: messageOf(error),
      });
      return [];
    }
  });
  /**
   * The stored history of a series seen for the first time, completed from the source when it is
   * shorter than the baselines need. Not written back: the detector learns it, and its checkpoint
   * keeps what was learned (writing two weeks of 1-minute points per new series would take a new
   * stack's first runs far past their timeout).
   */
  async function withBackfill(spec: SeriesSpec, source: MetricSource, c: DetectorCache) {
    c.markBackfilled(spec.id);
    const start = now - backfillSpanMs(spec.period, cfg.seasonality);
    const stored = await deps.store.queryRange(spec.id, start, now, now);
    const firstStored = stored[0]?.ts ?? now;
    // Within a day of the span's start is history enough (a few missing points are just gaps).
    if (firstStored - start <= 86_400_000) return stored;
    try {
      const fetched = await source.fetch([spec], start, firstStored);
      const older = fetched.points.filter((p) => p.ts < firstStored).sort((a, b) => a.ts - b.ts);
      pointsBackfilled += older.length;
      deps.log.info('Backfilled a new series from the metric source', {
        series: spec.id,
        points: older.length,
        from: new Date(start).toISOString(),
      });
      return [...older, ...stored];
    } catch (error) {
      backfillErrors++;
      deps.log.warn('Backfill failed; the series is judged from the points it has', {
        series: spec.id,
        error: messageOf(error),
      });
      return stored;
    }
  }

  /** The series' persisted checkpoint, if there is one this detector may resume. */
  async function restore(spec: SeriesSpec, sensitivity: number): Promise<SeriesDetector | undefined> {
    try {
      const snapshot = await store!.load(spec.id);
      const detector =
        snapshot && SeriesDetector.restore(cfg, spec.period * 1000, sensitivity, snapshot, semanticsOf(spec));
      // Another version, config or sensitivity took it: not this stream's; the next save replaces it.
      cache!.markSaved(spec.id, detector ? detector.lastTs : undefined);
      return detector;
    } catch (error) {
      checkpointErrors++;
      cache!.markSaved(spec.id, undefined);
      deps.log.warn('Detector checkpoint unusable; re-warming the series from its points', {
        series: spec.id,
        error: messageOf(error),
      });
      return undefined;
    }
  }

  const found = perSeries.flat();
  const result = await deps.anomalies.record(found, now);
  for (const a of result.created) {
    deps.log.info(`Anomaly: ${a.explanation}`, {
      series: a.series,
      ts: new Date(a.ts).toISOString(),
      severity: a.severity,
      methods: a.methods,
    });
  }
  for (const f of result.failed) {
    deps.log.error('Anomaly not recorded', { series: f.anomaly.series, ts: f.anomaly.ts, error: f.error });
  }
  let saved = 0;
  // A run that read every series it started and recorded every anomaly keeps its detectors; it moves
  // the watermark only when it also started every series.
  if (failedSeries.length === 0 && result.failed.length === 0) {
    const complete = unfinished.length === 0;
    if (complete) await deps.control.advanceWatermark(job, now);
    const due: { id: string; checkpoint: SeriesDetector }[] = [];
    const everyMs = cfg.checkpointEveryMinutes * 60_000;
    for (const spec of deps.series) {
      const checkpoint = checkpoints.get(spec.id);
      if (!checkpoint) continue;
      cache?.put(spec.id, sensitivities.get(spec.metric) ?? 1, checkpoint);
      // A series with none saved is due at once, so a run cut short persists what it warmed and a
      // retry in a fresh container resumes it too.
      const savedAt = cache?.savedAt(spec.id) ?? Number.NaN;
      if (store && checkpointDue(spec.id, savedAt, checkpoint.lastTs, everyMs))
        due.push({ id: spec.id, checkpoint });
    }
    await mapLimit(due, deps.concurrency ?? 8, async ({ id, checkpoint }) => {
      try {
        await store!.save(id, checkpoint.snapshot());
        cache!.markSaved(id, checkpoint.lastTs);
        saved++;
      } catch (error) {
        checkpointErrors++;
        deps.log.warn('Detector checkpoint not saved; the next run tries again', {
          series: id,
          error: messageOf(error),
        });
      }
    });
  }
  return {
    from,
    to: now,
    seriesEvaluated: deps.series.length - failedSeries.length,
    seriesFailed: failedSeries,
    seriesUnfinished: unfinished,
    pointsRead,
    anomaliesFound: found.length,
    recorded: result.created,
    alreadyRecorded: result.existing,
    recordFailed: result.failed.length,
    coverage,
    band,
    pointsInvalid,
    pointsBackfilled,
    backfillErrors,
    seriesLearning,
    checkpointsRestored: restored,
    checkpointsSaved: saved,
    checkpointErrors,
  };
}

const DAY_MS = 86_400_000;

/**
 * Whether a series' checkpoint is due for persisting: never the same one twice; a series with none
 * saved yet at once; after that each time its stream passes one of its own save instants — every
 * `everyMs`, at a phase fixed by a hash of its id — so a fleet's saves spread evenly over the interval
 * instead of all coming due in one run.
 */
export function checkpointDue(series: string, savedAt: number, lastTs: number, everyMs: number): boolean {
  if (!(lastTs > savedAt)) return false;
  if (savedAt === Number.NEGATIVE_INFINITY || everyMs <= 0) return true;
  const phase = stableBucket(series, everyMs);
  return Math.floor((lastTs - phase) / everyMs) > Math.floor((savedAt - phase) / everyMs);
}

/**
 * How far back backfill on first sight asks: two weeks and a day when the weekly baseline is on (it
 * is used once two weeks are seen), three days for the daily one, else the detector's memory — never
 * beyond what CloudWatch keeps at that period (1-minute data 15 days, 5-minute 63 days, sub-minute 3 h).
 */
export function backfillSpanMs(periodSeconds: number, seasonality: DetectionConfig['seasonality']): number {
  const wanted = !seasonality.enabled ? DAY_MS : seasonality.weeks >= 2 ? 15 * DAY_MS : 3 * DAY_MS;
  const kept =
    periodSeconds < 60
      ? 3 * 3_600_000
      : periodSeconds < 300
        ? 15 * DAY_MS
        : periodSeconds < 3600
          ? 63 * DAY_MS
          : 455 * DAY_MS;
  return Math.min(wanted, kept);
}
