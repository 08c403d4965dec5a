import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { SnsAlertPublisher } from '../../shared/adapters/sns-alert-publisher';
import { SqsDeadLetter } from '../../shared/adapters/sqs-dead-letter';
import { buildAlertMessage } from '../../shared/domain/alert-message';
import { planAlerts } from '../../shared/domain/alerting';
import { decide, runDetectors } from '../../shared/domain/anomaly';
import { DependencyError } from '../../shared/errors';
import { parseMonitorConfig } from '../../shared/monitor-config';
import { NOISY } from '../helpers/series';

const sns = mockClient(SNSClient);
const sqs = mockClient(SQSClient);
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:noc';
const T0 = Date.UTC(2026, 10, 24, 12);
const detection = parseMonitorConfig({
  series: [{ metric: 'x', namespace: 'N', metricName: 'M' }],
}).detection;
const spec = {
  id: 'AWS/EC2/CPUUtilization/InstanceId=i-1/Average/60',
  metric: 'cpu_percent',
  label: 'cpu_percent web-1',
  unit: '%',
};
const anomaly = decide(spec, T0, 97, runDetectors(NOISY, 97, detection))!;
const { groups } = planAlerts(
  [anomaly],
  { tagsOf: () => ({ resource: 'web-1' }), openAlerts: new Map(), windows: [] },
  { minLevelToPage: 'WARNING', dedupWindowMs: 1_800_000, groupBy: 'resource' },
);
const message = buildAlertMessage(groups[0]!, undefined, {
  now: T0,
  dashboardUrl: 'https://dash.example.com',
});

beforeEach(() => {
  sns.reset();
  sqs.reset();
});

describe('SnsAlertPublisher', () => {
  it('sends array attributes (the tags filter policies select on) as String.Array JSON', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-2' });
    await new SnsAlertPublisher({ client: new SNSClient({ region: 'us-east-1' }), topicArn: TOPIC }).publish({
      ...message,
      arrayAttributes: { tags: ['resource=web-1', 'team=payments'], empty: [] },
    });
    const attrs = sns.commandCalls(PublishCommand)[0]!.args[0].input.MessageAttributes!;
    expect(attrs.tags).toEqual({
      DataType: 'String.Array',
      StringValue: '["resource=web-1","team=payments"]',
    });
    expect(attrs.empty).toBeUndefined();
  });

  it('publishes the exact request: subject, JSON body, string attributes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const r = await new SnsAlertPublisher({
      client: new SNSClient({ region: 'us-east-1' }),
      topicArn: TOPIC,
    }).publish(message);
    expect(r).toEqual({ messageId: 'm-1' });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input).toEqual({
      TopicArn: TOPIC,
      // The expected range is the baseline ± the bar the point had to clear: what the noisy history's
      // normal deviations reached (≈ 3.8 sigmas around ≈ 11).
      Subject: '[CRITICAL] web-1: cpu_percent web-1 = 97 %, expected 7.21-14.8',
      Message: expect.any(String),
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: 'CRITICAL' },
        metric: { DataType: 'String', StringValue: 'cpu_percent' },
        alert_type: { DataType: 'String', StringValue: 'INFRASTRUCTURE_ANOMALY' },
        dedup_key: {
          DataType: 'String',
          StringValue: expect.stringMatching(/^cpu_percent-above-[0-9a-f]{16}$/),
        },
        alert_id: {
          DataType: 'String',
          StringValue: expect.stringMatching(/^cpu_percent-above-[0-9a-f]{16}-\d+$/),
        },
        level: { DataType: 'String', StringValue: 'CRITICAL' },
      },
    });
    const body = JSON.parse(input.Message!);
    expect(body).toMatchObject({
      type: 'ALERT',
      severity: 'CRITICAL',
      group: 'web-1',
      dashboard: 'https://dash.example.com',
      anomalies: [
        {
          series: spec.id,
          value: 97,
          methods: expect.arrayContaining(['zscore']),
          time: '2026-11-24T12:00:00.000Z',
          explanation: expect.stringContaining('cpu_percent web-1 = 97 %'),
        },
      ],
    });
    expect(body.anomalies[0].expectedRange).toHaveLength(2);
  });

  it('wraps a failed publish in DependencyError', async () => {
    sns.on(PublishCommand).rejects(new Error('KMS key disabled'));
    const publisher = new SnsAlertPublisher({
      client: new SNSClient({ region: 'us-east-1', maxAttempts: 1 }),
      topicArn: TOPIC,
    });
    await expect(publisher.publish(message)).rejects.toBeInstanceOf(DependencyError);
  });
});

describe('SqsDeadLetter', () => {
  it('sends the message with its reason', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'q-1' });
    await new SqsDeadLetter({
      client: new SQSClient({ region: 'us-east-1' }),
      queueUrl: 'https://sqs/q',
    }).send(message, 'not published for 61 min');
    const input = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input;
    expect(input.QueueUrl).toBe('https://sqs/q');
    expect(JSON.parse(input.MessageBody!)).toMatchObject({
      reason: 'not published for 61 min',
      subject: message.subject,
    });
  });
});
