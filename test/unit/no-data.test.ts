import {
  MemoryAlertStore,
  MemoryAnomalyStore,
  MemoryMetricStore,
  MemoryRateLimiter,
} from '../../shared/adapters/memory-stores';
import { buildAlertMessage } from '../../shared/domain/alert-message';
import { dedupKey } from '../../shared/domain/alerting';
import { findSilentSeries, isNoData, noDataAnomaly, noDataRuleOf } from '../../shared/domain/no-data';
import { DEFAULT_BUCKET } from '../../shared/domain/token-bucket';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';
import type { AlertMessage } from '../../shared/ports';
import { publishAlerts } from '../../shared/use-cases/publish-alerts';
import { noDataRules, raiseNoDataAlerts } from '../../shared/use-cases/raise-no-data';
import { recordingLog } from '../helpers/logs';

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 1, 12);
const ec2 = (id: string, extra: Record<string, unknown> = {}) => ({
  metric: 'cpu_percent',
  namespace: 'AWS/EC2',
  metricName: 'CPUUtilization',
  dimensions: { InstanceId: id },
  label: id,
  tags: { resource: id },
  ...extra,
});

describe('noDataRuleOf', () => {
  const defaults = {
    default: { afterMinutes: 30, severity: 'INFO' as const },
    metrics: { cpu_percent: { afterMinutes: 10, severity: 'WARNING' as const }, queue_depth: false as const },
  };
  it('takes the series rule, else the metric rule, else the default; sparse series only their own', () => {
    const own = { afterMinutes: 5, severity: 'CRITICAL' as const };
    expect(noDataRuleOf({ id: 'a', metric: 'cpu_percent', sparse: false, noData: own }, defaults)).toBe(own);
    expect(
      noDataRuleOf({ id: 'a', metric: 'cpu_percent', sparse: false, noData: false }, defaults),
    ).toBeUndefined();
    expect(noDataRuleOf({ id: 'a', metric: 'cpu_percent', sparse: false }, defaults)).toEqual(
      defaults.metrics.cpu_percent,
    );
    expect(noDataRuleOf({ id: 'a', metric: 'queue_depth', sparse: false }, defaults)).toBeUndefined();
    expect(noDataRuleOf({ id: 'a', metric: 'disk', sparse: false }, defaults)).toEqual(defaults.default);
    expect(noDataRuleOf({ id: 'a', metric: 'cpu_percent', sparse: true }, defaults)).toBeUndefined();
    expect(noDataRuleOf({ id: 'a', metric: 'cpu_percent', sparse: true, noData: own }, defaults)).toBe(own);
    expect(noDataRuleOf({ id: 'a', metric: 'disk', sparse: false }, { metrics: {} })).toBeUndefined();
  });
});

describe('findSilentSeries', () => {
  const rule = { afterMinutes: 15, severity: 'WARNING' as const };
  it('is silent from exactly afterMinutes after the last point; a series that never reported is not', () => {
    const rules = new Map([
      ['a', rule],
      ['b', rule],
      ['never', rule],
    ]);
    const last = new Map([
      ['a', T0 - 15 * MIN],
      ['b', T0 - 15 * MIN + 1],
    ]);
    expect(findSilentSeries(rules, last, T0)).toEqual([
      { series: 'a', rule, lastTs: T0 - 15 * MIN, dueAt: T0 },
    ]);
  });
});

