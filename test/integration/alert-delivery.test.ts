// Delivery end to end against real local HTTP receivers (a fake PagerDuty Events API and a webhook),
// with the keys read through the real secret reader from mocked Secrets Manager / SSM.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsSecretReader } from '../../shared/adapters/aws-secret-reader';
import { FetchHttpPoster } from '../../shared/adapters/fetch-http-poster';
import { publishInput } from '../../shared/adapters/sns-alert-publisher';
import type { Destination } from '../../shared/config/alert-delivery';
import { buildAlertMessage, buildResolvedMessage } from '../../shared/domain/alert-message';
import { type AlertGroup, dedupKey } from '../../shared/domain/alerting';
import type { Anomaly } from '../../shared/domain/anomaly';
import { DeliveryError } from '../../shared/errors';
import type { AlertMessage } from '../../shared/ports';
import { deliverAlert, type SnsNotification } from '../../shared/use-cases/deliver-alert';
import { startReceiver, type TestReceiver } from '../helpers/http-receiver';
import { recordingLog } from '../helpers/logs';

const T0 = Date.UTC(2026, 11, 3, 8, 0);
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:drift/pagerduty-AbCdEf';
const ROUTING_KEY = 'R0UTINGKEY0123456789abcdef012345';
const SIGNING_SECRET = 'whsec-test-0123456789';
const sm = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);

const anomaly: Anomaly = {
  series: 'AWS/EC2/CPUUtilization/InstanceId=i-1/Average/60',
  metric: 'cpu_percent',
  label: 'cpu_percent web-1',
  ts: T0 - 120_000,
  value: 97.5,
  expectedLow: 10,
  expectedHigh: 60,
  baseline: 35,
  deviation: 8.2,
  score: 0.93,
  methods: ['zscore'],
  findings: [],
  severity: 'critical',
  level: 'CRITICAL',
  explanation: 'cpu_percent web-1 = 97.5 %, expected 10-60 %',
  sensitivity: 1,
  unit: '%',
};
const key = dedupKey(anomaly);
const group: AlertGroup = {
  group: 'web-1',
  level: 'CRITICAL',
  anomalies: [{ anomaly, dedupKey: key, state: 'pending', group: 'web-1' }],
};
const dashboard = 'https://d111.cloudfront.net/';
const alertMessage = buildAlertMessage(group, undefined, { now: T0, dashboardUrl: dashboard });
const alertId = `${key}-${anomaly.ts}`;
const resolvedMessage = buildResolvedMessage(
  [
    {
      dedupKey: key,
      alertId,
      series: anomaly.series,
      label: anomaly.label,
      metric: anomaly.metric,
      openedAt: anomaly.ts,
      lastSeenAt: anomaly.ts,
      level: 'CRITICAL',
    },
  ],
  undefined,
  { now: T0 + 30 * 60_000, dashboardUrl: dashboard },
);

/** The notification exactly as SNS hands it to the subscribed function. */
function asDelivered(message: AlertMessage, messageId: string): SnsNotification {
  const input = publishInput('arn:aws:sns:eu-west-1:123456789012:noc', message);
  return { subject: input.Subject, message: input.Message, messageId };
}

let pagerDuty: TestReceiver;
let webhook: TestReceiver;
beforeAll(async () => {
  pagerDuty = await startReceiver('/v2/enqueue');
  webhook = await startReceiver('/hooks/drift');
});
afterAll(async () => {
  await pagerDuty.close();
  await webhook.close();
});
beforeEach(() => {
  sm.reset();
  ssm.reset();
  sm.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: ROUTING_KEY });
  ssm
    .on(GetParameterCommand, { Name: '/drift/webhook-secret', WithDecryption: true })
    .resolves({ Parameter: { Type: 'SecureString', Value: SIGNING_SECRET } });
  pagerDuty.requests.length = 0;
  webhook.requests.length = 0;
  pagerDuty.answer(202);
  webhook.answer(200);
});

function deps(now = T0) {
  const log = recordingLog();
  return {
    deps: {
      secrets: new AwsSecretReader({ secretsManager: new SecretsManagerClient({}), ssm: new SSMClient({}) }),
      http: new FetchHttpPoster({ timeoutMs: 10_000 }),
      clock: { now: () => now },
      log,
      sleep: async () => {},
    },
    log,
  };
}

const pd = (): Extract<Destination, { kind: 'pagerduty' }> => ({
  kind: 'pagerduty',
  name: 'pagerduty',
  routingKey: { secretsManagerArn: SECRET_ARN },
  eventsUrl: pagerDuty.url,
});
const hook = (): Extract<Destination, { kind: 'webhook' }> => ({
  kind: 'webhook',
  name: 'ops-hook',
  url: webhook.url,
  signingSecret: { ssmParameter: '/drift/webhook-secret' },
});

