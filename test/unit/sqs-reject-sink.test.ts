// The rejected-predictions sink against a mocked SQS: every request within SQS's limits, counted in
// UTF-8 bytes (one message and one batch at most 256 KiB), nothing dropped, cuts said and sized.
import { SendMessageBatchCommand, type SendMessageBatchCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  rejectEntry,
  SQS_MAX_BATCH_BYTES,
  SQS_MAX_MESSAGE_BYTES,
  SqsRejectSink,
} from '../../shared/adapters/sqs-reject-sink';
import type { RejectedEvent } from '../../shared/ports';

const sqs = mockClient(SQSClient);
const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/rejected';
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

function sink(): SqsRejectSink {
  return new SqsRejectSink({ client: new SQSClient({ region: 'us-east-1' }), queueUrl: QUEUE });
}

function event(i: number, body: string, reason = 'detail.score: must be a number'): RejectedEvent {
  return { id: `m-${i}`, body, reason, issues: [reason] };
}

/** SQS's size of an entry: body plus attribute names, types and values. */
function sizeOf(e: NonNullable<SendMessageBatchCommandInput['Entries']>[number]): number {
  let n = bytes(e.MessageBody ?? '');
  for (const [name, a] of Object.entries(e.MessageAttributes ?? {})) {
    n += bytes(name) + bytes(a.DataType ?? '') + bytes(a.StringValue ?? '');
  }
  return n;
}

function requests(): SendMessageBatchCommandInput[] {
  return sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
}

beforeEach(() => {
  sqs.reset();
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

describe('SqsRejectSink', () => {
  it('parks a small event whole: reason, issues, delivery id and the event as received', async () => {
    const body = '{"detail-type":"ModelPrediction","detail":{"score":"x"}}';
    expect(await sink().reject([event(0, body)])).toEqual([]);
    expect(requests()).toEqual([
      {
        QueueUrl: QUEUE,
        Entries: [
          {
            Id: '0',
            MessageBody: JSON.stringify({
              reason: 'detail.score: must be a number',
              issues: ['detail.score: must be a number'],
              deliveryId: 'm-0',
              event: body,
            }),
            MessageAttributes: {
              reason: { DataType: 'String', StringValue: 'detail.score: must be a number' },
            },
          },
        ],
      },
    ]);
  });

  it.each([
    // 200,000 three-byte characters: 600 KB of UTF-8 in fewer characters than the old cap.
    ['multi-byte text', '€'.repeat(200_000)],
    // Every quote becomes \" in the message body: JSON escaping doubles it.
    ['JSON that escaping doubles', '"'.repeat(250_000)],
    // Astral characters: 4 bytes and 2 UTF-16 units each; a cut must not split one.
    ['emoji', '😀'.repeat(100_000)],
  ])('cuts an event of %s to fit one message, saying so and how large it was', async (_name, body) => {
    await sink().reject([event(0, body)]);
    const [request] = requests();
    const entry = request?.Entries?.[0];
    expect(sizeOf(entry!)).toBeLessThanOrEqual(SQS_MAX_MESSAGE_BYTES);
    const parked = JSON.parse(entry?.MessageBody ?? '');
    expect(parked).toMatchObject({ truncated: true, eventBytes: bytes(body), deliveryId: 'm-0' });
    expect(body.startsWith(parked.event)).toBe(true);
    // Cut no shorter than needed: within 1% of the limit.
    expect(sizeOf(entry!)).toBeGreaterThan(SQS_MAX_MESSAGE_BYTES * 0.99 - 1024);
    expect(parked.event).not.toMatch(/[\ud800-\udbff]$/);
  });

  it('bounds the reason, its attribute and the issues by bytes', () => {
    const reason = `x: ${'é'.repeat(5000)}`;
    const { entry } = rejectEntry(
      { id: 'm', body: '{}', reason, issues: Array.from({ length: 500 }, () => reason) },
      '0',
    );
    const parked = JSON.parse(entry.MessageBody ?? '');
    expect(bytes(parked.reason)).toBeLessThanOrEqual(1024);
    expect(parked.issues).toHaveLength(20);
    expect(bytes(entry.MessageAttributes?.reason?.StringValue ?? '')).toBeLessThanOrEqual(256);
  });

  it('splits requests by total bytes as well as by 10 entries, in order, losing none', async () => {
    // 25 events of ~100 KB: two fit a request by bytes, not ten.
    const events = Array.from({ length: 25 }, (_, i) => event(i, `{"pad":"${'a'.repeat(100_000)}"}`));
    const small = Array.from({ length: 12 }, (_, i) => event(25 + i, '{}'));
    expect(await sink().reject([...events, ...small])).toEqual([]);
    const sent = requests();
    for (const r of sent) {
      expect(r.Entries?.length).toBeLessThanOrEqual(10);
      expect((r.Entries ?? []).reduce((n, e) => n + sizeOf(e), 0)).toBeLessThanOrEqual(SQS_MAX_BATCH_BYTES);
    }
    expect(sent.map((r) => r.Entries?.length)).toEqual([2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 10, 3]);
    const ids = sent.flatMap((r) => (r.Entries ?? []).map((e) => JSON.parse(e.MessageBody ?? '').deliveryId));
    expect(ids).toEqual([...events, ...small].map((e) => e.id));
  });

  it('returns the ids SQS failed, and every id of a request that threw', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Successful: [], Failed: [{ Id: '1', Code: 'x', SenderFault: false }] })
      .rejectsOnce(new Error('throttled'));
    const events = Array.from({ length: 12 }, (_, i) => event(i, '{}'));
    expect(await sink().reject(events)).toEqual(['m-1', 'm-10', 'm-11']);
  });
});