describe('NO_DATA anomaly and message', () => {
  const [spec] = expandSeries(parseMonitorConfig({ series: [ec2('web-1', { unit: '%' })] }));
  const a = noDataAnomaly(spec!, {
    series: spec!.id,
    rule: { afterMinutes: 15, severity: 'CRITICAL' },
    lastTs: T0 - 15 * MIN,
    dueAt: T0,
  });
  it('is its own condition (never folded into an above/below alert of the series) and says what happened', () => {
    expect(isNoData(a)).toBe(true);
    expect(dedupKey(a)).toMatch(/^cpu_percent-no_data-[0-9a-f]{16}$/);
    expect(a).toMatchObject({ ts: T0, level: 'CRITICAL', severity: 'critical', value: 15, unit: 'min' });
    expect(a.explanation).toBe(
      'cpu_percent web-1 sent no data for 15 min: last point at 2026-12-01T11:45:00.000Z (one expected every 60 s)',
    );
    const message = buildAlertMessage(
      {
        group: 'web-1',
        level: 'CRITICAL',
        anomalies: [{ anomaly: a, dedupKey: dedupKey(a), state: 'pending' }],
      },
      undefined,
      { now: T0 },
    );
    expect(message.subject).toBe('[CRITICAL] web-1: cpu_percent web-1 sent no data for 15 min');
    expect(message.body).toMatchObject({
      type: 'ALERT',
      kind: 'NO_DATA',
      anomalies: [{ kind: 'NO_DATA', expectedRange: [null, null] }],
    });
  });
});

