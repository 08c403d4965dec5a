// (handler) SNS alert topic (filtered subscription) --> relayToChat: AWS Chatbot custom notifications
// on the chat topic that the Slack and Teams channel configurations subscribe to.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import { SnsAlertPublisher } from '../shared/adapters/sns-alert-publisher';
import { alertEnv, ENV, readEnv } from '../shared/config';
import { ValidationError } from '../shared/errors';
import { formatIssues } from '../shared/monitor-config';
import { log, logger, metrics, tracer } from '../shared/observability';
import { type RelayOutcome, relayToChat } from '../shared/use-cases/relay-to-chat';
import { SnsEventSchema } from './events';

const env = readEnv({ [ENV.chatTopicArn]: alertEnv[ENV.alertTopicArn] });
const sns = tracer.captureAWSv3Client(new SNSClient({}));
const deps = { chat: new SnsAlertPublisher({ client: sns, topicArn: env[ENV.chatTopicArn] }), log };

/** Validate the SNS event and relay each record. */
export async function lambdaHandler(event: unknown): Promise<RelayOutcome[]> {
  const parsed = SnsEventSchema.safeParse(event);
  if (!parsed.success) throw new ValidationError('Not an SNS event', formatIssues(parsed.error));
  const out: RelayOutcome[] = [];
  for (const { Sns } of parsed.data.Records) {
    const outcome = await relayToChat(deps, {
      subject: Sns.Subject ?? null,
      message: Sns.Message,
      messageId: Sns.MessageId,
    });
    metrics.addMetric(outcome.status === 'relayed' ? 'ChatRelayed' : 'NoticesSkipped', MetricUnit.Count, 1);
    out.push(outcome);
  }
  return out;
}

/** Lambda entry point. */
export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
