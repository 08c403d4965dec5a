// The staff dashboard's API end to end on loopback, as the SPA calls it locally: a real cognito-local
// (started here) issues the tokens, the local server verifies them with jose against its JWKS and hands
// the claims to the router, which requires the staff group; the data lives in dynalite. Every route:
// 200 shapes, 400 naming the field, 401 without a (valid) token, 403 without the staff group; the
// sign-in proxy and /config.json.
import { API_ROUTES, createApiRouter } from '../../functions/api-routes';
import { cognitoClaims } from '../../functions/auth';
import { startHttpServer } from '../../infra/local/http-server';
import { DynamoAlertStore } from '../../shared/adapters/dynamodb-alert-store';
import { DynamoAnomalyStore } from '../../shared/adapters/dynamodb-anomaly-store';
import { DynamoDriftStore } from '../../shared/adapters/dynamodb-drift-store';
import { DynamoFeedbackStore } from '../../shared/adapters/dynamodb-feedback-store';
import { DynamoMetricStore } from '../../shared/adapters/dynamodb-metric-store';
import { DynamoPredictionStore } from '../../shared/adapters/dynamodb-prediction-store';
import { DynamoThresholdStore } from '../../shared/adapters/dynamodb-threshold-store';
import { createIdTokenVerifier } from '../../shared/adapters/jwt-verifier';
import { MemoryAnomalyStore } from '../../shared/adapters/memory-stores';
import { type AlertState, dedupKey } from '../../shared/domain/alerting';
import type { Anomaly } from '../../shared/domain/anomaly';
import { estimateMonthlyCost, PRICES_CHECKED } from '../../shared/domain/cost-model';
import type { DriftRun } from '../../shared/domain/drift-report';
import { predictionKey } from '../../shared/domain/prediction-set';
import { cycleTimeoutSeconds, planDetect } from '../../shared/domain/series-cost';
import { alertLevelOf, type Severity } from '../../shared/domain/types';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';
import { startTestCognito, type TestCognito } from '../helpers/cognito';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';

jest.setTimeout(60_000);

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
// 01:00 UTC today: the default 24 h window spans two day partitions of the anomalies table.
const T0 = Math.floor(Date.now() / DAY) * DAY + HOUR;
const XSS = '<img src=x onerror=alert(1)>';

const config = parseMonitorConfig({
  series: [
    {
      metric: 'cpu_percent',
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensions: { InstanceId: 'i-1' },
      label: 'web-1',
      unit: '%',
    },
    {
      metric: 'cpu_percent',
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensions: { InstanceId: 'i-2' },
      label: 'web-2',
      unit: '%',
    },
    {
      metric: 'memory_percent',
      namespace: 'CWAgent',
      metricName: 'mem_used_percent',
      dimensions: { InstanceId: 'i-1' },
      label: XSS,
    },
  ],
  drift: { predictions: { models: ['m2'] } },
});
const [s1, s2, s3] = expandSeries(config) as [
  ReturnType<typeof expandSeries>[0],
  ReturnType<typeof expandSeries>[0],
  ReturnType<typeof expandSeries>[0],
];

function anomaly(spec: typeof s1, ts: number, severity: Severity, methods: string[], value = 90): Anomaly {
  return {
    series: spec.id,
    metric: spec.metric,
    label: spec.label,
    ts,
    value,
    expectedLow: 10,
    expectedHigh: 30,
    baseline: 20,
    deviation: 7,
    score: 0.8,
    model: 'daily',
    methods,
    findings: [],
    severity,
    level: alertLevelOf(severity),
    explanation: `${spec.label} = ${value}`,
    sensitivity: 1,
    ...(spec.unit ? { unit: spec.unit } : {}),
  };
}

