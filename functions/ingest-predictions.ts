// (handler) EventBridge rule (detail-type ModelPrediction) --> SQS buffer --> ingestPredictions.
// The queue batches events (up to 1,000 per invocation) so storage writes are chunks, not one item per
// prediction; invalid events are parked in the rejected-predictions queue with the reason; deliveries
// that could not be stored are reported as batch item failures and retried (then the buffer's DLQ).
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import { z } from 'zod';
import { createDocumentClient } from '../shared/adapters/dynamodb-client';
import { DynamoPredictionStore } from '../shared/adapters/dynamodb-prediction-store';
import { SqsRejectSink } from '../shared/adapters/sqs-reject-sink';
import { driftEnv, ENV, loadBakedMonitorConfig, readEnv, tableEnv } from '../shared/config';
import { formatIssues } from '../shared/monitor-config';
import { log, logger, metrics, tracer } from '../shared/observability';
import { ingestPredictions } from '../shared/use-cases/ingest-predictions';

const config = loadBakedMonitorConfig();
const env = readEnv({ ...tableEnv.predictions, ...driftEnv.rejectedPredictions });
const ddb = tracer.captureAWSv3Client(createDocumentClient());
const sqs = tracer.captureAWSv3Client(new SQSClient({}));
const retentionDays = config.drift.predictions.retentionDays;

const deps = {
  store: new DynamoPredictionStore({ client: ddb, tableName: env[ENV.predictionsTable], retentionDays, log }),
  rejects: new SqsRejectSink({ client: sqs, queueUrl: env[ENV.rejectedPredictionsUrl] }),
  clock: { now: () => Date.now() },
  log,
  retentionDays,
};

/** The part of an SQS event the handler reads. */
export const SqsEventSchema = z.object({
  Records: z.array(z.object({ messageId: z.string().min(1), body: z.string() })).min(1),
});

/** Partial-batch response for the SQS event source (ReportBatchItemFailures), or a rejected invocation. */
export type IngestResponse =
  | { batchItemFailures: { itemIdentifier: string }[] }
  | { status: 'rejected'; issues: string[] };

/** Validate the SQS batch, ingest it, report what must be retried. */
export async function lambdaHandler(event: unknown): Promise<IngestResponse> {
  const parsed = SqsEventSchema.safeParse(event);
  if (!parsed.success) {
    const issues = formatIssues(parsed.error);
    logger.error('Rejected an invocation that is not an SQS batch; nothing ingested', { issues });
    metrics.addMetric('InvalidEvents', MetricUnit.Count, 1);
    return { status: 'rejected', issues };
  }
  const result = await ingestPredictions(
    deps,
    parsed.data.Records.map((r) => ({ id: r.messageId, body: r.body })),
  );
  metrics.addMetric('PredictionsStored', MetricUnit.Count, result.stored);
  metrics.addMetric('PredictionsRejected', MetricUnit.Count, result.rejected);
  metrics.addMetric('PredictionsFailed', MetricUnit.Count, result.failedIds.length);
  logger.info('Ingest finished', { ...result, failedIds: result.failedIds.slice(0, 20) });
  return { batchItemFailures: result.failedIds.map((itemIdentifier) => ({ itemIdentifier })) };
}

/** Lambda entry point. */
export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
