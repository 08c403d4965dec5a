// (handler) EventBridge weekly schedule (Sunday 03:00 UTC by default) --> autoTune.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { createDocumentClient } from '../shared/adapters/dynamodb-client';
import { DynamoFeedbackStore } from '../shared/adapters/dynamodb-feedback-store';
import { DynamoThresholdStore } from '../shared/adapters/dynamodb-threshold-store';
import { ENV, loadBakedMonitorConfig, readEnv, tableEnv } from '../shared/config';
import { tuningPolicyOf } from '../shared/domain/feedback';
import { expandSeries } from '../shared/monitor-config';
import { log, logger, metrics, tracer } from '../shared/observability';
import { type AutoTuneResult, autoTune } from '../shared/use-cases/auto-tune';
import { parseScheduledInvocation } from './events';

const config = loadBakedMonitorConfig();
const env = readEnv({ ...tableEnv.anomalies, ...tableEnv.control });
const ddb = tracer.captureAWSv3Client(createDocumentClient());

const deps = {
  feedback: new DynamoFeedbackStore({ client: ddb, tableName: env[ENV.anomaliesTable], log }),
  thresholds: new DynamoThresholdStore({ client: ddb, tableName: env[ENV.controlTable] }),
  policy: tuningPolicyOf(config.feedback),
  metrics: expandSeries(config).map((s) => s.metric),
  runDay: config.feedback.weekly.day,
  clock: { now: () => Date.now() },
  log,
};

/** Outcome returned to the invoker. */
export type TuneResponse = { status: 'rejected'; issues: string[] } | ({ status: 'ok' } & AutoTuneResult);

/** Validate the event, run the weekly tune for the week its time falls after. */
export async function lambdaHandler(event: unknown): Promise<TuneResponse> {
  const invocation = parseScheduledInvocation(event, Date.now(), config.retentionDays);
  if (!invocation.ok) {
    logger.error('Rejected malformed event; nothing tuned', { issues: invocation.issues });
    metrics.addMetric('InvalidEvents', MetricUnit.Count, 1);
    return { status: 'rejected', issues: invocation.issues };
  }
  const result = await autoTune(deps, invocation.now === undefined ? {} : { now: invocation.now });
  metrics.addMetric('ThresholdChanges', MetricUnit.Count, result.changes);
  return { status: 'ok', ...result };
}

/** Lambda entry point. */
export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