// The anomalies and where alerting put them (newest first in the timeline).
const A = {
  spike: anomaly(s1, T0 - 3 * HOUR, 'critical', ['spike', 'zscore'], 500),
  grouped: anomaly(s3, T0 - 3 * HOUR + MIN, 'high', ['zscore']),
  folded: anomaly(s1, T0 - 2 * HOUR, 'medium', ['level_shift']),
  info: anomaly(s2, T0 - 90 * MIN, 'low', ['zscore']),
  pending: anomaly(s3, T0 - 2 * MIN, 'medium', ['zscore']),
  limited: anomaly(s1, T0 - 20 * HOUR, 'high', ['spike']),
  old: anomaly(s2, T0 - 30 * HOUR, 'critical', ['spike']),
};
const ALERT_1 = `${dedupKey(A.spike)}-${A.spike.ts}`;
const ALERT_OLD = `${dedupKey(A.old)}-${A.old.ts}`;
const STATES: [Anomaly, AlertState, Record<string, string>][] = [
  [A.spike, 'sent', { alertId: ALERT_1 }],
  [A.grouped, 'grouped', { alertId: ALERT_1 }],
  [A.folded, 'deduplicated', { reason: ALERT_1 }],
  [A.info, 'below-severity', {}],
  [A.limited, 'rate-limited', { reason: 'retry in 90 s' }],
  [A.old, 'sent', { alertId: ALERT_OLD }],
];

let db: TestDynamo;
let cognito: TestCognito;
let server: Awaited<ReturnType<typeof startHttpServer>>;
const tokens: Record<'staff' | 'viewer', { IdToken: string; AccessToken: string; RefreshToken: string }> =
  {} as never;

async function seed(): Promise<void> {
  const store = new DynamoMetricStore({ client: db.doc, tableName: db.tables.points });
  const points = [];
  for (let ts = T0 - DAY; ts <= T0; ts += MIN) {
    points.push({ series: s1.id, ts, value: ts === A.spike.ts ? 500 : 20 + ((ts / MIN) % 5) });
    points.push({ series: s3.id, ts, value: 60 });
    // web-2 stopped reporting 10 minutes ago.
    if (ts <= T0 - 10 * MIN) points.push({ series: s2.id, ts, value: 5 });
  }
  expect((await store.putPoints(points)).failed).toEqual([]);
  const anomalies = new DynamoAnomalyStore({ client: db.doc, tableName: db.tables.anomalies });
  await anomalies.record(Object.values(A), T0);
  await anomalies.setAlertStates(
    STATES.map(([a, state, extra]) => ({ series: a.series, ts: a.ts, state, ...extra })),
    T0,
  );
  await new DynamoAlertStore({ client: db.doc, tableName: db.tables.control }).putOpen({
    dedupKey: dedupKey(A.spike),
    alertId: ALERT_1,
    series: s1.id,
    label: s1.label,
    metric: s1.metric,
    openedAt: A.spike.ts,
    lastSeenAt: A.folded.ts,
    level: 'CRITICAL',
  });
  // m1: 10 predictions an hour for 7 days, every other one with an outcome; a re-sent duplicate.
  const predictions = [];
  for (let i = 0; i < 7 * 24 * 10; i++) {
    const ts = T0 - 7 * DAY + i * 6 * MIN + 1;
    predictions.push({
      model: 'm1',
      ts,
      score: i % 3 === 0 ? 0.9 : 0.1,
      key: predictionKey('m1', `p${i}`, `e${i}`),
      ...(i % 2 === 0 ? { outcome: i % 4 === 0 } : {}),
    });
  }
  predictions.push({ ...predictions[predictions.length - 1]! });
  await new DynamoPredictionStore({ client: db.doc, tableName: db.tables.predictions }).append(
    predictions,
    T0,
  );
  const run: DriftRun = {
    runAt: T0 - HOUR,
    correction: 'benjamini-hochberg',
    alpha: 0.01,
    modelsTested: 1,
    mails: [],
    checks: [
      {
        kind: 'prediction',
        subject: 'model:m1',
        model: 'm1',
        status: 'drift',
        reason: 'shifted',
        recent: { from: T0 - 8 * DAY, to: T0 - HOUR, n: 1200 },
        baseline: { from: T0 - 38 * DAY, to: T0 - 8 * DAY, n: 5000, pinned: false },
        duplicates: 0,
        ks: { statistic: 0.31, pValue: 1e-40, adjustedPValue: 2e-40, method: 'asymptotic' },
        quantiles: [
          { q: 0.5, before: 0.3, after: 0.55, shift: 0.25 },
          { q: 0.9, before: 0.6, after: 0.8, shift: 0.2 },
        ],
        performance: [
          {
            window: '24h',
            from: T0 - DAY - HOUR,
            to: T0 - HOUR,
            labelled: 100,
            kind: 'binary',
            accuracy: 0.8,
          },
        ],
      },
      {
        kind: 'infra',
        subject: 'infra:infra',
        model: 'infra',
        status: 'ok',
        reason: 'within bounds',
        factor: 2,
        rate: 0.015,
        expectedRate: 0.01,
      },
    ],
  };
  await new DynamoDriftStore({ client: db.doc, tableName: db.tables.control }).recordRun(run);
}

