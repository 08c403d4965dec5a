// (handler) the detect-cycle state machine (right after its shard's collect), or a manual invoke -->
// runDetectCycle for one shard: detect, no-data, alerting.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { CloudWatchMetricSource } from '../shared/adapters/cloudwatch-metric-source';
import { DynamoAlertStore } from '../shared/adapters/dynamodb-alert-store';
import { DynamoAnomalyStore } from '../shared/adapters/dynamodb-anomaly-store';
import { createDocumentClient } from '../shared/adapters/dynamodb-client';
import { DynamoControlStore } from '../shared/adapters/dynamodb-control-store';
import { DynamoMetricStore } from '../shared/adapters/dynamodb-metric-store';
import { DynamoRateLimiter } from '../shared/adapters/dynamodb-rate-limiter';
import { DynamoThresholdStore } from '../shared/adapters/dynamodb-threshold-store';
import { checkpointPrefixOf, S3CheckpointStore } from '../shared/adapters/s3-checkpoint-store';
import { S3RecentBandStore } from '../shared/adapters/s3-recent-band-store';
import { SnsAlertPublisher } from '../shared/adapters/sns-alert-publisher';
import { SqsDeadLetter } from '../shared/adapters/sqs-dead-letter';
import { WarmRecentBandStore } from '../shared/adapters/warm-recent-band-store';
import { alertEnv, checkpointEnv, ENV, loadBakedMonitorConfig, readEnv, tableEnv } from '../shared/config';
import { DetectorCache } from '../shared/domain/detectors/detector-cache';
import { type Shard, shardName } from '../shared/domain/shards';
import { bucketConfigOf } from '../shared/domain/token-bucket';
import { DependencyError, ShardIncompleteError } from '../shared/errors';
import { expandSeries } from '../shared/monitor-config';
import { log, logger, metrics, tracer } from '../shared/observability';
import type { DetectResult } from '../shared/use-cases/detect-anomalies';
import { sensitivityReader } from '../shared/use-cases/feedback';
import type { PublishResult } from '../shared/use-cases/publish-alerts';
import { noDataRules } from '../shared/use-cases/raise-no-data';
import { runDetectCycle } from '../shared/use-cases/run-detect-cycle';
import { parseShardInvocation } from './events';

// One detect shard per invocation (the state machine's Map, or a manual invoke). Each shard has its own
// function, so its warm container keeps that shard's detectors between cycles; a cold start resumes
// from the checkpoints persisted under the shard's prefix, reading only the points after them.
const stateByShard = new Map<string, { cache: DetectorCache; checkpoints: S3CheckpointStore }>();

const config = loadBakedMonitorConfig();
const env = readEnv({
  ...tableEnv.points,
  ...tableEnv.anomalies,
  ...tableEnv.control,
  ...alertEnv,
  ...checkpointEnv,
});
const ddb = tracer.captureAWSv3Client(createDocumentClient());
const snsClient = tracer.captureAWSv3Client(new SNSClient({}));
const sqsClient = tracer.captureAWSv3Client(new SQSClient({}));
const s3Client = tracer.captureAWSv3Client(new S3Client({}));
const anomalies = new DynamoAnomalyStore({
  client: ddb,
  tableName: env[ENV.anomaliesTable],
  retentionDays: config.retentionDays,
  log,
});
const thresholds = new DynamoThresholdStore({ client: ddb, tableName: env[ENV.controlTable] });

const deps = {
  points: new DynamoMetricStore({ client: ddb, tableName: env[ENV.pointsTable], log }),
  anomalies,
  control: new DynamoControlStore({ client: ddb, tableName: env[ENV.controlTable] }),
  alerts: new DynamoAlertStore({
    client: ddb,
    tableName: env[ENV.controlTable],
    retentionDays: config.retentionDays,
    log,
  }),
  // One bucket for every shard: its conditional updates keep concurrent shards from over-issuing.
  limiter: new DynamoRateLimiter({
    client: ddb,
    tableName: env[ENV.controlTable],
    config: bucketConfigOf(config.alerts.rateLimit),
  }),
  publisher: new SnsAlertPublisher({ client: snsClient, topicArn: env[ENV.alertTopicArn] }),
  deadLetter: new SqsDeadLetter({ client: sqsClient, queueUrl: env[ENV.alertDeadLetterUrl] }),
  clock: { now: () => Date.now() },
  log,
  config,
  series: expandSeries(config),
  noDataRules: noDataRules(config),
  sensitivityOf: sensitivityReader(thresholds),
  // Read once per container, then kept in memory: this shard's function is the object's only writer.
  recentBands: new WarmRecentBandStore(
    new S3RecentBandStore({ client: s3Client, bucket: env[ENV.detectorStateBucket] }),
  ),
  // Backfill on first sight: a series with no checkpoint and too little stored history asks CloudWatch once.
  backfill: new CloudWatchMetricSource({ client: tracer.captureAWSv3Client(new CloudWatchClient({})) }),
};

/** A shard's detectors in this container and its checkpoints (created on its first invocation). */
function stateOf(shard: Shard) {
  const name = shardName(shard);
  let state = stateByShard.get(name);
  if (!state) {
    const prefix = checkpointPrefixOf(shard);
    state = {
      cache: new DetectorCache(),
      checkpoints: new S3CheckpointStore({ client: s3Client, bucket: env[ENV.detectorStateBucket], prefix }),
    };
    stateByShard.set(name, state);
  }
  return state;
}

