import {
  addToDigest,
  dedupKey,
  inSchedule,
  type MaintenanceWindow,
  mutes,
  type OpenAlert,
  planAlerts,
} from '../../shared/domain/alerting';
import type { Anomaly } from '../../shared/domain/anomaly';
import type { AlertLevel } from '../../shared/domain/types';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 22, 2, 30); // a Sunday, 02:30 UTC

function anomaly(series: string, ts: number, level: AlertLevel = 'CRITICAL', value = 99): Anomaly {
  return {
    series,
    metric: series.split('/')[0]!,
    label: series,
    ts,
    value,
    expectedLow: 0,
    expectedHigh: 50,
    baseline: 25,
    deviation: 5,
    score: 0.8,
    methods: ['zscore'],
    findings: [],
    severity: level === 'CRITICAL' ? 'critical' : level === 'WARNING' ? 'medium' : 'low',
    level,
    explanation: `${series} is off`,
    sensitivity: 1,
  };
}

const tags: Record<string, Record<string, string>> = {
  'cpu/web-1': { resource: 'web-1' },
  'mem/web-1': { resource: 'web-1' },
  'cpu/web-2': { resource: 'web-2' },
  'conn/rds-main': { resource: 'rds-main', service: 'rds' },
};
const context = (openAlerts = new Map<string, OpenAlert>(), windows: MaintenanceWindow[] = []) => ({
  tagsOf: (s: string) => tags[s] ?? {},
  openAlerts,
  windows,
});
const policy = { minLevelToPage: 'WARNING' as const, dedupWindowMs: 30 * MIN, groupBy: 'resource' };

describe('alert planning', () => {
  it('keys by series and condition, stably', () => {
    const up = anomaly('cpu/web-1', T0);
    expect(dedupKey(up)).toBe(dedupKey({ ...up, value: 80 }));
    expect(dedupKey(up)).not.toBe(dedupKey({ ...up, value: -5 }));
    expect(dedupKey(up)).toMatch(/^cpu-above-[0-9a-f]{16}$/);
  });

  it('records INFO without paging, groups the rest by resource, worst group first', () => {
    const { planned, groups } = planAlerts(
      [
        anomaly('cpu/web-1', T0, 'WARNING'),
        anomaly('mem/web-1', T0, 'CRITICAL'),
        anomaly('cpu/web-2', T0, 'WARNING'),
        anomaly('conn/rds-main', T0, 'INFO'),
      ],
      context(),
      policy,
    );
    expect(planned.find((p) => p.anomaly.series === 'conn/rds-main')?.state).toBe('below-severity');
    expect(groups.map((g) => [g.group, g.level, g.anomalies.map((p) => p.anomaly.series)])).toEqual([
      ['web-1', 'CRITICAL', ['mem/web-1', 'cpu/web-1']],
      ['web-2', 'WARNING', ['cpu/web-2']],
    ]);
  });

  it('folds a repeat of an open alert within the dedup window into it, and pages again after it', () => {
    const first = anomaly('cpu/web-1', T0);
    const open = new Map<string, OpenAlert>([
      [
        dedupKey(first),
        {
          dedupKey: dedupKey(first),
          alertId: 'a1',
          series: 'cpu/web-1',
          openedAt: T0,
          lastSeenAt: T0,
          level: 'CRITICAL',
        },
      ],
    ]);
    const within = planAlerts([anomaly('cpu/web-1', T0 + 20 * MIN)], context(open), policy);
    expect(within.planned[0]).toMatchObject({ state: 'deduplicated', reason: 'a1' });
    expect(within.groups).toEqual([]);
    const after = planAlerts([anomaly('cpu/web-1', T0 + 31 * MIN)], context(open), policy);
    expect(after.planned[0]!.state).toBe('pending');
  });

  it('pages once for repeated anomalies of one key in the same run', () => {
    const { planned, groups } = planAlerts(
      [anomaly('cpu/web-1', T0), anomaly('cpu/web-1', T0 + MIN), anomaly('cpu/web-1', T0 + 2 * MIN)],
      context(),
      policy,
    );
    expect(planned.map((p) => p.state)).toEqual(['pending', 'deduplicated', 'deduplicated']);
    expect(groups[0]!.anomalies).toHaveLength(1);
  });

  it('suppresses anomalies inside a maintenance window (weekly, by tag)', () => {
    const window: MaintenanceWindow = {
      id: 'rds-sunday',
      tags: { resource: 'rds-main' },
      schedule: { kind: 'weekly', dayOfWeek: 0, startMinute: 120, durationMinutes: 60 },
    };
    const { planned } = planAlerts(
      [anomaly('conn/rds-main', T0), anomaly('conn/rds-main', T0 + 40 * MIN), anomaly('cpu/web-1', T0)],
      context(new Map(), [window]),
      policy,
    );
    expect(planned.map((p) => [p.anomaly.series, p.state])).toEqual([
      ['conn/rds-main', 'suppressed'],
      ['cpu/web-1', 'pending'],
      ['conn/rds-main', 'pending'],
    ]);
  });
});

describe('maintenance windows', () => {
  it('matches one-off and weekly schedules, including a week wrap', () => {
    expect(inSchedule({ id: 'x', schedule: { kind: 'once', start: T0, end: T0 + MIN } }, T0)).toBe(true);
    expect(inSchedule({ id: 'x', schedule: { kind: 'once', start: T0, end: T0 + MIN } }, T0 + MIN)).toBe(
      false,
    );
    const satNight: MaintenanceWindow = {
      id: 'wrap',
      series: 's',
      schedule: { kind: 'weekly', dayOfWeek: 6, startMinute: 23 * 60 + 30, durationMinutes: 60 },
    };
    expect(inSchedule(satNight, Date.UTC(2026, 10, 22, 0, 15))).toBe(true); // Sunday 00:15
    expect(inSchedule(satNight, Date.UTC(2026, 10, 22, 0, 31))).toBe(false);
    expect(mutes(satNight, { id: 's', tags: {} }, Date.UTC(2026, 10, 21, 23, 45))).toBe(true);
    expect(mutes(satNight, { id: 'other', tags: {} }, Date.UTC(2026, 10, 21, 23, 45))).toBe(false);
  });
});

describe('digest', () => {
  it('counts what was held back, keeps the worst level and the top series', () => {
    let d = addToDigest(undefined, [anomaly('a', T0, 'WARNING'), anomaly('b', T0), anomaly('a', T0)], T0);
    d = addToDigest(d, [anomaly('c', T0 + MIN, 'WARNING')], T0 + MIN);
    expect(d).toEqual({
      count: 4,
      since: T0,
      worstLevel: 'CRITICAL',
      topSeries: [
        { label: 'a', count: 2 },
        { label: 'b', count: 1 },
        { label: 'c', count: 1 },
      ],
    });
    expect(addToDigest(undefined, [], T0)).toBeUndefined();
  });
});
