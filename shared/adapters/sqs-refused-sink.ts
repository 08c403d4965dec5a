// (adapter) --> RefusedSink: a notice the destination refused goes to the delivery function's own
// dead-letter queue (alarmed) at once, shaped like the SNS event Lambda would have parked there after
// its retries, so one redrive (`aws lambda invoke --payload`) works for both; the reason rides along as
// the `ErrorMessage` attribute, as Lambda's own dead letters carry it.
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DependencyError } from '../errors';
import type { RefusedSink, SnsNotification } from '../use-cases/deliver-alert';

/** Settings of the SQS refused sink. */
export interface SqsRefusedSinkOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
}

/** SQS refused sink. */
export class SqsRefusedSink implements RefusedSink {
  public constructor(private readonly options: SqsRefusedSinkOptions) {}

  public async park(notification: SnsNotification, reason: string): Promise<void> {
    const event = {
      Records: [
        {
          EventSource: 'aws:sns',
          Sns: {
            MessageId: notification.messageId,
            Subject: notification.subject ?? null,
            Message: notification.message,
          },
        },
      ],
    };
    try {
      await this.options.client.send(
        new SendMessageCommand({
          QueueUrl: this.options.queueUrl,
          MessageBody: JSON.stringify(event),
          MessageAttributes: { ErrorMessage: { DataType: 'String', StringValue: reason.slice(0, 1000) } },
        }),
      );
    } catch (cause) {
      throw new DependencyError('SQS SendMessage (refused alert) failed', { cause });
    }
  }
}