/** The receiver side of docs/alerting.md's recipe, written independently of the signer. */
function verifySignature(
  headers: Record<string, unknown>,
  rawBody: string,
  secret: string,
  nowSeconds: number,
) {
  const timestamp = String(headers['x-drift-sentinel-timestamp']);
  const signature = String(headers['x-drift-sentinel-signature']);
  const expected = `v1=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
  const fresh = Math.abs(nowSeconds - Number(timestamp)) <= 300;
  const same =
    expected.length === signature.length && timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
  return fresh && same;
}

describe('PagerDuty Events API v2', () => {
  it('sends a trigger, then a resolve with the same dedup_key, with the routing key from Secrets Manager', async () => {
    // Act
    const { deps: d } = deps();
    const trigger = await deliverAlert(d, pd(), asDelivered(alertMessage, 'm-1'));
    const resolve = await deliverAlert(d, pd(), asDelivered(resolvedMessage, 'm-2'));
    // Assess
    expect(trigger).toEqual({
      status: 'delivered',
      event: 'trigger',
      dedupKey: alertId,
      attempts: 1,
      httpStatus: 202,
    });
    expect(resolve).toMatchObject({ status: 'delivered', event: 'resolve', dedupKey: alertId });
    expect(pagerDuty.requests.map((r) => [r.method, r.path, r.headers['content-type']])).toEqual([
      ['POST', '/v2/enqueue', 'application/json'],
      ['POST', '/v2/enqueue', 'application/json'],
    ]);
    expect(JSON.parse(pagerDuty.requests[0]!.body)).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: alertId,
      payload: {
        summary: '[CRITICAL] web-1: cpu_percent web-1 = 97.5 %, expected 10-60',
        source: 'web-1',
        severity: 'critical',
        timestamp: '2026-12-03T07:58:00.000Z',
        component: 'cpu_percent web-1',
        group: 'web-1',
        class: 'cpu_percent',
        custom_details: {
          alertId,
          anomalies: [
            {
              series: 'cpu_percent web-1',
              kind: 'ANOMALY',
              severity: 'CRITICAL',
              value: 97.5,
              expectedRange: [10, 60],
              time: '2026-12-03T07:58:00.000Z',
              explanation: 'cpu_percent web-1 = 97.5 %, expected 10-60 %',
            },
          ],
        },
      },
      client: 'Drift Sentinel',
      client_url: dashboard,
      links: [{ href: dashboard, text: 'Drift Sentinel dashboard' }],
    });
    expect(JSON.parse(pagerDuty.requests[1]!.body)).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'resolve',
      dedup_key: alertId,
    });
    // One secret read for both notices (cached).
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('retries 429 and 5xx with backoff until accepted', async () => {
    pagerDuty.answer(429, 503, 202);
    const result = await deliverAlert(deps().deps, pd(), asDelivered(alertMessage, 'm-3'));
    expect(result).toMatchObject({ status: 'delivered', attempts: 3, httpStatus: 202 });
    expect(pagerDuty.requests).toHaveLength(3);
  });

  it('does not retry a 400 (bad routing key): one request, a non-retryable DeliveryError', async () => {
    pagerDuty.answer(400);
    const { deps: d, log } = deps();
    const delivery = deliverAlert(d, pd(), asDelivered(alertMessage, 'm-4'));
    await expect(delivery).rejects.toThrow(DeliveryError);
    await expect(delivery).rejects.toMatchObject({ retryable: false });
    expect(pagerDuty.requests).toHaveLength(1);
    expect(log.lines.some((l) => l.message.includes('not retried'))).toBe(true);
  });

  it('parks a refused notice at once when a refused sink is given (no Lambda retries for a 4xx)', async () => {
    pagerDuty.answer(404);
    const parked: { notification: SnsNotification; reason: string }[] = [];
    const refused = {
      park: async (notification: SnsNotification, reason: string) =>
        void parked.push({ notification, reason }),
    };
    const notification = asDelivered(alertMessage, 'm-4b');
    const result = await deliverAlert({ ...deps().deps, refused }, pd(), notification);
    expect(result).toEqual({
      status: 'refused',
      httpStatus: 404,
      reason: expect.stringMatching(new RegExp(`^pagerduty refused trigger ${alertId}: HTTP 404: `)),
    });
    expect(parked).toEqual([{ notification, reason: (result as { reason: string }).reason }]);
    expect(pagerDuty.requests).toHaveLength(1);
  });

  it('gives up after the attempts on a persistent 500, retryable (Lambda retries, then the DLQ)', async () => {
    pagerDuty.answer(500);
    const delivery = deliverAlert({ ...deps().deps, attempts: 3 }, pd(), asDelivered(alertMessage, 'm-5'));
    await expect(delivery).rejects.toMatchObject({ retryable: true });
    await expect(delivery).rejects.toThrow('not delivered after 3 attempts: HTTP 500');
    expect(pagerDuty.requests).toHaveLength(3);
  });

  it('retries a network fault (nothing listening) and then fails', async () => {
    const closed = await startReceiver('/v2/enqueue');
    const url = closed.url;
    await closed.close();
    const delivery = deliverAlert(
      { ...deps().deps, attempts: 2 },
      { ...pd(), eventsUrl: url },
      asDelivered(alertMessage, 'm-6'),
    );
    await expect(delivery).rejects.toMatchObject({ retryable: true });
    await expect(delivery).rejects.toThrow('not delivered after 2 attempts');
  });
});

describe('signed webhook', () => {
  it('POSTs the notice with a signature the receiver verifies, for the trigger and the resolve', async () => {
    const { deps: d } = deps();
    await deliverAlert(d, hook(), asDelivered(alertMessage, 'm-7'));
    await deliverAlert(d, hook(), asDelivered(resolvedMessage, 'm-8'));
    expect(webhook.requests).toHaveLength(2);
    const [trigger, resolve] = webhook.requests as [
      (typeof webhook.requests)[0],
      (typeof webhook.requests)[0],
    ];
    expect(trigger.path).toBe('/hooks/drift');
    expect(trigger.headers['x-drift-sentinel-timestamp']).toBe(String(T0 / 1000));
    expect(trigger.headers['x-drift-sentinel-delivery']).toBe('m-7');
    expect(verifySignature(trigger.headers, trigger.body, SIGNING_SECRET, T0 / 1000)).toBe(true);
    expect(verifySignature(resolve.headers, resolve.body, SIGNING_SECRET, T0 / 1000)).toBe(true);
    // A wrong secret, a tampered body or a replay long after fails the same check.
    expect(verifySignature(trigger.headers, trigger.body, 'other-secret', T0 / 1000)).toBe(false);
    expect(
      verifySignature(trigger.headers, trigger.body.replace('97.5', '17.5'), SIGNING_SECRET, T0 / 1000),
    ).toBe(false);
    expect(verifySignature(trigger.headers, trigger.body, SIGNING_SECRET, T0 / 1000 + 3600)).toBe(false);
    expect(JSON.parse(trigger.body)).toEqual({
      version: 1,
      event: 'trigger',
      dedupKey: alertId,
      subject: alertMessage.subject,
      alert: alertMessage.body,
    });
    expect(JSON.parse(resolve.body)).toEqual({
      version: 1,
      event: 'resolve',
      dedupKey: alertId,
      subject: resolvedMessage.subject,
      alert: resolvedMessage.body,
    });
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
  });

  it('re-signs each retry with the time of that attempt', async () => {
    webhook.answer(503, 200);
    let now = T0;
    const d = {
      ...deps().deps,
      clock: { now: () => now },
      sleep: async () => {
        now += 2000;
      },
    };
    await deliverAlert(d, hook(), asDelivered(alertMessage, 'm-9'));
    const stamps = webhook.requests.map((r) => r.headers['x-drift-sentinel-timestamp']);
    expect(stamps).toEqual([String(T0 / 1000), String(T0 / 1000 + 2)]);
    expect(
      verifySignature(webhook.requests[1]!.headers, webhook.requests[1]!.body, SIGNING_SECRET, T0 / 1000 + 2),
    ).toBe(true);
  });
});

describe('what is not an alert notice', () => {
  it('skips a CloudWatch alarm notification (the topic carries those too) without sending anything', async () => {
    const alarm = JSON.stringify({ AlarmName: 'detect DLQ not empty', NewStateValue: 'ALARM' });
    const result = await deliverAlert(deps().deps, pd(), {
      subject: 'ALARM: x',
      message: alarm,
      messageId: 'm-10',
    });
    expect(result).toEqual({ status: 'skipped', reason: expect.stringContaining('not an alert notice') });
    expect(pagerDuty.requests).toHaveLength(0);
  });

  it('fails retryably when the secret cannot be read, sending nothing', async () => {
    sm.reset();
    sm.on(GetSecretValueCommand).rejects(
      Object.assign(new Error('denied'), { name: 'AccessDeniedException' }),
    );
    const delivery = deliverAlert(
      deps().deps,
      { ...pd(), name: 'pd-2', routingKey: { secretsManagerArn: SECRET_ARN.replace('AbCdEf', 'ZzZzZz') } },
      asDelivered(alertMessage, 'm-11'),
    );
    await expect(delivery).rejects.toMatchObject({ retryable: true });
    expect(pagerDuty.requests).toHaveLength(0);
  });
});
