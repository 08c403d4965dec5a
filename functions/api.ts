// (handler) API Gateway (REST, proxy integration, Cognito user pool authorizer) --> the API router: the
// staff dashboard's reads, feedback, thresholds, maintenance windows. Dependencies are built once per cold
// start; the router checks the caller's staff group, validates every request and maps errors.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { DynamoAlertStore } from '../shared/adapters/dynamodb-alert-store';
import { DynamoAnomalyStore } from '../shared/adapters/dynamodb-anomaly-store';
import { createDocumentClient } from '../shared/adapters/dynamodb-client';
import { DynamoDriftStore } from '../shared/adapters/dynamodb-drift-store';
import { DynamoFeedbackStore } from '../shared/adapters/dynamodb-feedback-store';
import { DynamoMetricStore } from '../shared/adapters/dynamodb-metric-store';
import { DynamoPredictionStore } from '../shared/adapters/dynamodb-prediction-store';
import { DynamoThresholdStore } from '../shared/adapters/dynamodb-threshold-store';
import { S3RecentBandStore } from '../shared/adapters/s3-recent-band-store';
import {
  dashboardEnv,
  ENV,
  loadBakedMonitorConfig,
  readEnv,
  recentBandEnv,
  tableEnv,
} from '../shared/config';
import { shardsOf } from '../shared/domain/shards';
import { expandSeries } from '../shared/monitor-config';
import { log, logger, metrics, tracer } from '../shared/observability';
import { shardBandReader } from '../shared/use-cases/dashboard';
import { createApiRouter } from './api-routes';
import { cognitoClaims } from './auth';

const config = loadBakedMonitorConfig();
const env = readEnv({
  ...tableEnv.points,
  ...tableEnv.anomalies,
  ...tableEnv.control,
  ...tableEnv.predictions,
  ...dashboardEnv,
  ...recentBandEnv,
});
const ddb = tracer.captureAWSv3Client(createDocumentClient());

const router = createApiRouter({
  config,
  series: expandSeries(config),
  store: new DynamoMetricStore({ client: ddb, tableName: env[ENV.pointsTable], log }),
  feedback: new DynamoFeedbackStore({ client: ddb, tableName: env[ENV.anomaliesTable], log }),
  thresholds: new DynamoThresholdStore({ client: ddb, tableName: env[ENV.controlTable] }),
  alerts: new DynamoAlertStore({ client: ddb, tableName: env[ENV.controlTable], log }),
  timeline: new DynamoAnomalyStore({ client: ddb, tableName: env[ENV.anomaliesTable], log }),
  predictions: new DynamoPredictionStore({ client: ddb, tableName: env[ENV.predictionsTable], log }),
  drift: new DynamoDriftStore({ client: ddb, tableName: env[ENV.controlTable], log }),
  keptBands: shardBandReader(
    new S3RecentBandStore({
      client: tracer.captureAWSv3Client(new S3Client({})),
      bucket: env[ENV.detectorStateBucket],
    }),
    shardsOf(env[ENV.detectShards]),
    log,
  ),
  clock: { now: () => Date.now() },
  log,
  // API Gateway's Cognito authorizer verified the token; the router checks its client and the staff group.
  // The issuer too: only the stack's own user pool, never a local (cognito-local) token.
  authenticate: cognitoClaims({
    clientId: env[ENV.dashboardClientId],
    ...(env[ENV.dashboardIssuer] === undefined ? {} : { issuer: env[ENV.dashboardIssuer] }),
  }),
  // The dashboard is served from CloudFront, the API from execute-api: only that origin may read answers.
  headers: { 'Access-Control-Allow-Origin': env[ENV.dashboardOrigin], Vary: 'Origin' },
});

/** Route one request (the router validates the event and never throws). */
export async function lambdaHandler(event: unknown): Promise<APIGatewayProxyResult> {
  const result = await router(event);
  metrics.addMetric('ApiRequests', MetricUnit.Count, 1);
  // 5xx are the API's own failures (a backing service or a bug); 4xx are callers' and already answered.
  metrics.addMetric('ApiServerErrors', MetricUnit.Count, result.statusCode >= 500 ? 1 : 0);
  logger.info('Request', {
    method: (event as { httpMethod?: unknown } | null)?.httpMethod,
    path: (event as { path?: unknown } | null)?.path,
    status: result.statusCode,
  });
  return result;
}

/** Lambda entry point. */
export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
