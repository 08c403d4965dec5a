// (handler) invoked by hand (`aws lambda invoke`, the stack prints the command) --> trainDriftModel.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { z } from 'zod';
import { createDocumentClient } from '../shared/adapters/dynamodb-client';
import { DynamoMetricStore } from '../shared/adapters/dynamodb-metric-store';
import { S3ModelStore } from '../shared/adapters/s3-model-store';
import { driftEnv, ENV, loadBakedMonitorConfig, readEnv, tableEnv } from '../shared/config';
import { resolveFeatures } from '../shared/domain/drift';
import { ValidationError } from '../shared/errors';
import { expandSeries, formatIssues } from '../shared/monitor-config';
import { log, logger, metrics, tracer } from '../shared/observability';
import { type TrainResult, trainDriftModel } from '../shared/use-cases/train-drift-model';

const config = loadBakedMonitorConfig();
const env = readEnv({ ...tableEnv.points, ...driftEnv.modelsBucket });
const ddb = tracer.captureAWSv3Client(createDocumentClient());
const s3 = tracer.captureAWSv3Client(new S3Client({}));

const deps = {
  metrics: new DynamoMetricStore({ client: ddb, tableName: env[ENV.pointsTable], log }),
  models: new S3ModelStore({ client: s3, bucket: env[ENV.modelsBucket] }),
  clock: { now: () => Date.now() },
  log,
  settings: config.drift.infra,
};

/** The payload: `{"days": 30}` (the default), optionally a seed. */
export const TrainEventSchema = z.strictObject({
  days: z.number().int().min(1).max(365).optional(),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .optional(),
});

/** Outcome returned to `aws lambda invoke`. */
export type TrainResponse = { status: 'rejected'; issues: string[] } | TrainResult;

/** Validate the payload, resolve the features, train, report. */
export async function lambdaHandler(event: unknown): Promise<TrainResponse> {
  const parsed = TrainEventSchema.safeParse(event ?? {});
  if (!parsed.success) {
    const issues = formatIssues(parsed.error);
    logger.error('Rejected training request', { issues });
    metrics.addMetric('InvalidEvents', MetricUnit.Count, 1);
    return { status: 'rejected', issues };
  }
  let features: ReturnType<typeof resolveFeatures>;
  try {
    features = resolveFeatures(config.drift.infra.features, expandSeries(config));
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const issues = error.issues.map((i) => `drift.infra.${i}`);
    logger.error('drift.infra.features does not match the collected series', { issues });
    return { status: 'rejected', issues };
  }
  const result = await trainDriftModel({ ...deps, features }, parsed.data);
  if (result.status === 'refused') {
    logger.warn('Training refused', { ...result });
    metrics.addMetric('TrainingRefused', MetricUnit.Count, 1);
  } else {
    metrics.addMetric('TrainingRows', MetricUnit.Count, result.rows);
    metrics.addMetric('TrainingSeconds', MetricUnit.Seconds, result.trainingSeconds);
    logger.info('Training finished', { ...result });
  }
  return result;
}

/** Lambda entry point. */
export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
