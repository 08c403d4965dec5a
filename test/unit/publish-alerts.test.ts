import { MemoryAlertStore, MemoryAnomalyStore, MemoryRateLimiter } from '../../shared/adapters/memory-stores';
import type { Anomaly } from '../../shared/domain/anomaly';
import { decide, runDetectors } from '../../shared/domain/anomaly';
import { DEFAULT_BUCKET } from '../../shared/domain/token-bucket';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';
import type { AlertMessage, AlertPublisher, DeadLetterSink } from '../../shared/ports';
import { publishAlerts } from '../../shared/use-cases/publish-alerts';
import { recordingLog } from '../helpers/logs';
import { NOISY } from '../helpers/series';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 24, 12);

const config = parseMonitorConfig({
  series: Array.from({ length: 200 }, (_, i) => ({
    metric: 'cpu_percent',
    namespace: 'AWS/EC2',
    metricName: 'CPUUtilization',
    dimensions: { InstanceId: `i-${i}` },
    tags: { resource: `host-${i}` },
  })),
});
const series = expandSeries(config);

function anomalyOf(i: number, ts: number, value = 90): Anomaly {
  const spec = series[i]!;
  return decide(spec, ts, value, runDetectors(NOISY, value, config.detection))!;
}

class FakePublisher implements AlertPublisher {
  public readonly sent: AlertMessage[] = [];
  public failNext = 0;
  public async publish(message: AlertMessage): Promise<{ messageId: string }> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('SNS unavailable');
    }
    this.sent.push(message);
    return { messageId: `msg-${this.sent.length}` };
  }
}

class FakeDeadLetter implements DeadLetterSink {
  public readonly parked: { message: AlertMessage; reason: string }[] = [];
  public async send(message: AlertMessage, reason: string): Promise<void> {
    this.parked.push({ message, reason });
  }
}

async function setup() {
  const anomalies = new MemoryAnomalyStore();
  const deps = {
    anomalies,
    alerts: new MemoryAlertStore(),
    limiter: new MemoryRateLimiter(DEFAULT_BUCKET),
    publisher: new FakePublisher(),
    deadLetter: new FakeDeadLetter(),
    clock: { now: () => T0 },
    log: recordingLog(),
    series,
    policy: config.alerts,
  };
  return deps;
}

async function recordAndPublish(deps: Awaited<ReturnType<typeof setup>>, fresh: Anomaly[], now: number) {
  const { created } = await deps.anomalies.record(fresh);
  return publishAlerts(deps, { fresh: created, now });
}

