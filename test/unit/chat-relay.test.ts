import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { publishInput, SnsAlertPublisher } from '../../shared/adapters/sns-alert-publisher';
import { ChatSchema } from '../../shared/config/alert-delivery';
import { buildAlertMessage, buildResolvedMessage } from '../../shared/domain/alert-message';
import { dedupKey } from '../../shared/domain/alerting';
import type { Anomaly } from '../../shared/domain/anomaly';
import type { AlertMessage } from '../../shared/ports';
import { relayToChat } from '../../shared/use-cases/relay-to-chat';
import { recordingLog } from '../helpers/logs';

const T0 = Date.UTC(2026, 11, 3, 8, 0);
const CHAT_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:chat';
const sns = mockClient(SNSClient);
const anomaly: Anomaly = {
  series: 'AWS/RDS/ReadLatency/DBInstanceIdentifier=main/Average/60',
  metric: 'db_query_time_ms',
  label: 'db_query_time_ms main',
  ts: T0 - 60_000,
  value: 42,
  expectedLow: 1.5,
  expectedHigh: 9,
  baseline: 4,
  deviation: 9,
  score: 0.9,
  methods: ['zscore'],
  findings: [],
  severity: 'medium',
  level: 'WARNING',
  explanation: 'db_query_time_ms main = 42 ms, expected 1.5-9 ms',
  sensitivity: 1,
  unit: 'ms',
};
const key = dedupKey(anomaly);
const alertId = `${key}-${anomaly.ts}`;
const dashboard = 'https://d111.cloudfront.net/';
const alert = buildAlertMessage(
  { group: 'main', level: 'WARNING', anomalies: [{ anomaly, dedupKey: key, state: 'pending' }] },
  undefined,
  { now: T0, dashboardUrl: dashboard },
);
const resolved = buildResolvedMessage(
  [
    {
      dedupKey: key,
      alertId,
      series: anomaly.series,
      label: anomaly.label,
      metric: anomaly.metric,
      openedAt: anomaly.ts,
      lastSeenAt: anomaly.ts,
      level: 'WARNING',
    },
  ],
  undefined,
  { now: T0 + 1_800_000, dashboardUrl: dashboard },
);
const delivered = (m: AlertMessage, id: string) => {
  const input = publishInput('arn:aws:sns:eu-west-1:123456789012:noc', m);
  return { subject: input.Subject, message: input.Message, messageId: id };
};

beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'chat-1' });
});

describe('relayToChat', () => {
  const deps = () => ({
    chat: new SnsAlertPublisher({ client: new SNSClient({ region: 'eu-west-1' }), topicArn: CHAT_TOPIC }),
    log: recordingLog(),
  });

  it('publishes the Chatbot custom notification of an ALERT as the whole message body', async () => {
    const result = await relayToChat(deps(), delivered(alert, 'm-1'));
    expect(result).toEqual({ status: 'relayed', messageId: 'chat-1', threadId: alertId });
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.TopicArn).toBe(CHAT_TOPIC);
    expect(input.Subject).toBe(alert.subject);
    expect(JSON.parse(input.Message!)).toEqual({
      version: '1.0',
      source: 'custom',
      id: alertId,
      content: {
        textType: 'client-markdown',
        title: '🟠 [WARNING] main: db_query_time_ms main = 42 ms, expected 1.5-9',
        description:
          '• db_query_time_ms main = 42 ms, expected 1.5-9 ms Expected range: 1.5 to 9.\nDashboard: https://d111.cloudfront.net/',
        nextSteps: ['Open https://d111.cloudfront.net/ and mark false positives to tune the metric'],
        keywords: ['WARNING', 'main'],
      },
      metadata: {
        threadId: alertId,
        summary: alert.subject,
        eventType: 'ALERT',
        additionalContext: { alertId, severity: 'WARNING' },
      },
    });
  });

  it('marks RESOLVED with ✅ and threads it under its alert', async () => {
    await relayToChat(deps(), delivered(resolved, 'm-2'));
    const chat = JSON.parse(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!);
    expect(chat.content.title).toBe(`✅ ${resolved.subject}`);
    expect(chat.content.title.startsWith('✅ [RESOLVED]')).toBe(true);
    expect(chat.content.description).toBe(
      'Resolved: db_query_time_ms main\nOpen since 2026-12-03T07:59:00.000Z, resolved at 2026-12-03T08:30:00.000Z.\nDashboard: https://d111.cloudfront.net/',
    );
    expect(chat.metadata).toMatchObject({ threadId: alertId, eventType: 'RESOLVED' });
  });

  it('skips a CloudWatch alarm notification; a failing chat topic throws (Lambda retries, then the DLQ)', async () => {
    const skipped = await relayToChat(deps(), {
      subject: 'ALARM',
      message: '{"AlarmName":"x"}',
      messageId: 'm-3',
    });
    expect(skipped.status).toBe('skipped');
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    sns.on(PublishCommand).rejects(new Error('KMS access denied'));
    await expect(relayToChat(deps(), delivered(alert, 'm-4'))).rejects.toThrow('SNS Publish failed');
  });
});

describe('chat config', () => {
  it('stores a Teams channel id URL-encoded and names a bad Slack id', () => {
    const ok = ChatSchema.parse({
      teams: [
        {
          name: 'ops',
          teamId: '00000000-0000-4000-8000-000000000001',
          tenantId: '00000000-0000-4000-8000-000000000002',
          channelId: '19:abc@thread.tacv2',
        },
      ],
    });
    expect(ok.teams[0]!.channelId).toBe('19%3aabc%40thread.tacv2');
    const bad = ChatSchema.safeParse({
      slack: [{ name: 'noc', workspaceId: 'my workspace', channelId: 'C1' }],
    });
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['slack.0.workspaceId']);
  });
});
