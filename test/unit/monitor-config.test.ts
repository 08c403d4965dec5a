import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../shared/errors';
import {
  expandSeries,
  parseMonitorConfig,
  parseMonitorConfigJson,
  seriesIdOf,
} from '../../shared/monitor-config';

const example = readFileSync(join(__dirname, '../../config/monitor.example.json'), 'utf8');

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('monitoring config', () => {
  it('accepts the example config and maps the nine seed metrics', () => {
    const config = parseMonitorConfigJson(example, 'example');
    const metrics = expandSeries(config).map((s) => s.metric);
    expect(metrics.sort()).toEqual(
      [
        'cpu_percent',
        'memory_percent',
        'disk_io_read_mb',
        'disk_io_write_mb',
        'db_connections_active',
        'db_query_time_ms',
        'queue_depth',
        'request_latency_p95',
        'error_rate',
      ].sort(),
    );
    const namespaces = new Set(expandSeries(config).map((s) => s.namespace));
    expect([...namespaces].sort()).toEqual([
      'AWS/ApplicationELB',
      'AWS/EC2',
      'AWS/RDS',
      'AWS/SQS',
      'CWAgent',
    ]);
  });

  it('fills the seed defaults', () => {
    const config = parseMonitorConfig({ series: [{ metric: 'x', namespace: 'N', metricName: 'M' }] });
    expect(config.detection).toMatchObject({
      windowPoints: 1000,
      historyPoints: 2000,
      minPoints: 100,
      refractoryPoints: 100,
      seasonality: { enabled: true, days: 7 },
      zscore: { floor: 3, mediumAt: 5, highAt: 7, criticalAt: 10 },
      spike: { floor: 6, mediumAt: 10, highAt: 14, criticalAt: 20 },
      levelShift: { points: 30, floor: 2, mediumAt: 3, highAt: 5, criticalAt: 8 },
    });
    expect(config.alerts.rateLimit).toEqual({ capacity: 10, refillTokens: 10, refillMinutes: 15 });
    expect(config.schedules).toEqual({
      collectEveryMinutes: 5,
      detectEveryMinutes: 5,
      detectOffsetMinutes: 1,
    });
    expect(config.retentionDays).toBe(30);
    expect(config.series[0]).toMatchObject({ stat: 'Average', period: 60, scale: 1, dimensions: {} });
  });

  it.each([
    [{ series: [{ metric: 'CPU', namespace: 'N', metricName: 'M' }] }, 'series.0.metric'],
    [{ series: [{ metric: 'x', namespace: 'N', metricName: 'M', stat: 'Mean' }] }, 'series.0.stat'],
    [{ series: [{ metric: 'x', namespace: 'N', metricName: 'M', period: 0 }] }, 'series.0.period'],
    [
      {
        series: [{ metric: 'x', namespace: 'N', metricName: 'M' }],
        detection: { zscore: { floor: -1 } },
      },
      'detection.zscore.floor',
    ],
    [
      { series: [{ metric: 'x', namespace: 'N', metricName: 'M' }], schedules: { collectEveryMinutes: 0 } },
      'schedules.collectEveryMinutes',
    ],
    [
      { series: [{ metric: 'x', namespace: 'N', metricName: 'M' }], alerts: { email: 'not-an-email' } },
      'alerts.email',
    ],
    [{ series: [{ metric: 'x', namespace: 'N', metricName: 'M' }], typo: true }, 'typo'],
    [{ series: [] }, 'series'],
    [
      { series: [{ metric: 'x', namespace: 'N', metricName: 'M' }], detection: { zscore: { floor: 6 } } },
      'detection.zscore',
    ],
  ])('rejects %j naming %s', (raw, field) => {
    const error = errorOf(() => parseMonitorConfig(raw, 'test.json'));
    expect(error.message).toContain('test.json');
    expect(error.issues.some((i) => i.startsWith(`${field}:`) || i.includes(`"${field}"`))).toBe(true);
  });

  it('rejects invalid JSON and duplicate series', () => {
    expect(errorOf(() => parseMonitorConfigJson('{', 'f.json')).message).toMatch(/not valid JSON/);
    const dup = { metric: 'x', namespace: 'N', metricName: 'M', dimensions: { a: '1' } };
    expect(errorOf(() => parseMonitorConfig({ series: [dup, { ...dup, metric: 'y' }] })).issues[0]).toMatch(
      /duplicate series N\/M\/a=1\/Average\/60/,
    );
  });

  it('rejects a series whose id is too long to be a DynamoDB key, naming it', () => {
    const long = {
      metric: 'x',
      namespace: 'N',
      metricName: 'M',
      dimensions: { a: 'v'.repeat(1000) },
      label: 'long-one',
    };
    expect(errorOf(() => parseMonitorConfig({ series: [long] })).issues).toEqual([
      expect.stringMatching(/^series: .*long-one: series id is 1\d{3} bytes \(max 1000\)$/),
    ]);
  });

  it('expands RDS instances into AWS/RDS series with stable ids', () => {
    const config = parseMonitorConfig({ rds: { instances: [{ id: 'rds-main' }] } });
    const series = expandSeries(config);
    expect(series.map((s) => s.metric)).toEqual([
      'db_connections_active',
      'db_query_time_ms',
      'db_write_time_ms',
      'db_cpu_percent',
    ]);
    expect(series[1]).toMatchObject({
      id: 'AWS/RDS/ReadLatency/DBInstanceIdentifier=rds-main/Average/60',
      scale: 1000,
      label: 'db_query_time_ms rds-main',
      tags: { resource: 'rds-main', service: 'rds' },
    });
  });

  it('builds ids independent of dimension order', () => {
    expect(seriesIdOf('N', 'M', { b: '2', a: '1' }, 'p95', 60)).toBe(
      seriesIdOf('N', 'M', { a: '1', b: '2' }, 'p95', 60),
    );
  });
});
