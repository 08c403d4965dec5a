// Issue 13 defect 7 and issue 16 item 6: the API Lambda (functions/api.ts) against dynalite answers 4xx
// naming the field for malformed input on every route that takes a body (sizes, counts, time ranges),
// 413 above the documented body size, and bounds series reads by point count instead of a fixed 31 days.

import { DynamoMetricStore } from '../../shared/adapters/dynamodb-metric-store';
import { MAX_BODY_BYTES, MAX_RANGE_POINTS, WINDOW_TAGS } from '../../shared/api/contract';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';
import { apiEvent, parsed, TEST_CLIENT_ID } from '../helpers/api';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';
import { fakeContext, handlerEnv } from '../helpers/lambda';
import { startS3rver, type TestS3 } from '../helpers/s3rver';

jest.setTimeout(60_000);

const MIN = 60_000;
const DAY = 86_400_000;
const config = {
  series: [
    {
      metric: 'cpu_percent',
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensions: { InstanceId: 'i-1' },
      label: 'web-1',
    },
  ],
};
const series = expandSeries(parseMonitorConfig(config))[0]!;
let db: TestDynamo;
let s3: TestS3;
let api: typeof import('../../functions/api');

async function call(...args: Parameters<typeof apiEvent>) {
  return parsed(await api.handler(apiEvent(...args), fakeContext('api')));
}

beforeAll(async () => {
  db = await startDynalite();
  s3 = await startS3rver('test-detector-state');
  const ep = await s3.client.config.endpoint?.();
  handlerEnv(
    db.endpoint,
    {
      POINTS_TABLE: db.tables.points,
      ANOMALIES_TABLE: db.tables.anomalies,
      CONTROL_TABLE: db.tables.control,
      PREDICTIONS_TABLE: db.tables.predictions,
      DASHBOARD_ORIGIN: 'https://d111111abcdef8.cloudfront.net',
      DASHBOARD_CLIENT_ID: TEST_CLIENT_ID,
      // The health tiles' band: each detect shard's object, read from s3rver.
      DETECTOR_STATE_BUCKET: s3.bucket,
      DETECT_SHARDS: '1',
      AWS_ENDPOINT_URL_S3: `http://${ep?.hostname}:${ep?.port}`,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    },
    config,
  );
  // s3rver's only account; dynalite takes any credentials.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
  api = await import('../../functions/api');
  // Two points 40 days apart: a 60-day read must see both ends' data that is still retained.
  const now = Date.now();
  await new DynamoMetricStore({ client: db.doc, tableName: db.tables.points }).putPoints([
    { series: series.id, ts: now - 20 * DAY, value: 5 },
    { series: series.id, ts: now - 10 * MIN, value: 7 },
  ]);
});
afterAll(async () => {
  await s3.close();
  await db.close();
});

const onceWindow = (extra: Record<string, unknown>) => ({
  id: 'w1',
  series: series.id,
  schedule: { kind: 'once', start: Date.now(), end: Date.now() + 3_600_000 },
  ...extra,
});