beforeAll(async () => {
  [db, cognito] = await Promise.all([startDynalite(), startTestCognito()]);
  await seed();
  const quiet = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };
  const clock = { now: () => T0 };
  const alerts = new DynamoAlertStore({ client: db.doc, tableName: db.tables.control });
  const store = new DynamoMetricStore({ client: db.doc, tableName: db.tables.points });
  server = await startHttpServer(0, {
    series: expandSeries(config),
    store,
    anomalies: new MemoryAnomalyStore(),
    clock,
    alerts,
    publisher: { list: () => [] },
    auth: {
      mode: 'password',
      verify: createIdTokenVerifier({ issuer: cognito.issuer, audience: cognito.clientId }),
      cognito: { url: cognito.url, clientId: cognito.clientId, userPoolId: cognito.userPoolId },
    },
    api: createApiRouter({
      config,
      series: expandSeries(config),
      store,
      feedback: new DynamoFeedbackStore({ client: db.doc, tableName: db.tables.anomalies }),
      thresholds: new DynamoThresholdStore({ client: db.doc, tableName: db.tables.control }),
      alerts,
      timeline: new DynamoAnomalyStore({ client: db.doc, tableName: db.tables.anomalies }),
      predictions: new DynamoPredictionStore({ client: db.doc, tableName: db.tables.predictions }),
      drift: new DynamoDriftStore({ client: db.doc, tableName: db.tables.control }),
      clock,
      log: quiet,
      authenticate: cognitoClaims({ clientId: cognito.clientId }),
    }),
  });
  tokens.staff = await signIn(cognito.users.staff.username, cognito.users.staff.password);
  tokens.viewer = await signIn(cognito.users.nonStaff.username, cognito.users.nonStaff.password);
});

afterAll(async () => {
  await server?.close();
  await cognito?.close();
  await db?.close();
});

/** Sign in as the SPA does: through the local server's /local/cognito. */
async function signIn(username: string, password: string) {
  const res = await cognitoProxy('InitiateAuth', {
    AuthFlow: 'USER_PASSWORD_AUTH',
    ClientId: cognito.clientId,
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { AuthenticationResult: (typeof tokens)['staff'] }).AuthenticationResult;
}

function cognitoProxy(action: string, body: unknown, init: RequestInit = {}) {
  return fetch(new URL('/local/cognito', server.url), {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': `AWSCognitoIdentityProviderService.${action}`,
    },
    body: JSON.stringify(body),
    ...init,
  });
}

