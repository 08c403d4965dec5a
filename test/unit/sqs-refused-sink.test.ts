import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { SqsRefusedSink } from '../../shared/adapters/sqs-refused-sink';
import { DependencyError } from '../../shared/errors';

const sqs = mockClient(SQSClient);
const URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/deliver-dlq';

beforeEach(() => sqs.reset());

it('parks the notice as an SNS event (redrivable with lambda invoke) with the reason as ErrorMessage', async () => {
  sqs.on(SendMessageCommand).resolves({ MessageId: 'q-1' });
  const sink = new SqsRefusedSink({ client: new SQSClient({ region: 'eu-west-1' }), queueUrl: URL });
  await sink.park(
    { subject: '[CRITICAL] x', message: '{"type":"ALERT"}', messageId: 'm-1' },
    'pd refused: HTTP 400',
  );
  expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).toEqual([
    {
      QueueUrl: URL,
      MessageBody: JSON.stringify({
        Records: [
          {
            EventSource: 'aws:sns',
            Sns: { MessageId: 'm-1', Subject: '[CRITICAL] x', Message: '{"type":"ALERT"}' },
          },
        ],
      }),
      MessageAttributes: { ErrorMessage: { DataType: 'String', StringValue: 'pd refused: HTTP 400' } },
    },
  ]);
  sqs.on(SendMessageCommand).rejects(new Error('denied'));
  await expect(sink.park({ message: '{}', messageId: 'm-2' }, 'r')).rejects.toThrow(DependencyError);
});