describe('malformed bodies get 4xx naming the field (issue 13, defect 7)', () => {
  it('POST /api/tuning-runs with a time before the retention: 400 naming time', async () => {
    const r = await call('POST', '/api/tuning-runs', { body: { time: '1970-01-01T00:00:00Z' } });
    expect(r).toMatchObject({ status: 400, body: { field: 'time' } });
  });

  it('POST /api/maintenance-windows with 400 KB of tags: 4xx, never 5xx', async () => {
    const tags = Object.fromEntries(Array.from({ length: 4000 }, (_, i) => [`k${i}`, 'v'.repeat(100)]));
    const r = await call('POST', '/api/maintenance-windows', { body: onceWindow({ tags }) });
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ field: 'body' });
  });

  it.each([
    [
      'too many tags',
      {
        tags: Object.fromEntries(Array.from({ length: WINDOW_TAGS.maxCount + 1 }, (_, i) => [`k${i}`, 'v'])),
      },
      'tags',
    ],
    ['a tag value too long', { tags: { team: 'x'.repeat(WINDOW_TAGS.maxValue + 1) } }, 'tags.team'],
    ['a tag key too long', { tags: { ['k'.repeat(WINDOW_TAGS.maxKey + 1)]: 'v' } }, 'tags'],
    ['a start before 1970', { schedule: { kind: 'once', start: -1, end: 10 } }, 'schedule.start'],
    ['an end after 2100', { schedule: { kind: 'once', start: 0, end: 5_000_000_000_000 } }, 'schedule.end'],
    ['a window of two years', { schedule: { kind: 'once', start: 0, end: 2 * 366 * DAY } }, 'schedule.end'],
    ['a series id of 2 KB', { series: 's'.repeat(2048) }, 'series'],
  ])('POST /api/maintenance-windows with %s: 400 naming the field', async (_name, extra, field) => {
    const r = await call('POST', '/api/maintenance-windows', { body: onceWindow(extra) });
    expect(r.status).toBe(400);
    // A too-long tag key is named by its path (tags.<key>).
    expect(String(r.body.field).startsWith(field)).toBe(true);
  });

  it.each([
    ['PUT', '/api/anomalies/feedback', { series: series.id, ts: 1e20, label: 'confirmed' }, 'ts'],
    ['PUT', '/api/anomalies/feedback', { series: series.id, ts: '9'.repeat(15), label: 'confirmed' }, 'ts'],
    [
      'PUT',
      '/api/anomalies/feedback',
      { series: series.id, ts: 1, label: 'confirmed', reason: 'r'.repeat(501) },
      'reason',
    ],
    ['PUT', '/api/thresholds/cpu_percent', { adjustment: 1e300 }, 'adjustment'],
    ['PUT', '/api/alerts/a1/feedback', { label: 'nope' }, 'label'],
    [
      'POST',
      '/api/tuning-runs',
      { time: '2026-01-01T00:00:00.000000000000000000000000000000000000Z' },
      'time',
    ],
  ])('%s %s with an out-of-bounds field: 400 naming it', async (method, path, body, field) => {
    const r = await call(method, path, { body });
    expect(r).toMatchObject({ status: 400, body: { field } });
  });

  it('any route that takes a body answers 413 naming body above MAX_BODY_BYTES, 4xx at the limit', async () => {
    const reason = 'x'.repeat(MAX_BODY_BYTES);
    for (const [method, path] of [
      ['PUT', '/api/anomalies/feedback'],
      ['PUT', '/api/thresholds/cpu_percent'],
      ['POST', '/api/tuning-runs'],
      ['POST', '/api/maintenance-windows'],
    ] as const) {
      const big = await call(method, path, { rawBody: JSON.stringify({ reason }) });
      expect({ path, ...big }).toMatchObject({ path, status: 413, body: { field: 'body' } });
      const fits = await call(method, path, { rawBody: JSON.stringify({ reason: 'x'.repeat(100) }) });
      expect(fits.status).toBeGreaterThanOrEqual(400);
      expect(fits.status).toBeLessThan(500);
    }
  });

  it('bodies of the wrong JSON type are 400, never 5xx', async () => {
    for (const raw of ['[]', 'null', '42', '"text"', '{"a":{"b":{"c":[1,2,3]}}}', '[[[[[[[[[[]]]]]]]]]]']) {
      for (const [method, path] of [
        ['PUT', '/api/anomalies/feedback'],
        ['POST', '/api/maintenance-windows'],
        ['POST', '/api/tuning-runs'],
        ['POST', '/api/threshold-changes/1700000000000-cpu_percent-1/revert'],
      ] as const) {
        const r = await call(method, path, { rawBody: raw });
        expect({ raw, path, status: r.status }).toEqual({ raw, path, status: 400 });
      }
    }
  });
});

describe('series reads are bounded by point count, not 31 days (issue 16, item 6)', () => {
  it('a 60-day range of a 1-minute series is served, downsampled, with the retained data', async () => {
    const now = Date.now();
    const r = await call('GET', `/api/series/${encodeURIComponent(series.id)}/points`, {
      query: { from: String(now - 60 * DAY), to: String(now), maxPoints: '300' },
    });
    expect(r.status).toBe(200);
    expect((r.body.points as unknown[]).length).toBe(2);
  });

  it('a range over MAX_RANGE_POINTS periods is 400 naming from, with the bound in points and days', async () => {
    const now = Date.now();
    const r = await call('GET', `/api/series/${encodeURIComponent(series.id)}/points`, {
      query: { from: String(now - (MAX_RANGE_POINTS + 10) * MIN), to: String(now) },
    });
    expect(r).toMatchObject({ status: 400, body: { field: 'from' } });
    expect((r.body.issues as string[])[0]).toMatch(
      /100000 points of this series \(69 days at its 60 s period\)/,
    );
  });

  it('anomalies over 60 days are served; over 400 days is 400 naming from', async () => {
    const now = Date.now();
    expect((await call('GET', '/api/anomalies', { query: { from: String(now - 60 * DAY) } })).status).toBe(
      200,
    );
    expect(
      await call('GET', '/api/alerts', { query: { from: String(now - 401 * DAY), to: String(now) } }),
    ).toMatchObject({ status: 400, body: { field: 'from' } });
  });
});