async function get(
  path: string,
  query: Record<string, string> = {},
  token: string | null = tokens.staff.IdToken,
): Promise<{ status: number; body: Record<string, unknown> & { items?: unknown[] } }> {
  const url = new URL(path, server.url);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const res = await fetch(url, token === null ? {} : { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const enc = encodeURIComponent;

describe('sign-in through the local server', () => {
  it('serves /config.json in password mode with the pool and client', async () => {
    const res = await fetch(new URL('/config.json', server.url));
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({
      apiBaseUrl: '',
      refreshSeconds: 60,
      auth: {
        mode: 'password',
        endpoint: '/local/cognito',
        clientId: cognito.clientId,
        userPoolId: cognito.userPoolId,
      },
    });
  });

  it('signs in and refreshes, with ExpiresIn and TokenType as Cognito sends them', async () => {
    const res = await cognitoProxy('InitiateAuth', {
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: cognito.clientId,
      AuthParameters: { USERNAME: 'staff', PASSWORD: cognito.users.staff.password },
    });
    expect(res.headers.get('content-type')).toContain('application/x-amz-json-1.1');
    const { AuthenticationResult: r } = (await res.json()) as {
      AuthenticationResult: Record<string, unknown>;
    };
    expect(r).toMatchObject({
      TokenType: 'Bearer',
      IdToken: expect.any(String),
      RefreshToken: expect.any(String),
    });
    expect(r.ExpiresIn).toBeGreaterThan(3500);
    expect(r.ExpiresIn).toBeLessThanOrEqual(3600);
    const refreshed = await cognitoProxy('InitiateAuth', {
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      ClientId: cognito.clientId,
      AuthParameters: { REFRESH_TOKEN: r.RefreshToken },
    });
    expect(refreshed.status).toBe(200);
    const again = (await refreshed.json()) as { AuthenticationResult: { IdToken: string } };
    expect((await get('/api/health', {}, again.AuthenticationResult.IdToken)).status).toBe(200);
  });

  it('passes Cognito errors through as 400 with their __type (cognito-local: InvalidPasswordException)', async () => {
    const res = await cognitoProxy('InitiateAuth', {
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: cognito.clientId,
      AuthParameters: { USERNAME: 'staff', PASSWORD: 'Wrong-password-1' },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      __type: expect.stringMatching(/^(NotAuthorized|InvalidPassword)Exception$/),
    });
  });

  it('forwards nothing but sign-in calls for the dashboard client (admin actions stay unreachable)', async () => {
    const admin = await cognitoProxy('AdminAddUserToGroup', {
      UserPoolId: cognito.userPoolId,
      Username: 'viewer',
      GroupName: 'staff',
      ClientId: cognito.clientId,
    });
    expect(admin.status).toBe(400);
    expect(await admin.json()).toMatchObject({ __type: 'UnsupportedOperation' });
    const groups = (await cognito.call('AdminListGroupsForUser', {
      UserPoolId: cognito.userPoolId,
      Username: 'viewer',
    })) as { Groups: unknown[] };
    expect(groups.Groups).toEqual([]);
    const otherClient = await cognitoProxy('InitiateAuth', {
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: 'nope',
    });
    expect(otherClient.status).toBe(400);
    expect((await cognitoProxy('InitiateAuth', {}, { method: 'GET', body: null })).status).toBe(405);
    const text = await cognitoProxy(
      'InitiateAuth',
      {},
      {
        headers: {
          'Content-Type': 'text/plain',
          'X-Amz-Target': 'AWSCognitoIdentityProviderService.InitiateAuth',
        },
      },
    );
    expect(text.status).toBe(415);
  });
});

describe('authentication on every route', () => {
  const routes = Object.values(API_ROUTES).map((r) => ({
    method: r.method,
    path: r.path
      .replace('{id}', r.path.startsWith('/api/series') ? enc(s1.id) : '0000000000001-cpu_percent-1')
      .replace('{metric}', 'cpu_percent')
      .replace('{alertId}', ALERT_1),
  }));

  it.each(routes)('$method $path: 401 without a token, 403 for a signed-in non-staff user', async (r) => {
    const call = (headers: Record<string, string>) =>
      fetch(new URL(r.path, server.url), {
        method: r.method,
        headers: { 'Content-Type': 'application/json', ...headers },
        ...(r.method === 'GET' || r.method === 'DELETE' ? {} : { body: '{}' }),
      });
    const anonymous = await call({});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect(await anonymous.json()).toEqual({ error: expect.any(String), field: 'authorization' });
    const viewer = await call({ Authorization: `Bearer ${tokens.viewer.IdToken}` });
    expect(viewer.status).toBe(403);
    expect(await viewer.json()).toEqual({
      error: 'Your account is not in the staff group',
      field: 'authorization',
    });
  });

  it("refuses an access token, a tampered token, a malformed header and another client's token (401)", async () => {
    expect((await get('/api/health', {}, tokens.staff.AccessToken)).status).toBe(401);
    const [h, p, sig] = tokens.staff.IdToken.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...payload, 'cognito:groups': ['staff', 'admin'] })).toString(
      'base64url',
    );
    expect((await get('/api/health', {}, `${h}.${forged}.${sig}`)).body).toEqual({
      error: 'The token could not be verified',
      field: 'authorization',
    });
    const res = await fetch(new URL('/api/health', server.url), { headers: { Authorization: 'Basic abc' } });
    expect(res.status).toBe(401);
    const other = (await cognito.call('CreateUserPoolClient', {
      UserPoolId: cognito.userPoolId,
      ClientName: 'not-the-dashboard',
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH'],
    })) as { UserPoolClient: { ClientId: string } };
    const foreign = await cognito.signIn(
      'staff',
      cognito.users.staff.password,
      other.UserPoolClient.ClientId,
    );
    expect(await get('/api/health', {}, foreign.IdToken)).toEqual({
      status: 401,
      body: { error: "The token's aud claim is not accepted", field: 'authorization' },
    });
  });
});

