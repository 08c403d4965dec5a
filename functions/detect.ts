// (handler) EventBridge schedule (+1 min after collect) --> detectAnomalies.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import { CloudWatchMetricSource } from '../shared/adapters/cloudwatch-metric-source';
import { DynamoAlertStore } from '../shared/adapters/dynamodb-alert-store';
import { DynamoAnomalyStore } from '../shared/adapters/dynamodb-anomaly-store';
import { createDocumentClient } from '../shared/adapters/dynamodb-client';
import { DynamoControlStore } from '../shared/adapters/dynamodb-control-store';
import { DynamoMetricStore } from '../shared/adapters/dynamodb-metric-store';
import { DynamoRateLimiter } from '../shared/adapters/dynamodb-rate-limiter';
import { DynamoThresholdStore } from '../shared/adapters/dynamodb-threshold-store';
import { S3CheckpointStore } from '../shared/adapters/s3-checkpoint-store';
import { SnsAlertPublisher } from '../shared/adapters/sns-alert-publisher';
import { SqsDeadLetter } from '../shared/adapters/sqs-dead-letter';
import { alertEnv, checkpointEnv, ENV, loadBakedMonitorConfig, readEnv, tableEnv } from '../shared/config';
import { DetectorCache } from '../shared/domain/detectors/detector-cache';
import { bucketConfigOf } from '../shared/domain/token-bucket';
import { DependencyError } from '../shared/errors';
import { expandSeries } from '../shared/monitor-config';
import { log, logger, metrics, tracer } from '../shared/observability';
import { type DetectResult, detectAnomalies } from '../shared/use-cases/detect-anomalies';
import { sensitivityReader } from '../shared/use-cases/feedback';
import { type PublishResult, publishAlerts } from '../shared/use-cases/publish-alerts';
import { noDataRules, raiseNoDataAlerts } from '../shared/use-cases/raise-no-data';
import { parseScheduledInvocation } from './events';

// Detector checkpoints survive between invocations of a warm container (reserved concurrency 1: one
// container at a time); a cold start resumes from the ones persisted in S3 (about hourly), reading
// only the points after them.
const detectorCache = new DetectorCache();

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
const checkpoints = new S3CheckpointStore({ client: s3Client, bucket: env[ENV.detectorStateBucket] });
// Backfill on first sight: a series with no checkpoint and too little stored history asks CloudWatch once.
const backfill = new CloudWatchMetricSource({ client: tracer.captureAWSv3Client(new CloudWatchClient({})) });

const deps = {
  store: new DynamoMetricStore({ client: ddb, tableName: env[ENV.pointsTable], log }),
  anomalies: new DynamoAnomalyStore({
    client: ddb,
    tableName: env[ENV.anomaliesTable],
    retentionDays: config.retentionDays,
    log,
  }),
  control: new DynamoControlStore({ client: ddb, tableName: env[ENV.controlTable] }),
  clock: { now: () => Date.now() },
  log,
  series: expandSeries(config),
  detection: config.detection,
};

/** Per-metric feedback adjustments (issue #6), read once per metric per invocation. */
const thresholds = new DynamoThresholdStore({ client: ddb, tableName: env[ENV.controlTable] });

const alertDeps = {
  anomalies: deps.anomalies,
  alerts: new DynamoAlertStore({ client: ddb, tableName: env[ENV.controlTable], log }),
  limiter: new DynamoRateLimiter({
    client: ddb,
    tableName: env[ENV.controlTable],
    config: bucketConfigOf(config.alerts.rateLimit),
  }),
  publisher: new SnsAlertPublisher({ client: snsClient, topicArn: env[ENV.alertTopicArn] }),
  deadLetter: new SqsDeadLetter({ client: sqsClient, queueUrl: env[ENV.alertDeadLetterUrl] }),
  clock: deps.clock,
  log,
  series: deps.series,
  policy: config.alerts,
  retryPendingMs:
    Math.max(config.alerts.maxPendingMinutes, config.detection.maxCatchUpMinutes, 6 * 60) * 60_000 +
    3_600_000,
};

/** "Series went silent" alerts (issue 15): raised through the same pipeline as anomalies. */
const noDataDeps = {
  points: deps.store,
  anomalies: deps.anomalies,
  series: deps.series,
  rules: noDataRules(config),
  log,
};

/** Outcome returned to the invoker; `recorded` is summarised to keep the response small. */
export type DetectResponse =
  | { status: 'rejected'; issues: string[] }
  | ({ status: 'ok'; recordedCount: number; alerts: PublishResult } & Omit<
      DetectResult,
      'recorded' | 'coverage'
    >);

/** Validate the event, run one detect, publish its counts. */
export async function lambdaHandler(event: unknown): Promise<DetectResponse> {
  const invocation = parseScheduledInvocation(event);
  if (!invocation.ok) {
    logger.error('Rejected malformed event; nothing detected', { issues: invocation.issues });
    metrics.addMetric('InvalidEvents', MetricUnit.Count, 1);
    return { status: 'rejected', issues: invocation.issues };
  }
  const { recorded, coverage, ...result } = await detectAnomalies(
    {
      ...deps,
      sensitivityOf: sensitivityReader(thresholds),
      detectorCache,
      checkpoints,
      backfill,
      maintenance: alertDeps.alerts,
    },
    invocation.now === undefined ? {} : { now: invocation.now },
  );
  metrics.addMetric('AnomaliesRecorded', MetricUnit.Count, recorded.length);
  metrics.addMetric('SeriesFailed', MetricUnit.Count, result.seriesFailed.length);
  metrics.addMetric('AnomalyWriteFailed', MetricUnit.Count, result.recordFailed);
  metrics.addMetric('DetectorCheckpointErrors', MetricUnit.Count, result.checkpointErrors);
  metrics.addMetric('PointsInvalid', MetricUnit.Count, result.pointsInvalid);
  metrics.addMetric('PointsBackfilled', MetricUnit.Count, result.pointsBackfilled);
  metrics.addMetric('BackfillErrors', MetricUnit.Count, result.backfillErrors);
  metrics.addMetric('SeriesLearning', MetricUnit.Count, result.seriesLearning.length);
  logger.info('Detect finished', { ...result, recordedCount: recorded.length });
  // Alerting runs on what was recorded even when some series failed; pending ones from earlier runs too.
  const silent = await raiseNoDataAlerts(noDataDeps, { now: invocation.now ?? Date.now() });
  metrics.addMetric('SeriesSilent', MetricUnit.Count, silent.silent.length);
  const alerts = await publishAlerts(alertDeps, {
    fresh: [...recorded, ...silent.raised],
    coverage,
    ...(invocation.now === undefined ? {} : { now: invocation.now }),
  });
  metrics.addMetric('AlertMessagesSent', MetricUnit.Count, alerts.messagesSent);
  metrics.addMetric('AlertPublishFailures', MetricUnit.Count, alerts.publishFailures);
  metrics.addMetric('AnomaliesRateLimited', MetricUnit.Count, alerts.states['rate-limited'] ?? 0);
  metrics.addMetric('AlertStateWriteFailures', MetricUnit.Count, alerts.stateWriteFailures);
  logger.info('Alerting finished', { ...alerts });
  // Nothing could be read at all: fail the invocation so Lambda retries it (re-runs are idempotent).
  if (deps.series.length > 0 && result.seriesFailed.length === deps.series.length) {
    throw new DependencyError(`Detection failed for all ${deps.series.length} series`);
  }
  return { status: 'ok', recordedCount: recorded.length, alerts, ...result };
}

/** Lambda entry point. */
export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
