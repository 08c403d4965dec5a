// (adapter) --> RejectSink port: invalid prediction events are parked in an alarmed SQS queue with the
// reason, so the producing team can see what was wrong and redrive after fixing it. Nothing is dropped:
// an event too large to park whole is parked cut, saying so and how large it was.
import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { RejectedEvent, RejectSink } from '../ports';

/** Settings of the SQS reject sink. */
export interface SqsRejectSinkOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
}

/**
 * SQS limits, in UTF-8 bytes: one message (body plus attribute names, types and values) and the sum of
 * one SendMessageBatch request's messages are both at most 256 KiB.
 */
export const SQS_MAX_MESSAGE_BYTES = 262_144;
export const SQS_MAX_BATCH_BYTES = 262_144;
const SQS_MAX_BATCH_ENTRIES = 10;

/** Room kept under the limit for what SQS may count that we do not (rounding, headers). */
const MARGIN_BYTES = 1024;
const MAX_REASON_BYTES = 1024;
const MAX_ATTRIBUTE_BYTES = 256;
const MAX_ISSUES = 20;
const MAX_ISSUE_BYTES = 512;

const encoder = new TextEncoder();
const bytesOf = (s: string): number => encoder.encode(s).length;

/** The longest prefix of `s` whose `measure` fits `max`, never splitting a surrogate pair. */
function cutTo(s: string, max: number, measure: (prefix: string) => number = bytesOf): string {
  if (measure(s) <= max) return s;
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(s.slice(0, mid)) <= max) lo = mid;
    else hi = mid - 1;
  }
  const code = s.charCodeAt(lo - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? lo - 1 : lo);
}

/** One message per event, at most {@link SQS_MAX_MESSAGE_BYTES} with its attribute. */
export function rejectEntry(
  e: RejectedEvent,
  id: string,
): { entry: SendMessageBatchRequestEntry; bytes: number } {
  const reason = cutTo(e.reason, MAX_REASON_BYTES);
  const attribute = cutTo(e.reason, MAX_ATTRIBUTE_BYTES);
  const attributeBytes = bytesOf('reason') + bytesOf('String') + bytesOf(attribute);
  const envelope = {
    reason,
    issues: e.issues.slice(0, MAX_ISSUES).map((i) => cutTo(i, MAX_ISSUE_BYTES)),
    deliveryId: e.id,
  };
  const whole = JSON.stringify({ ...envelope, event: e.body });
  const budget = SQS_MAX_MESSAGE_BYTES - MARGIN_BYTES - attributeBytes;
  let body = whole;
  if (bytesOf(whole) > budget) {
    // Cut the event so that the serialised message (JSON escapes included) fits the budget.
    const cutInfo = { truncated: true, eventBytes: bytesOf(e.body) };
    const frame = bytesOf(JSON.stringify({ ...envelope, ...cutInfo, event: '' }));
    const event = cutTo(e.body, budget - frame, (prefix) => bytesOf(JSON.stringify(prefix)) - 2);
    body = JSON.stringify({ ...envelope, ...cutInfo, event });
  }
  return {
    entry: {
      Id: id,
      MessageBody: body,
      MessageAttributes: { reason: { DataType: 'String', StringValue: attribute } },
    },
    bytes: bytesOf(body) + attributeBytes,
  };
}

/** Sends rejected events to the rejected-predictions queue: batches of up to 10 and 256 KiB. */
export class SqsRejectSink implements RejectSink {
  public constructor(private readonly options: SqsRejectSinkOptions) {}

  public async reject(events: readonly RejectedEvent[]): Promise<string[]> {
    const failed: string[] = [];
    for (const batch of batches(events)) {
      try {
        const out = await this.options.client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.options.queueUrl,
            Entries: batch.map((b) => b.entry),
          }),
        );
        for (const f of out.Failed ?? []) failed.push((events[Number(f.Id)] as RejectedEvent).id);
      } catch {
        failed.push(...batch.map((b) => (events[Number(b.entry.Id)] as RejectedEvent).id));
      }
    }
    return failed;
  }
}

/** Entries (Id = index in `events`) packed in order into requests within SQS's count and byte limits. */
function batches(
  events: readonly RejectedEvent[],
): { entry: SendMessageBatchRequestEntry; bytes: number }[][] {
  const out: { entry: SendMessageBatchRequestEntry; bytes: number }[][] = [];
  let current: { entry: SendMessageBatchRequestEntry; bytes: number }[] = [];
  let total = 0;
  events.forEach((e, i) => {
    const item = rejectEntry(e, String(i));
    const full =
      current.length === SQS_MAX_BATCH_ENTRIES || total + item.bytes > SQS_MAX_BATCH_BYTES - MARGIN_BYTES;
    if (full && current.length > 0) {
      out.push(current);
      current = [];
      total = 0;
    }
    current.push(item);
    total += item.bytes;
  });
  if (current.length > 0) out.push(current);
  return out;
}