describe('GET /api/health', () => {
  it('gives every series its latest value, state, last anomaly and a sparkline of at most 60 points', async () => {
    const r = await get('/api/health');
    expect(r.status).toBe(200);
    expect(r.body.generatedAt).toBe(T0);
    const series = r.body.series as Record<string, unknown>[];
    expect(series.map((s) => s.id)).toEqual([s1.id, s2.id, s3.id]);
    expect(series[0]).toEqual({
      id: s1.id,
      label: 'cpu_percent web-1',
      metric: 'cpu_percent',
      unit: '%',
      tags: s1.tags,
      latest: { ts: T0, value: 20 + ((T0 / MIN) % 5) },
      state: 'ok',
      // Its points go back further than the detector's warm-up: not learning.
      learningUntil: null,
      lastAnomaly: {
        ts: A.folded.ts,
        severity: 'medium',
        level: 'WARNING',
        explanation: A.folded.explanation,
      },
      sparkline: expect.any(Array),
      // No detect shard kept a band in this stack (test/integration/recent-band.test.ts draws one).
      sparklineBand: [],
    });
    // Silent for 10 minutes: its latest value is shown, its state is no-data.
    expect(series[1]).toMatchObject({
      state: 'no-data',
      latest: { ts: T0 - 10 * MIN, value: 5 },
      lastAnomaly: { ts: A.info.ts },
    });
    expect(series[2]).toMatchObject({
      label: `memory_percent ${XSS}`,
      state: 'anomalous',
      lastAnomaly: { ts: A.pending.ts, level: 'WARNING' },
    });
    expect(series[2]).not.toHaveProperty('unit');
    const raw = await fetch(new URL('/api/health', server.url), {
      headers: { Authorization: `Bearer ${tokens.staff.IdToken}`, 'Accept-Encoding': 'gzip' },
    });
    expect(raw.headers.get('content-encoding')).toBe('gzip');
    const spark = series[0]?.sparkline as { ts: number; value: number }[];
    expect(spark.length).toBeGreaterThan(50);
    expect(spark.length).toBeLessThanOrEqual(60);
    expect(spark.every((p, i) => i === 0 || p.ts > (spark[i - 1] as { ts: number }).ts)).toBe(true);
  });
});

