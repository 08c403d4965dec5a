// (adapter) --> DeadLetterSink port: alerts that could not be published for too long are sent to an
// SQS queue (with an alarm on its depth) so an operator sees them; nothing is dropped silently.
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DependencyError } from '../errors';
import type { AlertMessage, DeadLetterSink } from '../ports';

/** Settings of the SQS dead-letter sink. */
export interface SqsDeadLetterOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
}

/** SQS dead-letter sink. */
export class SqsDeadLetter implements DeadLetterSink {
  public constructor(private readonly options: SqsDeadLetterOptions) {}

  /** Park a message with the reason it could not be delivered. */
  public async send(message: AlertMessage, reason: string): Promise<void> {
    try {
      await this.options.client.send(
        new SendMessageCommand({
          QueueUrl: this.options.queueUrl,
          MessageBody: JSON.stringify({
            reason,
            subject: message.subject,
            attributes: message.attributes,
            body: message.body,
          }),
        }),
      );
    } catch (cause) {
      throw new DependencyError('Sending to the alert dead-letter queue failed', { cause });
    }
  }
}