/**
 * Share of the timeout kept for what follows the last series started: recording anomalies, saving
 * the checkpoints of a cut-short run, and alerting.
 */
const RESERVE_SHARE = 0.4;

/** Series named in a response list; the rest are counted (and every one is in the logs). */
const LISTED = 20;

/**
 * Outcome returned to the invoker; `recorded` is summarised and the series lists are cut to their
 * first 20 (failures and unfinished are counted in the metrics, learning in `seriesLearningCount`).
 */
export type DetectResponse =
  | { status: 'rejected'; issues: string[] }
  | ({
      status: 'ok';
      shard: string;
      recordedCount: number;
      seriesLearningCount: number;
      /** Series whose last hour of expected range was kept for the health tiles (null: not kept). */
      bandSeries: number | null;
      alerts: PublishResult;
    } & Omit<DetectResult, 'recorded' | 'coverage' | 'band'>);

/** Validate the event, run one detect cycle of its shard, publish its counts. */
export async function lambdaHandler(event: unknown, context?: Context): Promise<DetectResponse> {
  const invocation = parseShardInvocation(event);
  if (!invocation.ok) {
    logger.error('Rejected malformed event; nothing detected', { issues: invocation.issues });
    metrics.addMetric('InvalidEvents', MetricUnit.Count, 1);
    return { status: 'rejected', issues: invocation.issues };
  }
  const { shard } = invocation;
  const state = stateOf(shard);
  const timeoutMs = context ? context.getRemainingTimeInMillis() : Number.POSITIVE_INFINITY;
  const cycle = await runDetectCycle(
    { ...deps, detectorCache: state.cache, checkpoints: state.checkpoints },
    {
      shard,
      ...(invocation.now === undefined ? {} : { now: invocation.now }),
      ...(context ? { outOfTime: () => context.getRemainingTimeInMillis() < timeoutMs * RESERVE_SHARE } : {}),
    },
  );
  const { recorded, coverage, band, ...result } = cycle.detect;
  metrics.addMetric('AnomaliesRecorded', MetricUnit.Count, recorded.length);
  metrics.addMetric('SeriesFailed', MetricUnit.Count, result.seriesFailed.length);
  metrics.addMetric('SeriesUnfinished', MetricUnit.Count, result.seriesUnfinished.length);
  metrics.addMetric('AnomalyWriteFailed', MetricUnit.Count, result.recordFailed);
  metrics.addMetric('DetectorCheckpointErrors', MetricUnit.Count, result.checkpointErrors);
  metrics.addMetric('PointsInvalid', MetricUnit.Count, result.pointsInvalid);
  metrics.addMetric('PointsBackfilled', MetricUnit.Count, result.pointsBackfilled);
  metrics.addMetric('BackfillErrors', MetricUnit.Count, result.backfillErrors);
  metrics.addMetric('SeriesLearning', MetricUnit.Count, result.seriesLearning.length);
  metrics.addMetric('SeriesSilent', MetricUnit.Count, cycle.noData.silent.length);
  // The health tiles' band could not be read or written this cycle (logged; the next cycle tries again).
  metrics.addMetric('RecentBandErrors', MetricUnit.Count, cycle.bandFailed ? 1 : 0);
  const alerts = cycle.alerts;
  metrics.addMetric('AlertMessagesSent', MetricUnit.Count, alerts.messagesSent);
  metrics.addMetric('AlertPublishFailures', MetricUnit.Count, alerts.publishFailures);
  metrics.addMetric('AnomaliesRateLimited', MetricUnit.Count, alerts.states['rate-limited'] ?? 0);
  metrics.addMetric('AlertStateWriteFailures', MetricUnit.Count, alerts.stateWriteFailures);
  logger.info('Detect cycle finished', {
    shard: cycle.shard,
    ...result,
    recordedCount: recorded.length,
    bandSeries: cycle.bandSeries,
    alerts,
  });
  // Nothing could be read at all: fail the invocation so it is retried (re-runs are idempotent).
  if (cycle.series > 0 && result.seriesFailed.length === cycle.series) {
    throw new DependencyError(`Detection failed for all ${cycle.series} series of shard ${cycle.shard}`);
  }
  // Out of time: what finished is kept; the retry (same "now") resumes the rest.
  if (result.seriesUnfinished.length > 0) {
    throw new ShardIncompleteError(
      `Shard ${cycle.shard}: ${result.seriesUnfinished.length} of ${cycle.series} series not started before the deadline`,
    );
  }
  return {
    status: 'ok',
    shard: cycle.shard,
    recordedCount: recorded.length,
    bandSeries: cycle.bandSeries,
    alerts,
    ...result,
    // The state machine takes at most 256 KiB from a task: long lists are counted, a few named.
    seriesFailed: result.seriesFailed.slice(0, LISTED),
    seriesUnfinished: result.seriesUnfinished.slice(0, LISTED),
    seriesLearning: result.seriesLearning.slice(0, LISTED),
    seriesLearningCount: result.seriesLearning.length,
  };
}

/** Lambda entry point. */
export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