describe('GET /api/series/{id}/points', () => {
  it('downsamples the last 24 h to maxPoints min/max/mean buckets, keeping the spike in max', async () => {
    const r = await get(`/api/series/${enc(s1.id)}/points`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: s1.id,
      label: 'cpu_percent web-1',
      unit: '%',
      from: T0 - DAY,
      to: T0,
    });
    expect(r.body.downsampled).toBe(true);
    const points = r.body.points as { ts: number; value: number; min: number; max: number }[];
    expect(points.length).toBeLessThanOrEqual(500);
    expect(points.length).toBeGreaterThan(450);
    for (const p of points) expect(p.min <= p.value && p.value <= p.max).toBe(true);
    expect(Math.max(...points.map((p) => p.max))).toBe(500);
    expect(Math.max(...points.map((p) => p.value))).toBeLessThan(500);
  });

  it('returns the raw points when they fit, for a given range (epoch ms or ISO)', async () => {
    const r = await get(`/api/series/${enc(s1.id)}/points`, {
      from: new Date(T0 - HOUR).toISOString(),
      to: String(T0),
      maxPoints: '5000',
    });
    expect(r.body.downsampled).toBe(false);
    const points = r.body.points as { ts: number; value: number }[];
    expect(points).toHaveLength(61);
    expect(points[0]).toEqual({ ts: T0 - HOUR, value: 20 + (((T0 - HOUR) / MIN) % 5) });
  });

  it.each([
    [{ maxPoints: '0' }, 'maxPoints'],
    [{ maxPoints: '5001' }, 'maxPoints'],
    [{ from: 'yesterday' }, 'from'],
    [{ from: String(T0), to: String(T0 - 1) }, 'to'],
    // Bounded by point count: 100000 one-minute periods is 69.4 days.
    [{ from: String(T0 - 70 * DAY) }, 'from'],
  ])('400 for %j naming %s', async (query, field) => {
    const r = await get(`/api/series/${enc(s1.id)}/points`, query as Record<string, string>);
    expect(r).toMatchObject({ status: 400, body: { field, error: expect.any(String) } });
  });

  it('404 naming id for a series that is not configured', async () => {
    expect(await get(`/api/series/${enc('AWS/EC2/Nope//Average/60')}/points`)).toMatchObject({
      status: 404,
      body: { field: 'id' },
    });
  });
});

describe('GET /api/anomalies', () => {
  const inRange = [A.pending, A.info, A.folded, A.grouped, A.spike, A.limited];

  it('lists the last 24 h newest first, across day partitions, with alert state, alert and feedback', async () => {
    const r = await get('/api/anomalies');
    expect(r.status).toBe(200);
    const items = r.body.items as Record<string, unknown>[];
    expect(items.map((i) => i.ts)).toEqual(inRange.map((a) => a.ts));
    expect(r.body).not.toHaveProperty('nextCursor');
    expect(items[4]).toEqual({
      series: s1.id,
      label: 'cpu_percent web-1',
      metric: 'cpu_percent',
      unit: '%',
      ts: A.spike.ts,
      value: 500,
      expectedLow: 10,
      expectedHigh: 30,
      baseline: 20,
      deviation: 7,
      score: 0.8,
      severity: 'critical',
      level: 'CRITICAL',
      methods: ['spike', 'zscore'],
      explanation: A.spike.explanation,
      model: 'daily',
      alertState: 'sent',
      alertId: ALERT_1,
    });
    // Folded into the open alert: its id is the alert's; a pending one has none.
    expect(items[2]).toMatchObject({ alertState: 'deduplicated', alertId: ALERT_1 });
    expect(items[0]).toMatchObject({ alertState: 'pending', label: `memory_percent ${XSS}` });
    expect(items[0]).not.toHaveProperty('alertId');
  });

  it('pages with limit and nextCursor, without repeating or skipping', async () => {
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await get('/api/anomalies', { limit: '2', ...(cursor ? { cursor } : {}) });
      seen.push(...(r.body.items as { ts: number }[]).map((i) => i.ts));
      cursor = r.body.nextCursor as string | undefined;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(inRange.map((a) => a.ts));
  });

  it('filters by minimum severity, series and method, over a given range', async () => {
    const ts = async (query: Record<string, string>) =>
      ((await get('/api/anomalies', query)).body.items as { ts: number }[]).map((i) => i.ts);
    expect(await ts({ severity: 'high' })).toEqual([A.grouped.ts, A.spike.ts, A.limited.ts]);
    expect(await ts({ series: s1.id })).toEqual([A.folded.ts, A.spike.ts, A.limited.ts]);
    expect(await ts({ method: 'spike' })).toEqual([A.spike.ts, A.limited.ts]);
    expect(await ts({ method: 'spike', severity: 'critical', limit: '1' })).toEqual([A.spike.ts]);
    expect(await ts({ from: String(T0 - 2 * DAY), severity: 'critical' })).toEqual([A.spike.ts, A.old.ts]);
  });

  it.each([
    [{ severity: 'huge' }, 'severity'],
    [{ limit: '501' }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ cursor: 'not-a-cursor' }, 'cursor'],
    [{ method: 'Z-score!' }, 'method'],
    [{ to: '2026-13-01' }, 'to'],
    [{ from: String(T0 - 401 * DAY) }, 'from'],
  ])('400 for %j naming %s', async (query, field) => {
    expect(await get('/api/anomalies', query as Record<string, string>)).toMatchObject({
      status: 400,
      body: { field, error: expect.any(String) },
    });
  });
});

