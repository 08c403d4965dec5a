// (handler) EventBridge daily schedule, or by hand --> checkDrift. A missing or corrupt model is a failed
// check in the stored results (and the DriftChecksFailed metric, which is alarmed), not an exception, so
// Lambda never retries it in a loop.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import middy from '@middy/core';
import { createDocumentClient } from '../shared/adapters/dynamodb-client';
import { DynamoDriftStore } from '../shared/adapters/dynamodb-drift-store';
import { DynamoMetricStore } from '../shared/adapters/dynamodb-metric-store';
import { DynamoPredictionStore } from '../shared/adapters/dynamodb-prediction-store';
import { S3ModelStore } from '../shared/adapters/s3-model-store';
import { SesMailer } from '../shared/adapters/ses-mailer';
import { driftEnv, ENV, loadBakedMonitorConfig, readEnv, tableEnv } from '../shared/config';
import { log, logger, metrics, tracer } from '../shared/observability';
import { type CheckDriftResult, checkDrift } from '../shared/use-cases/check-drift';
import { parseScheduledInvocation } from './events';

const config = loadBakedMonitorConfig();
const env = readEnv({
  ...tableEnv.points,
  ...tableEnv.control,
  ...tableEnv.predictions,
  ...driftEnv.modelsBucket,
});
const ddb = tracer.captureAWSv3Client(createDocumentClient());
const s3 = tracer.captureAWSv3Client(new S3Client({}));
const { drift } = config;
const mailer =
  drift.fromEmail && drift.toEmails.length > 0
    ? new SesMailer({
        client: tracer.captureAWSv3Client(new SESv2Client({})),
        from: drift.fromEmail,
        to: drift.toEmails,
      })
    : undefined;

const deps = {
  predictions: new DynamoPredictionStore({
    client: ddb,
    tableName: env[ENV.predictionsTable],
    retentionDays: drift.predictions.retentionDays,
    log,
  }),
  metrics: new DynamoMetricStore({ client: ddb, tableName: env[ENV.pointsTable], log }),
  models: new S3ModelStore({ client: s3, bucket: env[ENV.modelsBucket] }),
  state: new DynamoDriftStore({
    client: ddb,
    tableName: env[ENV.controlTable],
    retentionDays: config.retentionDays,
    log,
  }),
  ...(mailer ? { mailer } : {}),
  clock: { now: () => Date.now() },
  log,
  drift,
  ...(config.alerts.dashboardUrl ? { dashboardUrl: config.alerts.dashboardUrl } : {}),
};

/** Outcome returned to the invoker. */
export type CheckDriftResponse =
  | { status: 'rejected'; issues: string[] }
  | ({ status: 'ok' } & CheckDriftResult);

/** Validate the event, run one check, publish its counts. */
export async function lambdaHandler(event: unknown): Promise<CheckDriftResponse> {
  const invocation = parseScheduledInvocation(
    event,
    Date.now(),
    Math.max(config.retentionDays, config.drift.predictions.retentionDays),
  );
  if (!invocation.ok) {
    logger.error('Rejected malformed event; nothing checked', { issues: invocation.issues });
    metrics.addMetric('InvalidEvents', MetricUnit.Count, 1);
    return { status: 'rejected', issues: invocation.issues };
  }
  const result = await checkDrift(deps, invocation.now === undefined ? {} : { now: invocation.now });
  metrics.addMetric('DriftChecks', MetricUnit.Count, result.checks.length);
  metrics.addMetric('DriftDetected', MetricUnit.Count, result.drifting.length);
  metrics.addMetric('DriftChecksFailed', MetricUnit.Count, result.failed.length);
  metrics.addMetric('DriftEmailsSent', MetricUnit.Count, result.mails.filter((m) => m.messageId).length);
  logger.info('Drift check finished', {
    drifting: result.drifting,
    failed: result.failed,
    modelsTested: result.modelsTested,
    correction: result.correction,
    mails: result.mails,
  });
  return { status: 'ok', ...result };
}

/** Lambda entry point. */
export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
