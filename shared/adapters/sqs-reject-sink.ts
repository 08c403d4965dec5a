// (adapter) --> RejectSink port: invalid prediction events are parked in an alarmed SQS queue with the
// reason, so the producing team can see what was wrong and redrive after fixing it. Nothing is dropped.
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { RejectedEvent, RejectSink } from '../ports';

/** Settings of the SQS reject sink. */
export interface SqsRejectSinkOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
}

/** SQS message bodies are at most 256 KiB; an event body is cut to leave room for the reason. */
const MAX_EVENT_CHARS = 200_000;

/** Sends rejected events to the rejected-predictions queue, 10 per request. */
export class SqsRejectSink implements RejectSink {
  public constructor(private readonly options: SqsRejectSinkOptions) {}

  public async reject(events: readonly RejectedEvent[]): Promise<string[]> {
    const failed: string[] = [];
    for (let i = 0; i < events.length; i += 10) {
      const batch = events.slice(i, i + 10);
      try {
        const out = await this.options.client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.options.queueUrl,
            Entries: batch.map((e, j) => ({
              Id: String(j),
              MessageBody: JSON.stringify({
                reason: e.reason,
                issues: e.issues,
                deliveryId: e.id,
                event: e.body.length > MAX_EVENT_CHARS ? `${e.body.slice(0, MAX_EVENT_CHARS)}…` : e.body,
              }),
              MessageAttributes: {
                reason: { DataType: 'String', StringValue: e.reason.slice(0, 256) },
              },
            })),
          }),
        );
        for (const f of out.Failed ?? []) failed.push((batch[Number(f.Id)] as RejectedEvent).id);
      } catch {
        failed.push(...batch.map((e) => e.id));
      }
    }
    return failed;
  }
}
