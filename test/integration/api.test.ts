// The API Lambda (functions/api.ts, middy-wrapped) against dynalite, with events as API Gateway's Cognito
// authorizer delivers them: every route, 4xx answers naming the field, the staff check, the token's user
// recorded as the actor, CORS for the dashboard origin, and the moved maintenance-window routes.
import { DynamoAnomalyStore } from '../../shared/adapters/dynamodb-anomaly-store';
import { DynamoMetricStore } from '../../shared/adapters/dynamodb-metric-store';
import { S3RecentBandStore } from '../../shared/adapters/s3-recent-band-store';
import type { HealthResponse } from '../../shared/api/types';
import type { Anomaly } from '../../shared/domain/anomaly';
import { WHOLE_FLEET } from '../../shared/domain/shards';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';
import { apiEvent, parsed, STAFF_ACTOR, STAFF_CLAIMS, TEST_CLIENT_ID } from '../helpers/api';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';
import { fakeContext, handlerEnv } from '../helpers/lambda';
import { startS3rver, type TestS3 } from '../helpers/s3rver';

const MIN = 60_000;
const ALICE = STAFF_ACTOR;
const ORIGIN = 'https://d111111abcdef8.cloudfront.net';
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
let T0: number;

async function call(...args: Parameters<typeof apiEvent>) {
  return parsed(await api.handler(apiEvent(...args), fakeContext('api')));
}

function anomaly(ts: number): Anomaly {
  return {
    series: series.id,
    metric: 'cpu_percent',
    label: series.label,
    ts,
    value: 97,
    expectedLow: 10,
    expectedHigh: 30,
    baseline: 20,
    deviation: 8,
    score: 0.9,
    methods: ['zscore'],
    findings: [],
    severity: 'critical',
    level: 'CRITICAL',
    explanation: 'test',
    sensitivity: 1,
  };
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
      DASHBOARD_ORIGIN: ORIGIN,
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
  // Recent data (the API uses the real clock): 196 minutes of points (the detector warms up on 100)
  // with one spike, the spike recorded.
  T0 = Math.floor(Date.now() / (5 * MIN)) * 5 * MIN - 30 * MIN;
  await new DynamoMetricStore({ client: db.doc, tableName: db.tables.points }).putPoints(
    Array.from({ length: 196 }, (_, i) => ({
      series: series.id,
      ts: T0 - 190 * MIN + i * MIN,
      value: i === 190 ? 97 : 20 + (i % 4),
    })),
  );
  const store = new DynamoAnomalyStore({ client: db.doc, tableName: db.tables.anomalies });
  await store.record([anomaly(T0), anomaly(T0 + MIN)], Date.now());
  await store.setAlertStates(
    [{ series: series.id, ts: T0, state: 'sent', alertId: `cpu_percent-above-0123456789abcdef-${T0}` }],
    Date.now(),
  );
});
afterAll(async () => {
  await s3.close();
  await db.close();
});

describe('API: feedback', () => {
  it('marks an anomaly, recording the IAM caller as who marked it', async () => {
    const r = await call('PUT', '/api/anomalies/feedback', {
      body: {
        series: series.id,
        ts: new Date(T0).toISOString(),
        label: 'false-positive',
        reason: '  deploy  ',
      },
    });
    expect(r.status).toBe(200);
    expect(r.body.anomaly).toMatchObject({
      ts: T0,
      feedback: { label: 'false-positive', reason: 'deploy', by: ALICE },
    });
    expect(r.body.state).toMatchObject({ metric: 'cpu_percent', falsePositives: 1, sensitivity: 1 });
    const unmark = await call('DELETE', '/api/anomalies/feedback', {
      query: { series: series.id, ts: String(T0) },
    });
    expect(unmark.status).toBe(200);
    expect(unmark.body.previous).toMatchObject({ label: 'false-positive' });
    expect(unmark.body.state).toMatchObject({ falsePositives: 0 });
  });

  it.each([
    ['a reason over 500 characters', 400, 'reason', { label: 'false-positive', reason: 'x'.repeat(501) }],
    ['an unknown label', 400, 'label', { label: 'maybe' }],
    ['a malformed time', 400, 'ts', { label: 'confirmed', ts: 'yesterday' }],
    ['an unknown field', 400, 'severity', { label: 'confirmed', severity: 'low' }],
    ['no anomaly at that time', 404, 'ts', { label: 'confirmed', ts: 12345 }],
    ['an unconfigured series', 404, 'series', { label: 'confirmed', series: 'AWS/EC2/Nope//Average/60' }],
  ])('refuses %s with %i naming %s', async (_, status, field, patch) => {
    const r = await call('PUT', '/api/anomalies/feedback', { body: { series: series.id, ts: T0, ...patch } });
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject({ field, error: expect.any(String) });
  });

  it('answers 401 without a token, 403 outside staff, 415 without JSON, 400 on a broken body', async () => {
    const body = { series: series.id, ts: T0, label: 'confirmed' };
    expect(await call('PUT', '/api/anomalies/feedback', { body, claims: null })).toMatchObject({
      status: 401,
      body: { field: 'authorization' },
    });
    const viewer = { ...STAFF_CLAIMS, 'cognito:groups': 'viewers' };
    expect(await call('PUT', '/api/anomalies/feedback', { body, claims: viewer })).toMatchObject({
      status: 403,
      body: { field: 'authorization' },
    });
    expect(await call('PUT', '/api/anomalies/feedback', { body, contentType: 'text/plain' })).toMatchObject({
      status: 415,
      body: { field: 'Content-Type' },
    });
    expect(await call('PUT', '/api/anomalies/feedback', { rawBody: '{"series":' })).toMatchObject({
      status: 400,
      body: { field: 'body' },
    });
  });

  it('marks an alert by id; a malformed id names alertId', async () => {
    const r = await call('PUT', `/api/alerts/cpu_percent-above-0123456789abcdef-${T0}/feedback`, {
      body: { label: 'confirmed' },
    });
    expect(r.status).toBe(200);
    expect(r.body.anomalies).toEqual([
      expect.objectContaining({ ts: T0, feedback: expect.objectContaining({ label: 'confirmed' }) }),
    ]);
    const bad = await call('DELETE', '/api/alerts/not-an-alert/feedback');
    expect(bad).toMatchObject({ status: 400, body: { field: 'alertId' } });
  });
});