/**
 * The cost estimate GET /api/alerts should answer: the configured fleet at the plan the stack deploys
 * (planDetect with a 5-minute cycle's detect timeout), priced by estimateMonthlyCost.
 */
function expectedCost() {
  const series = expandSeries(config);
  const every = config.schedules.collectEveryMinutes;
  const plan = planDetect(series, config.alerts.groupBy, cycleTimeoutSeconds(every).detect);
  const e = estimateMonthlyCost({
    series: series.length,
    shards: plan.count,
    memoryMb: plan.memoryMb,
    collectEveryMinutes: every,
    checkpointEveryMinutes: config.detection.checkpointEveryMinutes,
    retentionDays: config.retentionDays,
  });
  return {
    perSeriesUsd: e.perSeriesUsd,
    fleetUsd: e.fleetUsd,
    series: series.length,
    shards: plan.count,
    memoryMb: plan.memoryMb,
    collectEveryMinutes: every,
    pricesChecked: PRICES_CHECKED,
    basis: e.basis,
  };
}

/** An alert-quality row over one day without labels or suppressions, costing `series` configured series. */
function quality(
  metric: string | null,
  n: { pages: number; anomalies: number; inPages: number; rateLimited: number },
  series: number,
) {
  const cost = expectedCost();
  return {
    metric,
    estimatedMonthlyUsd: metric === null ? cost.fleetUsd : series * cost.perSeriesUsd,
    ...n,
    pagesPerWeek: n.pages * 7,
    anomaliesPerPage: n.inPages / n.pages,
    falsePositives: 0,
    confirmed: 0,
    precision: null,
    suppressed: 0,
    // No RESOLVED notice in these stores: the median is unknown, not zero.
    resolved: 0,
    medianMinutesToResolved: null,
  };
}

describe('GET /api/alerts', () => {
  it('counts the funnel and the conversion rate, and lists the alerts with their state', async () => {
    const r = await get('/api/alerts');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      from: T0 - DAY,
      to: T0,
      summary: {
        anomalies: 6,
        sent: 1,
        grouped: 1,
        deduplicated: 1,
        rateLimited: 1,
        suppressed: 0,
        belowSeverity: 1,
        pending: 1,
        failed: 0,
        // (sent + grouped) / anomalies at WARNING or above (5: all but the INFO one).
        conversionRate: 2 / 5,
      },
      // One page (ALERT_1) in a day: 7 a week. It carried 3 anomalies (sent, grouped, deduplicated) of
      // two metrics; nothing is labelled yet, so precision is unknown.
      quality: [
        quality(null, { pages: 1, anomalies: 6, inPages: 3, rateLimited: 1 }, 3),
        quality('cpu_percent', { pages: 1, anomalies: 4, inPages: 2, rateLimited: 1 }, 2),
        quality('memory_percent', { pages: 1, anomalies: 2, inPages: 1, rateLimited: 0 }, 1),
      ],
      cost: expectedCost(),
      alerts: [
        {
          alertId: ALERT_1,
          ts: A.spike.ts,
          level: 'CRITICAL',
          series: [s1.id, s3.id],
          labels: ['cpu_percent web-1', `memory_percent ${XSS}`],
          anomalies: 3,
          state: 'open',
          resolvedAt: null,
          // Nothing labelled yet: the dashboard offers no "Undo".
          marked: 0,
        },
      ],
    });
  });

  it('takes a range; an alert outside the open set is resolved', async () => {
    const r = await get('/api/alerts', { from: String(T0 - 2 * DAY), to: String(T0 - DAY) });
    expect(r.body.summary).toMatchObject({ anomalies: 1, sent: 1, conversionRate: 1 });
    expect(r.body.alerts).toEqual([
      expect.objectContaining({ alertId: ALERT_OLD, state: 'resolved', series: [s2.id], anomalies: 1 }),
    ]);
  });

  it('400 naming the field for a bad range', async () => {
    expect(await get('/api/alerts', { from: String(T0), to: String(T0) })).toMatchObject({
      status: 400,
      body: { field: 'to' },
    });
  });
});

