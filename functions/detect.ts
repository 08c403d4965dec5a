// (handler) EventBridge schedule (+1 min after collect) --> detectAnomalies.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { DynamoAnomalyStore } from '../shared/adapters/dynamodb-anomaly-store';
import { createDocumentClient } from '../shared/adapters/dynamodb-client';
import { DynamoControlStore } from '../shared/adapters/dynamodb-control-store';
import { DynamoMetricStore } from '../shared/adapters/dynamodb-metric-store';
import { ENV, loadBakedMonitorConfig, readEnv, tableEnv } from '../shared/config';
import { DependencyError } from '../shared/errors';
import { expandSeries } from '../shared/monitor-config';
import { log, logger, metrics, tracer } from '../shared/observability';
import { type DetectResult, detectAnomalies } from '../shared/use-cases/detect-anomalies';
import { parseScheduledInvocation } from './events';

const config = loadBakedMonitorConfig();
const env = readEnv({ ...tableEnv.points, ...tableEnv.anomalies, ...tableEnv.control });
const ddb = tracer.captureAWSv3Client(createDocumentClient());

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

/** Outcome returned to the invoker; `recorded` is summarised to keep the response small. */
export type DetectResponse =
  | { status: 'rejected'; issues: string[] }
  | ({ status: 'ok'; recordedCount: number } & Omit<DetectResult, 'recorded'>);

/** Validate the event, run one detect, publish its counts. */
export async function lambdaHandler(event: unknown): Promise<DetectResponse> {
  const invocation = parseScheduledInvocation(event);
  if (!invocation.ok) {
    logger.error('Rejected malformed event; nothing detected', { issues: invocation.issues });
    metrics.addMetric('InvalidEvents', MetricUnit.Count, 1);
    return { status: 'rejected', issues: invocation.issues };
  }
  const { recorded, ...result } = await detectAnomalies(
    deps,
    invocation.now === undefined ? {} : { now: invocation.now },
  );
  metrics.addMetric('AnomaliesRecorded', MetricUnit.Count, recorded.length);
  metrics.addMetric('SeriesFailed', MetricUnit.Count, result.seriesFailed.length);
  metrics.addMetric('AnomalyWriteFailed', MetricUnit.Count, result.recordFailed);
  logger.info('Detect finished', { ...result, recordedCount: recorded.length });
  // Nothing could be read at all: fail the invocation so Lambda retries it (re-runs are idempotent).
  if (deps.series.length > 0 && result.seriesFailed.length === deps.series.length) {
    throw new DependencyError(`Detection failed for all ${deps.series.length} series`);
  }
  return { status: 'ok', recordedCount: recorded.length, ...result };
}

/** Lambda entry point. */
export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
