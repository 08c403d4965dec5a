// The local stack's delivery preview: the real delivery use case against the local receiver (which
// verifies signatures as a real receiver would), the printed chat message, and the pause switch.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  localDeliveryPublisher,
  localNoDataRules,
  pausableSource,
  startLocalReceiver,
} from '../../infra/local/local-delivery';
import { buildAlertMessage } from '../../shared/domain/alert-message';
import { dedupKey } from '../../shared/domain/alerting';
import type { Anomaly } from '../../shared/domain/anomaly';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';
import type { AlertMessage, MetricSource } from '../../shared/ports';
import { recordingLog } from '../helpers/logs';

const T0 = Date.UTC(2026, 11, 3, 9);
const [spec, other] = expandSeries(
  parseMonitorConfig({
    series: ['i-1', 'i-2'].map((id) => ({
      metric: 'cpu_percent',
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensions: { InstanceId: id },
    })),
  }),
);
const anomaly: Anomaly = {
  series: spec!.id,
  metric: 'cpu_percent',
  label: spec!.label,
  ts: T0 - 60_000,
  value: 95,
  expectedLow: 5,
  expectedHigh: 40,
  baseline: 20,
  deviation: 7,
  score: 0.9,
  methods: ['zscore'],
  findings: [],
  severity: 'high',
  level: 'CRITICAL',
  explanation: 'cpu is high',
  sensitivity: 1,
};
const message = buildAlertMessage(
  {
    group: 'i-1',
    level: 'CRITICAL',
    anomalies: [{ anomaly, dedupKey: dedupKey(anomaly), state: 'pending' }],
  },
  undefined,
  { now: T0 },
);

it('delivers each published alert to the local PagerDuty and webhook, signature verified, and prints the chat message', async () => {
  // Prepare
  const lines: string[] = [];
  const clock = { now: () => T0 };
  const receiver = await startLocalReceiver({ port: 0, print: (l) => lines.push(l), clock });
  const published: AlertMessage[] = [];
  const inner = { publish: async (m: AlertMessage) => ({ messageId: `local-${published.push(m)}` }) };
  try {
    // Act
    const publisher = localDeliveryPublisher(inner, receiver, {
      clock,
      log: recordingLog(),
      print: (l) => lines.push(l),
    });
    const result = await publisher.publish(message);
    // Assess
    expect(result).toEqual({ messageId: 'local-1' });
    expect(receiver.received.map((r) => [r.kind, r.signatureValid])).toEqual([
      ['webhook', true],
      ['pagerduty', undefined],
    ]);
    expect(receiver.received[1]!.body).toMatchObject({
      event_action: 'trigger',
      dedup_key: `${dedupKey(anomaly)}-${anomaly.ts}`,
    });
    expect(lines).toEqual([
      expect.stringMatching(/^📟 PagerDuty would get: trigger dedup_key=cpu_percent-above-/),
      expect.stringMatching(/^🔗 Webhook got: trigger dedupKey=.*, signature valid$/),
      `💬 Slack/Teams would show: 🔴 ${message.subject}\n   • cpu is high Expected range: 5 to 40.`,
    ]);
    const listed = await (await fetch(receiver.url)).json();
    expect(listed).toHaveLength(2);
    // A forged webhook (wrong signature) is refused and shown as such.
    const forged = await fetch(receiver.webhookUrl, {
      method: 'POST',
      body: '{"event":"trigger"}',
      headers: { 'x-drift-sentinel-timestamp': String(T0 / 1000), 'x-drift-sentinel-signature': 'v1=00' },
    });
    expect(forged.status).toBe(401);
    expect(lines.at(-1)).toBe('🔗 Webhook got: trigger dedupKey=undefined, signature INVALID');
  } finally {
    await receiver.close();
  }
});

it('pauses the series listed in the file, by label or id, read on every fetch', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'paused-'));
  const file = path.join(dir, 'paused-series');
  const asked: string[][] = [];
  const source: MetricSource = {
    fetch: async (series) => {
      asked.push(series.map((s) => s.id));
      return { points: [], skipped: 0 } as never;
    },
  };
  try {
    const pausable = pausableSource(source, file);
    await pausable.fetch([spec!, other!], 0, 1);
    writeFileSync(file, `${spec!.label}\n`);
    await pausable.fetch([spec!, other!], 0, 1);
    writeFileSync(file, '');
    await pausable.fetch([spec!, other!], 0, 1);
    expect(asked).toEqual([[spec!.id, other!.id], [other!.id], [spec!.id, other!.id]]);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

it('local no-data rules: --no-data-after for every series, else the config defaults', () => {
  expect([...localNoDataRules([spec!, other!], { metrics: {} }, 90_000).values()]).toEqual([
    { afterMinutes: 2, severity: 'WARNING' },
    { afterMinutes: 2, severity: 'WARNING' },
  ]);
  expect(localNoDataRules([spec!], { metrics: {} }, undefined).size).toBe(0);
  expect([
    ...localNoDataRules(
      [spec!],
      { metrics: { cpu_percent: { afterMinutes: 7, severity: 'INFO' } } },
      undefined,
    ).values(),
  ]).toEqual([{ afterMinutes: 7, severity: 'INFO' }]);
});
