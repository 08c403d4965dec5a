// (handler) the detect-cycle state machine (one invocation per shard), or a manual invoke -->
// collectMetrics for that shard's series. Dependencies are built once per cold start.

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import middy from '@middy/core';
import { CloudWatchMetricSource } from '../shared/adapters/cloudwatch-metric-source';
import { createDocumentClient } from '../shared/adapters/dynamodb-client';
import { DynamoControlStore } from '../shared/adapters/dynamodb-control-store';
import { DynamoMetricStore } from '../shared/adapters/dynamodb-metric-store';
import { ENV, loadBakedMonitorConfig, readEnv, tableEnv } from '../shared/config';
import { seriesOfShard, shardJobName, shardName } from '../shared/domain/shards';
import { expandSeries } from '../shared/monitor-config';
import { log, logger, metrics, tracer } from '../shared/observability';
import { COLLECT_JOB, type CollectResult, collectMetrics } from '../shared/use-cases/collect-metrics';
import { parseShardInvocation } from './events';

const config = loadBakedMonitorConfig();
const env = readEnv({ ...tableEnv.points, ...tableEnv.control });
const ddb = tracer.captureAWSv3Client(createDocumentClient());
const cloudwatch = tracer.captureAWSv3Client(new CloudWatchClient({}));

const deps = {
  source: new CloudWatchMetricSource({ client: cloudwatch }),
  store: new DynamoMetricStore({
    client: ddb,
    tableName: env[ENV.pointsTable],
    retentionDays: config.retentionDays,
    log,
  }),
  control: new DynamoControlStore({ client: ddb, tableName: env[ENV.controlTable] }),
  clock: { now: () => Date.now() },
  log,
  collection: config.collection,
};
const fleet = expandSeries(config);

/** Outcome returned to the invoker (visible in `aws lambda invoke` output). */
/** `partial`: some points were not stored (`failed`: retried next run; `rejected`: never storable). */
export type CollectResponse =
  | { status: 'rejected'; issues: string[] }
  | ({ status: 'ok' | 'partial'; shard: string } & CollectResult);

/** Validate the event, collect its shard's series, publish its counts. */
export async function lambdaHandler(event: unknown): Promise<CollectResponse> {
  const invocation = parseShardInvocation(event, Date.now(), config.retentionDays);
  if (!invocation.ok) {
    logger.error('Rejected malformed event; nothing collected', { issues: invocation.issues });
    metrics.addMetric('InvalidEvents', MetricUnit.Count, 1);
    return { status: 'rejected', issues: invocation.issues };
  }
  const { shard } = invocation;
  const result = await collectMetrics(
    {
      ...deps,
      // The same shards as detect: each chained detect reads what its own collect just wrote.
      series: seriesOfShard(fleet, shard, config.alerts.groupBy),
      job: shardJobName(COLLECT_JOB, shard),
    },
    invocation.now === undefined ? {} : { now: invocation.now },
  );
  metrics.addMetric('PointsWritten', MetricUnit.Count, result.written);
  metrics.addMetric('PointsSkipped', MetricUnit.Count, result.skipped);
  metrics.addMetric('PointsWriteFailed', MetricUnit.Count, result.failed);
  metrics.addMetric('PointsRejected', MetricUnit.Count, result.rejected);
  metrics.addMetric('GetMetricDataCalls', MetricUnit.Count, result.calls);
  metrics.addMetric('SourceWarnings', MetricUnit.Count, result.warnings.length);
  const status = result.failed + result.rejected > 0 ? 'partial' : 'ok';
  logger.info('Collect finished', {
    status,
    shard: shardName(shard),
    ...result,
    warnings: result.warnings.slice(0, 20),
  });
  return { status, shard: shardName(shard), ...result };
}

/** Lambda entry point. */
export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