describe('GET /api/models', () => {
  it('gives volume and accuracy per model (duplicates dropped), the latest drift and the infra check', async () => {
    const r = await get('/api/models');
    expect(r.status).toBe(200);
    // m1: one prediction every 6 minutes → 240 in 24 h, 1680 in 7 d; outcome on every other one,
    // positive on every fourth; score 0.9 on every third. Correct = (score >= 0.5) === outcome.
    const accuracy = (fromIndex: number) => {
      let n = 0;
      let ok = 0;
      for (let i = fromIndex; i < 1680; i++) {
        if (i % 2 !== 0) continue;
        n++;
        if ((i % 3 === 0) === (i % 4 === 0)) ok++;
      }
      return ok / n;
    };
    expect(r.body).toEqual({
      models: [
        {
          model: 'm1',
          predictions24h: 240,
          predictions7d: 1680,
          accuracy24h: accuracy(1440),
          accuracy7d: accuracy(0),
          drift: {
            status: 'drift',
            reason: 'shifted',
            statistic: 0.31,
            pValue: 1e-40,
            adjustedPValue: 2e-40,
            nBaseline: 5000,
            nRecent: 1200,
            baselineWindow: [T0 - 38 * DAY, T0 - 8 * DAY],
            recentWindow: [T0 - 8 * DAY, T0 - HOUR],
            checkedAt: T0 - HOUR,
          },
          // The run's score quantiles (the CDF overlay) and one history point with its 24 h accuracy.
          quantiles: [
            { q: 0.5, before: 0.3, after: 0.55 },
            { q: 0.9, before: 0.6, after: 0.8 },
          ],
          history: [{ at: T0 - HOUR, status: 'drift', statistic: 0.31, accuracy24h: 0.8 }],
        },
        // Configured, never seen: no volume, no accuracy, never checked.
        {
          model: 'm2',
          predictions24h: 0,
          predictions7d: 0,
          accuracy24h: null,
          accuracy7d: null,
          drift: null,
          quantiles: [],
          history: [],
        },
      ],
      infraHistory: [{ at: T0 - HOUR, rate: 0.015, expectedRate: 0.01 }],
      infra: {
        status: 'ok',
        reason: 'within bounds',
        anomalyRate: 0.015,
        expectedRate: 0.01,
        ratio: 1.5,
        checkedAt: T0 - HOUR,
      },
      lastRun: T0 - HOUR,
    });
  });
});

describe('feedback from the dashboard', () => {
  it("records the token's e-mail as who marked it, and the timeline shows the mark", async () => {
    const res = await fetch(new URL('/api/anomalies/feedback', server.url), {
      method: 'PUT',
      headers: { Authorization: `Bearer ${tokens.staff.IdToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ series: s1.id, ts: A.spike.ts, label: 'false-positive', reason: 'load test' }),
    });
    expect(res.status).toBe(200);
    const feedback = {
      label: 'false-positive',
      reason: 'load test',
      by: 'staff@drift-sentinel.local',
      at: T0,
    };
    expect(await res.json()).toMatchObject({ anomaly: { feedback }, state: { falsePositives: 1 } });
    const items = (await get('/api/anomalies', { series: s1.id, severity: 'critical' })).body.items;
    expect(items).toEqual([expect.objectContaining({ ts: A.spike.ts, feedback })]);
  });
});