describe('raiseNoDataAlerts through publishAlerts', () => {
  const config = parseMonitorConfig({
    series: [ec2('web-1'), ec2('web-2', { sparse: true }), ec2('web-3', { noData: { afterMinutes: 5 } })],
    alerts: {
      noData: { metrics: { cpu_percent: { afterMinutes: 15, severity: 'WARNING' } } },
      resolveAfterMinutes: 15,
    },
  });
  const series = expandSeries(config);
  const [web1, web2, web3] = series as [(typeof series)[0], (typeof series)[0], (typeof series)[0]];

  function setup() {
    const points = new MemoryMetricStore();
    const anomalies = new MemoryAnomalyStore();
    const sent: AlertMessage[] = [];
    const log = recordingLog();
    const alerts = new MemoryAlertStore();
    const publish = {
      anomalies,
      alerts,
      limiter: new MemoryRateLimiter(DEFAULT_BUCKET),
      publisher: { publish: async (m: AlertMessage) => ({ messageId: `m-${sent.push(m)}` }) },
      deadLetter: { send: async () => {} },
      clock: { now: () => T0 },
      log,
      series,
      policy: config.alerts,
    };
    const noData = { points, anomalies, series, rules: noDataRules(config), log };
    /** One detect cycle's alerting: the no-data step, then publishing (coverage = latest point per series). */
    const cycle = async (now: number) => {
      const silent = await raiseNoDataAlerts(noData, { now });
      const coverage = new Map<string, number>();
      for (const s of series) {
        const last = (await points.queryRange(s.id, now - 60 * MIN, now)).at(-1);
        if (last) coverage.set(s.id, last.ts);
      }
      const result = await publishAlerts(publish, { fresh: silent.raised, now, coverage });
      return { silent, result };
    };
    const report = async (s: (typeof series)[0], from: number, to: number) => {
      const pts = [];
      for (let ts = from; ts <= to; ts += MIN) pts.push({ series: s.id, ts, value: 20 });
      await points.putPoints(pts);
    };
    return { cycle, report, sent, alerts };
  }

  it('rules: the metric default for web-1, none for sparse web-2, its own 5 min for web-3', () => {
    expect([...noDataRules(config)]).toEqual([
      [web1.id, { afterMinutes: 15, severity: 'WARNING' }],
      [web3.id, { afterMinutes: 5, severity: 'WARNING' }],
    ]);
  });

  it('a series that stops raises one NO_DATA alert, stays silent without re-paging, resolves once data is back', async () => {
    const { cycle, report, sent } = setup();
    // Prepare: all three report for an hour, then web-1 and the sparse web-2 stop at T0.
    await report(web1, T0 - 60 * MIN, T0);
    await report(web2, T0 - 60 * MIN, T0);
    await report(web3, T0 - 60 * MIN, T0 + 120 * MIN);
    // Act / Assess: 14 minutes of silence is not enough.
    expect((await cycle(T0 + 14 * MIN)).silent.silent).toEqual([]);
    // 15 minutes: one NO_DATA page for web-1 only (sparse web-2 is not watched).
    const first = await cycle(T0 + 15 * MIN);
    expect(first.silent.raised.map((a) => a.series)).toEqual([web1.id]);
    expect(sent.map((m) => m.subject)).toEqual([
      '[WARNING] web-1: cpu_percent web-1 sent no data for 15 min',
    ]);
    expect(sent[0]!.attributes.dedup_key).toMatch(/^cpu_percent-no_data-/);
    // Still silent an hour later: nothing new raised, nothing sent, no RESOLVED (missing data is not normal).
    for (const m of [20, 40, 75]) {
      const later = await cycle(T0 + m * MIN);
      expect(later.silent.raised).toEqual([]);
      expect(later.silent.silent).toEqual([web1.id]);
    }
    expect(sent).toHaveLength(1);
    // Data is back from T0+80 min: RESOLVED for the same alert id.
    await report(web1, T0 + 80 * MIN, T0 + 81 * MIN);
    await cycle(T0 + 81 * MIN);
    expect(sent.map((m) => m.body.type)).toEqual(['ALERT', 'RESOLVED']);
    expect(sent[1]!.body.alertId).toBe(sent[0]!.body.alertId);
    expect(sent[1]!.attributes.level).toBe('WARNING');
  });

  it('is muted by a maintenance window of the series like any alert', async () => {
    const { cycle, report, sent, alerts } = setup();
    await report(web1, T0 - 60 * MIN, T0);
    await report(web3, T0 - 60 * MIN, T0 + 60 * MIN);
    await alerts.putWindow({
      id: 'patching',
      tags: { resource: 'web-1' },
      schedule: { kind: 'once', start: T0, end: T0 + 60 * MIN },
    });
    const run = await cycle(T0 + 15 * MIN);
    expect(run.result.states).toEqual({ suppressed: 1 });
    expect(sent).toEqual([]);
  });

  it('does not read a series again when detect just read a recent point of it', async () => {
    // Prepare: the store would say web-1 and web-3 are silent; detect's read says web-1 is not
    const reads: string[] = [];
    const points = {
      queryRange: async (id: string) => {
        reads.push(id);
        return [{ series: id, ts: T0, value: 1 }];
      },
      putPoints: async () => ({ written: 0, failed: [], rejected: [] }),
    };
    const now = T0 + 60 * MIN;
    // Act
    const r = await raiseNoDataAlerts(
      {
        points,
        anomalies: new MemoryAnomalyStore(),
        series,
        rules: noDataRules(config),
        log: recordingLog(),
        knownLatest: new Map([[web1.id, now - 2 * MIN]]),
      },
      { now },
    );
    // Assess: web-1 known fresh (no read, not silent); web-3 read and silent
    expect(reads).not.toContain(web1.id);
    expect(r.silent).toEqual([web3.id]);
  });

  it('a store that cannot be read or written is logged and retried next run, never thrown', async () => {
    const log = recordingLog();
    const failing = {
      queryRange: async (id: string) => {
        if (id === web3.id) throw new Error('throttled');
        return [{ series: id, ts: T0, value: 1 }];
      },
      putPoints: async () => ({ written: 0, failed: [], rejected: [] }),
    };
    const anomalies = new MemoryAnomalyStore();
    anomalies.record = async () => {
      throw new Error('table unavailable');
    };
    const r = await raiseNoDataAlerts(
      { points: failing, anomalies, series, rules: noDataRules(config), log },
      { now: T0 + 60 * MIN },
    );
    expect(r).toEqual({ raised: [], silent: [web1.id], failed: [web3.id] });
    expect(log.lines.map((l) => `${l.level} ${l.message}`)).toEqual([
      'warn No-data check could not read the series; skipped this run',
      'error NO_DATA anomalies not recorded; retried next run',
    ]);
  });
});
