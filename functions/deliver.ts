// (handler) SNS alert topic (one subscription per destination, filtered) --> deliverAlert: PagerDuty
// Events API v2 or a signed webhook. A refusal (4xx) is parked in the function's alarmed dead-letter
// queue at once; any other failure is thrown: Lambda retries the async invocation twice, then parks
// the event in the same queue.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import middy from '@middy/core';
import { z } from 'zod';
import { AwsSecretReader } from '../shared/adapters/aws-secret-reader';
import { FetchHttpPoster } from '../shared/adapters/fetch-http-poster';
import { SqsRefusedSink } from '../shared/adapters/sqs-refused-sink';
import { ENV, loadBakedMonitorConfig, readEnv } from '../shared/config';
import { ConfigError, ValidationError } from '../shared/errors';
import { formatIssues } from '../shared/monitor-config';
import { log, logger, metrics, tracer } from '../shared/observability';
import { type DeliverOutcome, deliverAlert } from '../shared/use-cases/deliver-alert';
import { SnsEventSchema } from './events';

const config = loadBakedMonitorConfig();
const env = readEnv({ [ENV.destinationName]: z.string().min(1), [ENV.deliveryDeadLetterUrl]: z.url() });
const destination = config.alerts.destinations.find((d) => d.name === env[ENV.destinationName]);
if (!destination) {
  throw new ConfigError(
    `${ENV.destinationName}: no destination ${env[ENV.destinationName]} in alerts.destinations`,
  );
}
const deps = {
  secrets: new AwsSecretReader({
    secretsManager: tracer.captureAWSv3Client(new SecretsManagerClient({})),
    ssm: tracer.captureAWSv3Client(new SSMClient({})),
  }),
  http: new FetchHttpPoster(),
  // A 4xx will not fix itself: parked in the alarmed dead-letter queue at once, not retried by Lambda.
  refused: new SqsRefusedSink({
    client: tracer.captureAWSv3Client(new SQSClient({})),
    queueUrl: env[ENV.deliveryDeadLetterUrl],
  }),
  clock: { now: () => Date.now() },
  log,
};

/** Validate the SNS event and deliver each record (SNS sends one per invocation). */
export async function lambdaHandler(event: unknown): Promise<DeliverOutcome[]> {
  const parsed = SnsEventSchema.safeParse(event);
  if (!parsed.success) {
    // Not retried into success either: fail so the event lands in the dead-letter queue for a look.
    throw new ValidationError('Not an SNS event', formatIssues(parsed.error));
  }
  const out: DeliverOutcome[] = [];
  for (const { Sns } of parsed.data.Records) {
    const outcome = await deliverAlert(deps, destination!, {
      subject: Sns.Subject ?? null,
      message: Sns.Message,
      messageId: Sns.MessageId,
    });
    metrics.addMetric(
      outcome.status === 'delivered' ? 'AlertsDelivered' : 'NoticesSkipped',
      MetricUnit.Count,
      1,
    );
    out.push(outcome);
  }
  return out;
}

/** Lambda entry point. */
export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
