// adapter --> (use case) --> use cases: one detect cycle of one shard — detect, then "series went
// silent", then alerting, then the band the health tiles draw — with every policy value that ties the
// stages together decided here, once.
// The detect Lambda, the local stack, the benchmarks and the what-if replay all run this.
import type { NoDataRule } from '../config/no-data';
import type { Anomaly } from '../domain/anomaly';
import type { DetectorCache } from '../domain/detectors/detector-cache';
import { mergeRecentBands, type RecentBands } from '../domain/recent-band';
import { type Shard, seriesOfShard, shardJobName, shardName, WHOLE_FLEET } from '../domain/shards';
import type { SeriesSpec } from '../domain/types';
import { messageOf, ValidationError } from '../errors';
import type { MonitorConfig } from '../monitor-config';
import type {
  CheckpointStore,
  ControlStore,
  Log,
  MetricSource,
  MetricStore,
  RecentBandStore,
} from '../ports';
import { DETECT_JOB, type DetectResult, detectAnomalies } from './detect-anomalies';
import {
  NOC_BUCKET,
  type PublishDeps,
  type PublishResult,
  publishAlerts,
  retryPendingMsOf,
} from './publish-alerts';
import { type NoDataResult, raiseNoDataAlerts } from './raise-no-data';

/** What a detect cycle needs: the stores and services of one deployment (local or AWS). */
export interface DetectCycleDeps
  extends Pick<
    PublishDeps,
    'anomalies' | 'alerts' | 'limiter' | 'publisher' | 'deadLetter' | 'clock' | 'log'
  > {
  readonly points: MetricStore;
  readonly control: ControlStore;
  /** Alerting's log, when it should read apart from detect's (the local console). @default log */
  readonly alertLog?: Log;
  /** The validated config: detection, alert policy. */
  readonly config: Pick<MonitorConfig, 'detection' | 'alerts'>;
  /** Every monitored series (the whole fleet); a shard takes its own from them. */
  readonly series: readonly SeriesSpec[];
  /** No-data rule per series id (noDataRules(config), or the local stack's). */
  readonly noDataRules: ReadonlyMap<string, NoDataRule>;
  /** Threshold multiplier per metric (feedback adjustments). @default 1 for every metric */
  readonly sensitivityOf?: (metric: string) => Promise<number>;
  /** This shard's detectors kept in memory between cycles (one per shard per process). */
  readonly detectorCache?: DetectorCache;
  /** This shard's persisted checkpoints (its own prefix, see checkpointPrefixOf). */
  readonly checkpoints?: CheckpointStore;
  /** Where a new series' history is backfilled from (CloudWatch). */
  readonly backfill?: MetricSource;
  /** Where the shard keeps the last hour of its series' expected range (the health sparklines' band). */
  readonly recentBands?: RecentBandStore;
  /** Watermark and bucket names of a run apart from the deployment's own (a local replay). */
  readonly namespace?: string;
}

/** What one cycle is asked to do. */
export interface DetectCycleInput {
  /** The cycle's "now" (a retried cycle passes the same one). @default the clock */
  readonly now?: number;
  /** The shard this run covers. @default the whole fleet */
  readonly shard?: Shard;
  /** True once the run must stop starting series (see DetectDeps.outOfTime). */
  readonly outOfTime?: () => boolean;
}

/** What one cycle did. */
export interface DetectCycleResult {
  readonly shard: string;
  readonly now: number;
  /** Series this shard owns. */
  readonly series: number;
  readonly detect: DetectResult;
  readonly noData: NoDataResult;
  readonly alerts: PublishResult;
  /** Every series started and read, every anomaly recorded: the watermark moved. */
  readonly complete: boolean;
  /** Series whose last hour of band was kept; null when none was (no store, out of time, or a failure). */
  readonly bandSeries: number | null;
  /** The kept band could not be read or written (logged; counted as RecentBandErrors). */
  readonly bandFailed: boolean;
}

/** The watermark name of a shard's detect (the whole fleet keeps the historical `detect`). */
export function detectJobOf(shard: Shard, namespace?: string): string {
  const job = shardJobName(DETECT_JOB, shard);
  return namespace === undefined ? job : `${job}#${namespace}`;
}

/** The token bucket every shard takes from (a local replay's own under its namespace). */
export function bucketNameOf(namespace?: string): string {
  return namespace === undefined ? NOC_BUCKET : `${NOC_BUCKET}#${namespace}`;
}

/** The digest a shard keeps what the bucket held back in: the bucket's own for a single shard. */
export function digestNameOf(shard: Shard, namespace?: string): string {
  const bucket = bucketNameOf(namespace);
  return shard.count === 1 ? bucket : `${bucket}#${shardName(shard)}`;
}

/**
 * Run one detect cycle of one shard.
 * 1. Detect the shard's series (its own watermark, cache and checkpoints).
 * 2. Record NO_DATA for the shard's series gone silent.
 * 3. Alert on what both recorded, plus the shard's anomalies still pending from earlier cycles —
 *    even when some series failed, so one bad series never holds back its neighbours' pages.
 * 4. Keep the last hour of the shard's expected ranges for the health tiles (see keepRecentBand).
 */
