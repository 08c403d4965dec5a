// (adapter) --> AlertPublisher port: SNS Publish with a JSON body, a readable subject and string
// message attributes for subscription filter policies.
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { DependencyError } from '../errors';
import type { AlertMessage, AlertPublisher } from '../ports';

/** Settings of the SNS publisher. */
export interface SnsAlertPublisherOptions {
  readonly client: SNSClient;
  readonly topicArn: string;
}

/** The PublishCommand input for a message (exported for tests and the dead-letter path). */
export function publishInput(topicArn: string, message: AlertMessage) {
  return {
    TopicArn: topicArn,
    Subject: message.subject,
    Message: JSON.stringify(message.body),
    MessageAttributes: Object.fromEntries([
      ...Object.entries(message.attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
      // SNS encodes String.Array values as a JSON array; filter policies match any element.
      ...Object.entries(message.arrayAttributes ?? {})
        .filter(([, v]) => v.length > 0)
        .map(([k, v]) => [k, { DataType: 'String.Array', StringValue: JSON.stringify(v) }]),
    ]),
  };
}

/** SNS topic publisher. */
export class SnsAlertPublisher implements AlertPublisher {
  public constructor(private readonly options: SnsAlertPublisherOptions) {}

  /** Publish; failures (after the SDK's retries) throw DependencyError and leave the alert pending. */
  public async publish(message: AlertMessage): Promise<{ messageId: string }> {
    try {
      const out = await this.options.client.send(
        new PublishCommand(publishInput(this.options.topicArn, message)),
      );
      return { messageId: out.MessageId ?? 'unknown' };
    } catch (cause) {
      throw new DependencyError('SNS Publish failed', { cause });
    }
  }
}
