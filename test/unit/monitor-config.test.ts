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
      historyPoints: 12_000,
      tailWeight: 0.2,
      recurrenceWeight: 1,
      minPoints: 60,
      refractoryPoints: 100,
      acceptPoints: 120,
      newRange: { factor: 1, minPoints: 10 },
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
      // Detect is chained after collect in one cycle: a different detect schedule is refused.
      { series: [{ metric: 'x', namespace: 'N', metricName: 'M' }], schedules: { detectEveryMinutes: 1 } },
      'schedules.detectEveryMinutes',
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

  describe('dangerous values (limits in shared/config/limits.ts)', () => {
    const one = { metric: 'x', namespace: 'N', metricName: 'M' };
    const many = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ ...one, dimensions: { InstanceId: `i-${i}` } }));
    const dims = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`d${i}`, 'v']));

    it.each([
      ['20,001 series', { series: many(20_001) }, /^series: 20001 series .* more than 20000/],
      ['40 dimensions', { series: [{ ...one, dimensions: dims(40) }] }, /^series\.0\.dimensions: at most 30/],
      [
        'a 2,171-byte series id',
        {
          series: [{ ...one, dimensions: { a: 'x'.repeat(1024), b: 'y'.repeat(1024), c: 'z'.repeat(100) } }],
        },
        /^series: id N\/M\/a=x+… is 2171 bytes, 2189 URI-encoded; at most 512 and 960/,
      ],
      [
        'an id that is short in bytes but long once URI-encoded (the S3 checkpoint key)',
        { series: [{ ...one, dimensions: { a: '/'.repeat(400) } }] },
        /^series: id N\/M\/a=\/+… is 417 bytes, 1227 URI-encoded; at most 512 and 960/,
      ],
      [
        'a CR/LF in a dimension value',
        { series: [{ ...one, dimensions: { a: 'x\r\nBcc: y' } }] },
        /^series\.0\.dimensions\.a: must not contain control/,
      ],
      [
        'a LF in a tag',
        { series: [{ ...one, tags: { team: 'a\nb' } }] },
        /^series\.0\.tags\.team: must not contain control/,
      ],
      [
        'a scale of 1e200',
        { series: [{ ...one, scale: 1e200 }] },
        /^series\.0\.scale: must be at most 1000000000000/,
      ],
      [
        'a scale of 1e-200',
        { series: [{ ...one, scale: 1e-200 }] },
        /^series\.0\.scale: must be at least 1e-12/,
      ],
      [
        'a rate limit of 1000 per minute',
        { series: [one], alerts: { rateLimit: { capacity: 10, refillTokens: 1000, refillMinutes: 1 } } },
        /^alerts\.rateLimit\.refillTokens: 1000 per 1 min is more than 1 page a minute/,
      ],
      [
        'a bucket of 1000',
        { series: [one], alerts: { rateLimit: { capacity: 1000 } } },
        /^alerts\.rateLimit\.capacity: must be at most 100/,
      ],
      [
        'a javascript: dashboard URL',
        { series: [one], alerts: { dashboardUrl: 'javascript:alert(1)' } },
        /^alerts\.dashboardUrl: must be an https:\/\/ URL/,
      ],
      [
        'a data: dashboard URL',
        { series: [one], alerts: { dashboardUrl: 'data:text/html,<script>x</script>' } },
        /^alerts\.dashboardUrl: /,
      ],
      [
        'a plain http: dashboard URL',
        { series: [one], alerts: { dashboardUrl: 'http://noc.example.com/' } },
        /^alerts\.dashboardUrl: must be an https/,
      ],
      [
        'CR/LF in groupBy',
        { series: [one], alerts: { groupBy: 'resource\r\nX-Injected: 1' } },
        /^alerts\.groupBy: must be a tag or dimension name/,
      ],
      [
        'HTML in groupBy',
        { series: [one], alerts: { groupBy: '<img src=x onerror=alert(1)>' } },
        /^alerts\.groupBy: must be a tag or dimension name/,
      ],
    ])('rejects %s, naming the field', (_name, raw, issue) => {
      const error = errorOf(() => parseMonitorConfig(raw, 'test.json'));
      expect(error.message).toContain('test.json');
      expect(error.issues).toEqual([expect.stringMatching(issue)]);
    });

    it('accepts the limits themselves and ordinary values', () => {
      const config = parseMonitorConfig({
        series: [...many(996), { ...one, dimensions: dims(30), scale: 1e-12 }],
        rds: { instances: [] },
        alerts: {
          rateLimit: { capacity: 100, refillTokens: 60, refillMinutes: 60 },
          dashboardUrl: 'https://noc.example.com/drift#/alerts',
          groupBy: 'aws:cloudformation:stack-name',
        },
      });
      expect(expandSeries(config)).toHaveLength(997);
      // 10,000 one-minute series: what the detect cycle's shards are sized for (issue 14).
      expect(parseMonitorConfig({ series: many(10_000) }).series).toHaveLength(10_000);
      expect(
        parseMonitorConfig({ series: [one], alerts: { dashboardUrl: 'http://localhost:8080/' } }).alerts,
      ).toMatchObject({ dashboardUrl: 'http://localhost:8080/' });
      expect(() => parseMonitorConfig({ series: many(20_001) })).toThrow(/more than 20000/);
    });
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
      expect.stringMatching(/^series: id N\/M\/a=v+… is 1\d{3} bytes, \d+ URI-encoded; at most 512 and 960/),
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
