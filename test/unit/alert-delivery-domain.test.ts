import { DestinationsSchema } from '../../shared/config/alert-delivery';
import {
  filterPolicyOf,
  readAlertNotice,
  tagAttributeOf,
  webhookSignature,
  withTagsAttribute,
} from '../../shared/domain/alert-delivery';
import type { AlertMessage } from '../../shared/ports';

describe('filterPolicyOf', () => {
  it('takes only alert notices of at least the level, RESOLVED included through their level attribute', () => {
    expect(filterPolicyOf({ minSeverity: 'WARNING' })).toEqual({
      alert_type: ['INFRASTRUCTURE_ANOMALY'],
      level: ['WARNING', 'CRITICAL'],
    });
    expect(filterPolicyOf({ minSeverity: 'CRITICAL', tags: ['team=payments', 'team=core'] })).toEqual({
      alert_type: ['INFRASTRUCTURE_ANOMALY'],
      level: ['CRITICAL'],
      tags: ['team=payments', 'team=core'],
    });
  });
});

describe('tags attribute', () => {
  it('lists key=value of every series the body names, sorted, once', () => {
    expect(tagAttributeOf([{ team: 'a', resource: 'web-1' }, { team: 'a' }])).toEqual([
      'resource=web-1',
      'team=a',
    ]);
    const tags: Record<string, Record<string, string>> = { s1: { team: 'a' }, s2: { team: 'b' } };
    const alert = withTagsAttribute<AlertMessage>(
      { subject: 's', body: { anomalies: [{ series: 's1' }, { series: 's2' }] }, attributes: {} },
      (s) => tags[s],
    );
    expect(alert.arrayAttributes).toEqual({ tags: ['team=a', 'team=b'] });
    const resolved = withTagsAttribute<AlertMessage>(
      { subject: 's', body: { series: [{ series: 's2' }] }, attributes: {} },
      (s) => tags[s],
    );
    expect(resolved.arrayAttributes).toEqual({ tags: ['team=b'] });
    const untagged = { subject: 's', body: { anomalies: [{ series: 'x' }] }, attributes: {} };
    expect(withTagsAttribute(untagged, () => undefined)).toBe(untagged);
  });
});

describe('readAlertNotice', () => {
  it('names what makes a message not an alert notice', () => {
    expect(readAlertNotice({ message: 'plain text', messageId: 'm' })).toEqual({
      ok: false,
      reason: 'message is not JSON',
    });
    const alarm = readAlertNotice({ message: '{"AlarmName":"x"}', messageId: 'm' });
    expect(alarm.ok).toBe(false);
    expect(!alarm.ok && alarm.reason).toMatch(/^not an alert notice: type: /);
  });
});

describe('webhookSignature', () => {
  it('is hex HMAC-SHA256 over "timestamp.body" (known answer from openssl)', () => {
    // printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
    expect(webhookSignature('secret', 1_700_000_000, '{"a":1}')).toBe(
      '49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686',
    );
  });
});

describe('destinations config', () => {
  const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:drift/pd-AbCdEf';
  it('fills the PagerDuty endpoint and accepts an SSM SecureString reference', () => {
    const [pd, hook] = DestinationsSchema.parse([
      { kind: 'pagerduty', name: 'pd', routingKey: { secretsManagerArn: arn } },
      {
        kind: 'webhook',
        name: 'hook',
        url: 'https://hooks.example.com/x',
        signingSecret: { ssmParameter: '/a/b' },
      },
    ]);
    expect(pd).toMatchObject({ eventsUrl: 'https://events.pagerduty.com/v2/enqueue' });
    expect(hook).toMatchObject({ signingSecret: { ssmParameter: '/a/b' } });
  });

  it('names the field of a secret given as a value, a plain-http URL, a bad tag or a duplicate name', () => {
    const result = DestinationsSchema.safeParse([
      { kind: 'pagerduty', name: 'pd', routingKey: 'R0UTING' },
      {
        kind: 'webhook',
        name: 'pd',
        url: 'http://hooks.example.com/x',
        signingSecret: { ssmParameter: '/a' },
        tags: ['team'],
      },
    ]);
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['0.routingKey', '1.url', '1.tags.0']));
    const dup = DestinationsSchema.safeParse([
      { kind: 'webhook', name: 'a', url: 'https://x.example.com', signingSecret: { ssmParameter: '/a' } },
      { kind: 'webhook', name: 'a', url: 'https://y.example.com', signingSecret: { ssmParameter: '/a' } },
    ]);
    expect(dup.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      '1.name: duplicate name a',
    ]);
  });
});