describe('publishAlerts', () => {
  it('a storm of 200 anomalies sends at most 10 messages, records every state, and digests the rest', async () => {
    const deps = await setup();
    const storm = Array.from({ length: 200 }, (_, i) => anomalyOf(i, T0 - MIN));
    const r = await recordAndPublish(deps, storm, T0);
    expect(r.messagesSent).toBe(10);
    expect(deps.publisher.sent).toHaveLength(10);
    expect(r.states).toEqual({ sent: 10, 'rate-limited': 190 });
    expect(r.heldBack).toBe(190);
    const all = await deps.anomalies.listRange(0, T0);
    expect(all.every((a) => deps.anomalies.stateOf(a) !== 'pending')).toBe(true);

    // 90 s later one token has refilled: a new anomaly goes out carrying the digest of the 190.
    const later = await recordAndPublish(deps, [anomalyOf(150, T0 + MIN, 5000)], T0 + 90_000);
    expect(later.messagesSent).toBe(1);
    const body = deps.publisher.sent.at(-1)!.body as {
      heldBack: { count: number; worstSeverity: string; topSeries: unknown[] };
    };
    expect(body.heldBack.count).toBe(190);
    expect(body.heldBack.worstSeverity).toBe('CRITICAL');
    expect(body.heldBack.topSeries).toHaveLength(5);
    expect(later.heldBack).toBe(0);
    expect(await deps.alerts.getDigest('noc')).toBeUndefined();
  });

  it('groups anomalies on one resource into one message with attributes and a readable subject', async () => {
    const deps = await setup();
    const specs = expandSeries(
      parseMonitorConfig({
        series: [
          {
            metric: 'cpu_percent',
            namespace: 'AWS/EC2',
            metricName: 'CPUUtilization',
            dimensions: { InstanceId: 'i-1' },
            label: 'web-1',
            unit: '%',
            tags: { resource: 'web-1' },
          },
          {
            metric: 'memory_percent',
            namespace: 'CWAgent',
            metricName: 'mem_used_percent',
            dimensions: { InstanceId: 'i-1' },
            label: 'web-1',
            unit: '%',
            tags: { resource: 'web-1' },
          },
        ],
      }),
    );
    const fresh = specs.map((s, i) => decide(s, T0, 95 + i, runDetectors(NOISY, 95 + i, config.detection))!);
    const { created } = await deps.anomalies.record(fresh);
    await publishAlerts({ ...deps, series: specs }, { fresh: created, now: T0 });
    expect(deps.publisher.sent).toHaveLength(1);
    const m = deps.publisher.sent[0]!;
    expect(m.subject).toMatch(
      /^\[CRITICAL\] web-1: (cpu|memory)_percent web-1 = 9\d %, expected [\d.]+-[\d.]+ \(\+1 more\)$/,
    );
    expect(m.subject.length).toBeLessThanOrEqual(100);
    expect(m.subject).toContain('(+1 more)');
    expect(m.attributes).toMatchObject({ severity: 'CRITICAL', alert_type: 'INFRASTRUCTURE_ANOMALY' });
    expect(m.attributes.dedup_key).toMatch(/^[a-z_]+-above-[0-9a-f]{16}$/);
    const states = created.map((a) => deps.anomalies.stateOf(a)).sort();
    expect(states).toEqual(['grouped', 'sent']);
  });

  it('leaves a failed publish pending, retries it next run, and does not page twice after success', async () => {
    const deps = await setup();
    deps.publisher.failNext = 1;
    const first = await recordAndPublish(deps, [anomalyOf(3, T0)], T0);
    expect(first).toMatchObject({ messagesSent: 0, publishFailures: 1, states: { pending: 1 } });
    expect(
      deps.log.lines.some((l) => l.level === 'error' && l.message.startsWith('Alert not published')),
    ).toBe(true);
    const retry = await publishAlerts(deps, { now: T0 + 5 * MIN });
    expect(retry).toMatchObject({ messagesSent: 1, states: { sent: 1 } });
    const third = await publishAlerts(deps, { now: T0 + 10 * MIN });
    expect(third.considered).toBe(0);
    // A repeat on the same series within 30 minutes is folded into the open alert, not paged.
    const repeat = await recordAndPublish(deps, [anomalyOf(3, T0 + 12 * MIN)], T0 + 12 * MIN);
    expect(repeat.states).toEqual({ deduplicated: 1 });
    expect(deps.publisher.sent).toHaveLength(1);
  });

  it('records INFO as below-severity, suppresses inside a maintenance window, and resolves quiet alerts', async () => {
    const deps = await setup();
    await deps.alerts.putWindow({
      id: 'host-7-maint',
      tags: { resource: 'host-7' },
      schedule: { kind: 'once', start: T0 - MIN, end: T0 + MIN },
    });
    const info = { ...anomalyOf(5, T0), level: 'INFO' as const, severity: 'low' as const };
    const r = await recordAndPublish(deps, [info, anomalyOf(7, T0), anomalyOf(9, T0)], T0);
    expect(r.states).toEqual({ 'below-severity': 1, suppressed: 1, sent: 1 });
    expect(deps.alerts.open.size).toBe(1);
    const seriesNine = series[9]!.id;
    const early = await publishAlerts(deps, {
      now: T0 + 10 * MIN,
      coverage: new Map([[seriesNine, T0 + 10 * MIN]]),
    });
    expect(early.resolvedSent).toBe(0);
    // Quiet for 16 minutes but no data since the anomaly: missing data is not "normal", no RESOLVED.
    const noData = await publishAlerts(deps, { now: T0 + 16 * MIN, coverage: new Map([[seriesNine, T0]]) });
    expect(noData.resolvedSent).toBe(0);
    const resolved = await publishAlerts(deps, {
      now: T0 + 16 * MIN,
      coverage: new Map([[seriesNine, T0 + 16 * MIN]]),
    });
    expect(resolved.resolvedSent).toBe(1);
    expect(deps.publisher.sent.at(-1)!.subject).toMatch(/^\[RESOLVED\] cpu_percent i-9/);
    expect(deps.publisher.sent.at(-1)!.attributes.severity).toBe('RESOLVED');
    expect(deps.alerts.open.size).toBe(0);
  });

  it('parks an alert that keeps failing past maxPendingMinutes in the dead-letter queue as failed', async () => {
    const deps = await setup();
    deps.publisher.failNext = 100;
    await recordAndPublish(deps, [anomalyOf(4, T0)], T0);
    const stillPending = await publishAlerts(deps, { now: T0 + 30 * MIN });
    expect(stillPending.states).toEqual({ pending: 1 });
    const parked = await publishAlerts(deps, { now: T0 + 61 * MIN });
    expect(parked.states).toEqual({ failed: 1 });
    expect(deps.deadLetter.parked).toHaveLength(1);
    expect(deps.deadLetter.parked[0]!.reason).toBe('not published for 61 min');
    expect((await publishAlerts(deps, { now: T0 + 65 * MIN })).considered).toBe(0);
  });

  it('lets a CRITICAL alert for a new series through an empty bucket only when criticalBypass is on', async () => {
    for (const criticalBypass of [false, true]) {
      const deps = await setup();
      const withPolicy = { ...deps, policy: { ...deps.policy, criticalBypass } };
      const { created } = await deps.anomalies.record(Array.from({ length: 11 }, (_, i) => anomalyOf(i, T0)));
      const r = await publishAlerts(withPolicy, { fresh: created, now: T0 });
      expect(r.messagesSent).toBe(criticalBypass ? 11 : 10);
    }
  });

  it('opens an alert at its newest anomaly and folds late-detected earlier ones into it', async () => {
    const deps = await setup();
    // A catch-up run: 30 anomalies on one series, T0−30 … T0−1 min → one page, lastSeenAt = T0−1 min.
    const burst = Array.from({ length: 30 }, (_, i) => anomalyOf(2, T0 - (30 - i) * MIN));
    const r = await recordAndPublish(deps, burst, T0);
    expect(r.states).toEqual({ sent: 1, deduplicated: 29 });
    expect([...deps.alerts.open.values()][0]!.lastSeenAt).toBe(T0 - MIN);
    // Six minutes later nothing is resolved (quiet for 15 min is required, counted from T0−1 min).
    const coverage = new Map([[series[2]!.id, T0 + 6 * MIN]]);
    expect((await publishAlerts(deps, { now: T0 + 6 * MIN, coverage })).resolvedSent).toBe(0);
    // A point before openedAt, detected late through the overlap, is a duplicate, not a second page.
    const late = await recordAndPublish(deps, [anomalyOf(2, T0 - 35 * MIN)], T0 + 7 * MIN);
    expect(late.states).toEqual({ deduplicated: 1 });
    expect(deps.publisher.sent).toHaveLength(1);
  });

  it('holds back a rate-limited anomaly together with its same-run repeats, all counted in the digest', async () => {
    const deps = await setup();
    const { created: first } = await deps.anomalies.record(
      Array.from({ length: 10 }, (_, i) => anomalyOf(20 + i, T0)),
    );
    await publishAlerts(deps, { fresh: first, now: T0 });
    const repeats = [anomalyOf(40, T0), anomalyOf(40, T0 + MIN), anomalyOf(40, T0 + 2 * MIN)];
    const r = await recordAndPublish(deps, repeats, T0); // same instant: the bucket is empty
    expect(r.states).toEqual({ 'rate-limited': 3 });
    expect(r.heldBack).toBe(3);
  });

  it('carries the digest in a RESOLVED notice when that is the next message to get through', async () => {
    const deps = await setup();
    const { created } = await deps.anomalies.record(
      Array.from({ length: 11 }, (_, i) => anomalyOf(50 + i, T0)),
    );
    const r = await publishAlerts(deps, { fresh: created, now: T0 });
    expect(r.heldBack).toBe(1);
    const coverage = new Map(series.map((s) => [s.id, T0 + 40 * MIN]));
    const later = await publishAlerts(deps, { now: T0 + 40 * MIN, coverage });
    expect(later.resolvedSent).toBe(10);
    const firstResolved = deps.publisher.sent.find((m) => m.body.type === 'RESOLVED')!;
    expect(firstResolved.body.heldBack).toMatchObject({ count: 1 });
    expect(await deps.alerts.getDigest('noc')).toBeUndefined();
  });
});