export async function runDetectCycle(
  deps: DetectCycleDeps,
  input: DetectCycleInput = {},
): Promise<DetectCycleResult> {
  const now = input.now ?? deps.clock.now();
  const shard = input.shard ?? WHOLE_FLEET;
  const series = seriesOfShard(deps.series, shard, deps.config.alerts.groupBy);
  const detect = await detectAnomalies(
    {
      store: deps.points,
      anomalies: deps.anomalies,
      control: deps.control,
      clock: deps.clock,
      log: deps.log,
      series,
      detection: deps.config.detection,
      job: detectJobOf(shard, deps.namespace),
      maintenance: deps.alerts,
      ...(deps.sensitivityOf ? { sensitivityOf: deps.sensitivityOf } : {}),
      ...(deps.detectorCache ? { detectorCache: deps.detectorCache } : {}),
      ...(deps.checkpoints ? { checkpoints: deps.checkpoints } : {}),
      ...(deps.backfill ? { backfill: deps.backfill } : {}),
      ...(input.outOfTime ? { outOfTime: input.outOfTime } : {}),
    },
    { now },
  );
  const { noData, alerts } = await runAlertStage(deps, {
    now,
    shard,
    series,
    fresh: detect.recorded,
    coverage: detect.coverage,
  });
  const complete =
    detect.seriesFailed.length === 0 && detect.seriesUnfinished.length === 0 && detect.recordFailed === 0;
  // After alerting, so pages never wait on it; a picture for the dashboard, so it never fails the cycle,
  // and a run out of time leaves it to the next cycle.
  const band =
    deps.recentBands && !input.outOfTime?.()
      ? await keepRecentBand(deps.recentBands, deps.log, shard, series, detect, now)
      : { kept: null, failed: false };
  return {
    shard: shardName(shard),
    now,
    series: series.length,
    detect,
    noData,
    alerts,
    complete,
    bandSeries: band.kept,
    bandFailed: band.failed,
  };
}

/**
 * Merge this cycle's expected ranges into the shard's kept hour and write it back. A corrupt object
 * starts the hour afresh; one that cannot be read now (throttled, unreachable) is left as it is for the
 * next cycle rather than overwritten with this cycle's minutes alone; a failed write is retried by the
 * next cycle's. Returns the series kept.
 */
async function keepRecentBand(
  store: RecentBandStore,
  log: Log,
  shard: Shard,
  series: readonly SeriesSpec[],
  detect: DetectResult,
  now: number,
): Promise<{ kept: number | null; failed: boolean }> {
  let previous: RecentBands | undefined;
  let failed = false;
  try {
    previous = await store.load(shard);
  } catch (error) {
    const corrupt = error instanceof ValidationError;
    failed = true;
    log.warn(
      corrupt ? 'Kept band corrupt; starting it afresh' : 'Kept band unreadable; left for the next cycle',
      {
        shard: shardName(shard),
        error: messageOf(error),
      },
    );
    if (!corrupt) return { kept: null, failed };
  }
  const kept = mergeRecentBands(previous, detect.band, new Set(series.map((s) => s.id)), now);
  try {
    await store.save(shard, kept);
    return { kept: Object.keys(kept.series).length, failed };
  } catch (error) {
    log.warn('Kept band not written; the next cycle writes it', {
      shard: shardName(shard),
      error: messageOf(error),
    });
    return { kept: null, failed: true };
  }
}

/** What the alert stage needs: the cycle's stores without detect's own. */
export type AlertStageDeps = Pick<
  DetectCycleDeps,
  | 'points'
  | 'anomalies'
  | 'alerts'
  | 'limiter'
  | 'publisher'
  | 'deadLetter'
  | 'clock'
  | 'log'
  | 'alertLog'
  | 'config'
  | 'noDataRules'
  | 'namespace'
>;

/**
 * The alert half of a cycle: NO_DATA for silent series, then publishAlerts on `fresh` plus what is
 * pending. A replay that detects in one pass (replayAlerting) calls this at each simulated run.
 */
export async function runAlertStage(
  deps: AlertStageDeps,
  input: {
    readonly now: number;
    readonly shard: Shard;
    /** The shard's series. */
    readonly series: readonly SeriesSpec[];
    readonly fresh: readonly Anomaly[];
    readonly coverage: ReadonlyMap<string, number>;
  },
): Promise<{ noData: NoDataResult; alerts: PublishResult }> {
  const log = deps.alertLog ?? deps.log;
  const noData = await raiseNoDataAlerts(
    {
      points: deps.points,
      anomalies: deps.anomalies,
      series: input.series,
      rules: deps.noDataRules,
      log,
      // What detect just read: a series with a recent point is not queried again.
      knownLatest: input.coverage,
    },
    { now: input.now },
  );
  const alerts = await publishAlerts(
    {
      anomalies: deps.anomalies,
      alerts: deps.alerts,
      limiter: deps.limiter,
      publisher: deps.publisher,
      deadLetter: deps.deadLetter,
      clock: deps.clock,
      log,
      series: input.series,
      policy: deps.config.alerts,
      retryPendingMs: retryPendingMsOf(deps.config.alerts, deps.config.detection.maxCatchUpMinutes),
      bucket: bucketNameOf(deps.namespace),
      ...(input.shard.count > 1 ? { shardScope: { digest: digestNameOf(input.shard, deps.namespace) } } : {}),
    },
    { fresh: [...input.fresh, ...noData.raised], coverage: input.coverage, now: input.now },
  );
  return { noData, alerts };
}