describe('API: thresholds', () => {
  it('sets, lists, reverts and pages through the history', async () => {
    const set = await call('PUT', '/api/thresholds/cpu_percent', {
      body: { adjustment: 0.2, reason: 'noisy' },
    });
    expect(set).toMatchObject({
      status: 200,
      body: { from: 0, to: 0.2, rule: 'manual', actor: { kind: 'person', name: ALICE } },
    });
    const list = await call('GET', '/api/thresholds');
    expect(list.body.items).toEqual([
      expect.objectContaining({ metric: 'cpu_percent', adjustment: 0.2, sensitivity: 1.2 }),
    ]);
    expect(list.body.policy).toMatchObject({ fpCountToAdjust: 10, weeklyRun: 'SUN 03:00 UTC' });
    const one = await call('GET', '/api/thresholds/cpu_percent');
    expect(one.body.recentChanges).toEqual([expect.objectContaining({ id: set.body.id })]);

    const revert = await call('POST', `/api/threshold-changes/${String(set.body.id)}/revert`, {
      body: { reason: 'undo' },
    });
    expect(revert).toMatchObject({
      status: 201,
      body: { from: 0.2, to: 0, rule: 'revert', revertOf: set.body.id },
    });
    const again = await call('POST', `/api/threshold-changes/${String(set.body.id)}/revert`);
    expect(again).toMatchObject({ status: 409, body: { field: 'id' } });

    const page1 = await call('GET', '/api/threshold-changes', { query: { limit: '1' } });
    expect(page1.body.items).toEqual([expect.objectContaining({ rule: 'revert' })]);
    const page2 = await call('GET', '/api/threshold-changes', {
      query: { limit: '1', cursor: String(page1.body.nextCursor) },
    });
    expect(page2.body.items).toEqual([expect.objectContaining({ rule: 'manual' })]);
    expect(await call('GET', `/api/threshold-changes/${String(set.body.id)}`)).toMatchObject({ status: 200 });
  });

  it.each([
    ['PUT', '/api/thresholds/cpu_percent', 400, 'adjustment', { body: { adjustment: 0.9 } }],
    ['PUT', '/api/thresholds/nope', 404, 'metric', { body: { adjustment: 0.1 } }],
    ['PUT', '/api/thresholds/CPU', 400, 'metric', { body: { adjustment: 0.1 } }],
    ['GET', '/api/threshold-changes', 400, 'limit', { query: { limit: '0' } }],
    ['GET', '/api/threshold-changes', 400, 'cursor', { query: { cursor: 'x' } }],
    ['GET', '/api/threshold-changes/0000000000001-cpu_percent-9', 404, 'id', {}],
    ['GET', '/api/thresholds/cpu_percent/preview', 400, 'adjustment', {}],
    ['GET', '/api/thresholds/cpu_percent/preview', 400, 'adjustment', { query: { adjustment: '-0.7' } }],
    ['POST', '/api/tuning-runs', 400, 'time', { body: { time: '2999-01-01T00:00:00Z' } }],
    ['GET', '/api/nowhere', 404, 'path', {}],
    ['PATCH', '/api/thresholds', 405, 'method', {}],
  ] as const)('%s %s → %i naming %s', async (method, path, status, field, options) => {
    const r = await call(method, path, options as Parameters<typeof apiEvent>[2]);
    expect(r).toMatchObject({ status, body: { field } });
  });

  it('previews an adjustment over the stored points', async () => {
    const r = await call('GET', '/api/thresholds/cpu_percent/preview', { query: { adjustment: '0.3' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      metric: 'cpu_percent',
      days: 30,
      series: 1,
      points: 196,
      current: { adjustment: 0, sensitivity: 1 },
      proposed: { adjustment: 0.3, sensitivity: 1.3 },
    });
    expect((r.body.current as { anomalies: number }).anomalies).toBeGreaterThan(0);
  });

  it('runs the weekly tune on demand, once per week', async () => {
    const first = await call('POST', '/api/tuning-runs', { body: {} });
    expect(first.status).toBe(200);
    expect(first.body.metrics).toEqual([
      expect.objectContaining({ metric: 'cpu_percent', outcome: 'too-few-labelled' }),
    ]);
    const second = await call('POST', '/api/tuning-runs');
    expect(second.body.metrics).toEqual([expect.objectContaining({ outcome: 'already-evaluated' })]);
  });
});

describe('API: maintenance windows (moved onto the router)', () => {
  it('creates, lists and deletes; bad input names the field', async () => {
    const bad = await call('POST', '/api/maintenance-windows', {
      body: {
        id: 'w1',
        series: series.id,
        schedule: { kind: 'weekly', dayOfWeek: 7, startMinute: 0, durationMinutes: 30 },
      },
    });
    expect(bad).toMatchObject({ status: 400, body: { field: 'schedule.dayOfWeek' } });
    const window = {
      id: 'w1',
      series: series.id,
      schedule: { kind: 'weekly', dayOfWeek: 0, startMinute: 120, durationMinutes: 60 },
    };
    expect(await call('POST', '/api/maintenance-windows', { body: window })).toMatchObject({
      status: 201,
      body: window,
    });
    expect((await call('GET', '/api/maintenance-windows')).body.items).toEqual([window]);
    expect(await call('DELETE', '/api/maintenance-windows/w1')).toMatchObject({ status: 204 });
    expect(await call('DELETE', '/api/maintenance-windows/w1')).toMatchObject({
      status: 404,
      body: { field: 'id' },
    });
  });
});

describe('API: health', () => {
  it("serves each tile's sparkline with the band its detect shard kept in S3", async () => {
    // Prepare: the object detect's shard writes (the whole fleet is one shard here)
    const now = Date.now();
    const kept = [now - 2 * MIN, now - MIN].map((ts) => ({ ts, low: 10, high: 30 }));
    await new S3RecentBandStore({ client: s3.client, bucket: s3.bucket }).save(WHOLE_FLEET, {
      at: now,
      series: { [series.id]: kept },
    });

    // Act
    const r = await call('GET', '/api/health');

    // Assess
    expect(r.status).toBe(200);
    const tile = (r.body as unknown as HealthResponse).series.find((s) => s.id === series.id)!;
    expect(tile.sparklineBand).toEqual(kept);
  });
});

describe('API: CORS', () => {
  it('lets only the dashboard origin read answers, errors included', async () => {
    for (const claims of [STAFF_CLAIMS, null]) {
      const r = await api.handler(apiEvent('GET', '/api/thresholds', { claims }), fakeContext('api'));
      expect(r.headers).toMatchObject({ 'Access-Control-Allow-Origin': ORIGIN, Vary: 'Origin' });
    }
  });
});

describe('API: routing behind a custom domain base path', () => {
  it('falls back to the resource template and path parameters when the path carries a prefix', async () => {
    const event = {
      ...apiEvent('GET', '/monitor/api/thresholds/cpu_percent'),
      resource: '/api/thresholds/{metric}',
      pathParameters: { metric: 'cpu_percent' },
    };
    const r = parsed(await api.handler(event, fakeContext('api')));
    expect(r).toMatchObject({ status: 200, body: { metric: 'cpu_percent' } });
    const unknown = parsed(await api.handler({ ...event, resource: '/other' }, fakeContext('api')));
    expect(unknown).toMatchObject({ status: 404, body: { field: 'path' } });
    const malformed = parsed(await api.handler({ httpMethod: 'GET' }, fakeContext('api')));
    expect(malformed).toMatchObject({ status: 400, body: { field: 'path' } });
  });
});
