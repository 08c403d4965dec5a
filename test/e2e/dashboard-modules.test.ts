// The dashboard's pure modules and its build, without a browser: config parsing, routing, formatting,
// the API client's auth handling, the password sign-in against a fake Cognito, chart and sparkline maths,
// the maintenance-window form, and what the build writes. (These are unit tests; they sit with the
// dashboard's browser tests because test/unit belongs to the API branch in the issue #7 contract.)
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildDashboard, formatSizes } from '../../dashboard/build';
import {
  ApiClient,
  ApiError,
  FORBIDDEN_MESSAGE,
  ForbiddenError,
  SignInRequiredError,
} from '../../dashboard/src/api';
import { AuthError, jwtClaims, type KeyValueStore, PasswordAuth, sessionOf } from '../../dashboard/src/auth';
import { logoutUrl } from '../../dashboard/src/auth-hosted';
import { chartColumns, markerGroupOf, newestAnomalySeries } from '../../dashboard/src/chart-data';
import { ConfigError, parseConfig } from '../../dashboard/src/config';
import {
  adjustment,
  ago,
  count,
  expectedRange,
  minutes,
  num,
  pct,
  pValue,
  time,
  utcClock,
  withUnit,
  words,
} from '../../dashboard/src/format';
import { hrefFor, parseHash } from '../../dashboard/src/router';
import { sparkGeometry, sparkPoints } from '../../dashboard/src/sparkline';
import { parseTags, type WindowFormValues, windowFromForm } from '../../dashboard/src/window-form';
import type { AnomalyItem, HealthSeries } from '../../shared/api/types';

const ROOT = resolve(__dirname, '../..');

// ---- helpers ----

type Call = { url: string; init: RequestInit | undefined };

function fakeFetch(answers: (call: Call, n: number) => Response) {
  const calls: Call[] = [];
  const fn = async (url: string, init?: RequestInit): Promise<Response> => {
    const call = { url, init };
    calls.push(call);
    return answers(call, calls.length);
  };
  return { fn, calls };
}

const jsonResponse = (status: number, body: unknown): Response =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });

const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims: Record<string, unknown>): string => `${b64url({ alg: 'RS256' })}.${b64url(claims)}.sig`;

function memoryStore(): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

const anomaly = (over: Partial<AnomalyItem>): AnomalyItem => ({
  series: 's/1',
  label: 'web-1 CPU',
  metric: 'cpu_percent',
  ts: 0,
  value: 90,
  expectedLow: 10,
  expectedHigh: 50,
  baseline: 30,
  deviation: 6,
  score: 0.9,
  severity: 'high',
  level: 'CRITICAL',
  methods: ['zscore'],
  explanation: 'x',
  alertState: 'sent',
  ...over,
});

// ---- config ----

describe('parseConfig', () => {
  it('accepts each auth mode and applies the defaults', () => {
    // Prepare / Act
    const none = parseConfig({ auth: { mode: 'none' } });
    const password = parseConfig({
      apiBaseUrl: '',
      refreshSeconds: 30,
      auth: { mode: 'password', endpoint: '/local/cognito', clientId: 'c', userPoolId: 'local_1' },
    });
    const hosted = parseConfig({
      apiBaseUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/v1/',
      auth: {
        mode: 'hosted-ui',
        authority: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X',
        clientId: 'c',
        domain: 'https://ds.auth.eu-west-1.amazoncognito.com/',
        redirectUri: 'https://d.example.com/',
        logoutUri: 'https://d.example.com/',
      },
    });

    // Assess
    expect(none).toEqual({ apiBaseUrl: '', refreshSeconds: 60, auth: { mode: 'none' } });
    expect(password.refreshSeconds).toBe(30);
    expect(password.auth).toMatchObject({ mode: 'password', endpoint: '/local/cognito' });
    expect(hosted.apiBaseUrl).toBe('https://abc.execute-api.eu-west-1.amazonaws.com/v1');
    expect(hosted.auth).toMatchObject({ domain: 'https://ds.auth.eu-west-1.amazoncognito.com' });
  });

  it.each([
    [null, '(root)'],
    [{ auth: { mode: 'magic' } }, 'auth.mode'],
    [{ auth: 'none' }, 'auth'],
    [{ refreshSeconds: -1, auth: { mode: 'none' } }, 'refreshSeconds'],
    [{ apiBaseUrl: 'javascript:alert(1)', auth: { mode: 'none' } }, 'apiBaseUrl'],
    [{ auth: { mode: 'password', endpoint: '/x', userPoolId: 'p' } }, 'auth.clientId'],
    [
      {
        auth: {
          mode: 'hosted-ui',
          authority: 'not a url',
          clientId: 'c',
          domain: 'https://d',
          redirectUri: 'https://r',
          logoutUri: 'https://l',
        },
      },
      'auth.authority',
    ],
  ])('refuses %j naming %s', (raw, key) => {
    // Act
    const attempt = () => parseConfig(raw);

    // Assess
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (e) {
      expect((e as ConfigError).key).toBe(key);
    }
  });

  it('builds the hosted-UI logout URL with client id and logout URI', () => {
    const url = logoutUrl({
      mode: 'hosted-ui',
      authority: 'https://cognito-idp.eu-west-1.amazonaws.com/p',
      clientId: 'abc',
      domain: 'https://ds.auth.eu-west-1.amazoncognito.com',
      redirectUri: 'https://d.example.com/',
      logoutUri: 'https://d.example.com/',
    });
    expect(url).toBe(
      'https://ds.auth.eu-west-1.amazoncognito.com/logout?client_id=abc&logout_uri=https%3A%2F%2Fd.example.com%2F',
    );
  });
});

// ---- router ----

describe('hash routes', () => {
  it('round-trips a view and its parameters, series ids with slashes included', () => {
    const href = hrefFor('anomalies', { series: 'AWS/EC2/CPUUtilization/i-1', severity: 'high', method: '' });
    const route = parseHash(href);
    expect(route.view).toBe('anomalies');
    expect(route.params.get('series')).toBe('AWS/EC2/CPUUtilization/i-1');
    expect(route.params.get('severity')).toBe('high');
    expect(route.params.has('method')).toBe(false);
  });

  it('falls back to the health view for an empty or unknown hash', () => {
    expect(parseHash('').view).toBe('health');
    expect(parseHash('#/nope?x=1').view).toBe('health');
    expect(parseHash('#drift').view).toBe('drift');
  });
});

// ---- format ----

describe('format', () => {
  it('formats numbers, units, percentages and p-values for reading', () => {
    expect(num(1234.5678)).toBe('1,235');
    expect(num(0.123456)).toBe('0.1235');
    expect(num(Number.NaN)).toBe('–');
    expect(num(2.5e7)).toBe('2.50e+7');
    expect(withUnit(42.25, '%')).toBe('42.25%');
    expect(withUnit(3, 'ms')).toBe('3 ms');
    expect(withUnit(null, 'ms')).toBe('–');
    expect(pct(0.4871)).toBe('48.7%');
    expect(pValue(1e-14)).toBe('1.0e-14');
    expect(pValue(0.41)).toBe('0.410');
    expect(count(43200)).toBe('43,200');
    expect(adjustment(0.1)).toBe('+10%');
    expect(adjustment(-0.05)).toBe('-5%');
    expect(adjustment(0)).toBe('0%');
    expect(words('rateLimited')).toBe('rate limited');
    expect(words('below-severity')).toBe('below severity');
    expect(expectedRange({ expectedLow: 1.5, expectedHigh: 20 })).toBe('expected 1.5 – 20');
    expect(expectedRange({ expectedLow: null, expectedHigh: 20 })).toBe('expected ≤ 20');
    expect(expectedRange({ expectedLow: 3, expectedHigh: null })).toBe('expected ≥ 3');
    expect(expectedRange({ expectedLow: null, expectedHigh: null })).toBe('no expected range');
  });

  it('shows today as a clock time and other days with their date, in the given zone', () => {
    const now = Date.UTC(2026, 10, 24, 12, 0);
    expect(time(Date.UTC(2026, 10, 24, 9, 5), now, 'UTC')).toBe('09:05');
    expect(time(Date.UTC(2026, 10, 23, 23, 59), now, 'UTC')).toBe('2026-11-23 23:59');
    // 23:59 UTC on the 23rd is already the 24th in Tokyo.
    expect(time(Date.UTC(2026, 10, 23, 23, 59), now, 'Asia/Tokyo')).toBe('08:59');
  });

  it('says how long ago and how long a window lasts', () => {
    const now = 10 * 86_400_000;
    expect(ago(now - 10_000, now)).toBe('just now');
    expect(ago(now - 5 * 60_000, now)).toBe('5 min ago');
    expect(ago(now - 3 * 3_600_000, now)).toBe('3 h ago');
    expect(ago(now - 3 * 86_400_000, now)).toBe('3 d ago');
    expect(minutes(90)).toBe('1 h 30 min');
    expect(minutes(1440)).toBe('1 d');
    expect(utcClock(125)).toBe('02:05 UTC');
  });
});

// ---- API client ----

describe('ApiClient', () => {
  const auth = (token: string | null, refreshes = false) => {
    const state = { token, refreshed: 0 };
    return {
      state,
      token: async () => state.token,
      refresh: async () => {
        state.refreshed++;
        if (refreshes) state.token = `${state.token}-renewed`;
        return refreshes;
      },
    };
  };

  it('sends the bearer token and escapes series ids in paths', async () => {
    // Prepare
    const f = fakeFetch(() => jsonResponse(200, { id: 'a/b', points: [] }));
    const api = new ApiClient('https://api.example.com/v1', auth('id-token'), f.fn);

    // Act
    await api.points('AWS/RDS/db 1', { from: 1, to: 2, maxPoints: 10 });

    // Assess
    expect(f.calls[0]!.url).toBe(
      'https://api.example.com/v1/api/series/AWS%2FRDS%2Fdb%201/points?from=1&to=2&maxPoints=10',
    );
    expect((f.calls[0]!.init!.headers as Record<string, string>).Authorization).toBe('Bearer id-token');
  });

  it('renews once after a 401 and retries with the new token', async () => {
    // Prepare
    const a = auth('t1', true);
    const f = fakeFetch((call) =>
      (call.init!.headers as Record<string, string>).Authorization === 'Bearer t1-renewed'
        ? jsonResponse(200, { generatedAt: 1, series: [] })
        : jsonResponse(401, { message: 'Unauthorized' }),
    );
    const api = new ApiClient('', a, f.fn);

    // Act
    const health = await api.health();

    // Assess
    expect(health.generatedAt).toBe(1);
    expect(a.state.refreshed).toBe(1);
    expect(f.calls).toHaveLength(2);
  });

  it('asks for a new sign-in when renewal fails, and says "not in the staff group" on 403', async () => {
    const unauthorized = new ApiClient('', auth('t', false), fakeFetch(() => jsonResponse(401, {})).fn);
    await expect(unauthorized.models()).rejects.toBeInstanceOf(SignInRequiredError);

    const forbidden = new ApiClient(
      '',
      auth('t'),
      fakeFetch(() => jsonResponse(403, { error: 'Forbidden' })).fn,
    );
    const error = await forbidden.models().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as ForbiddenError).message).toBe(FORBIDDEN_MESSAGE);
    expect((error as ForbiddenError).detail).toBe('Forbidden');
  });

  it('carries the field a 400 names, treats 204 as empty, and reports an unreachable API', async () => {
    const bad = new ApiClient(
      '',
      auth(null),
      fakeFetch(() => jsonResponse(400, { error: 'Invalid body', field: 'ts' })).fn,
    );
    const error = await bad.markAnomaly('s', 1, 'false-positive').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, field: 'ts', message: 'Invalid body' });

    const f = fakeFetch(() => new Response(null, { status: 204 }));
    await expect(new ApiClient('', auth(null), f.fn).deleteWindow('a b/c')).resolves.toBeNull();
    expect(f.calls[0]!.url).toBe('/api/maintenance-windows/a%20b%2Fc');
    expect((f.calls[0]!.init!.headers as Record<string, string>).Authorization).toBeUndefined();

    const down = new ApiClient('', auth(null), async () => {
      throw new TypeError('fetch failed');
    });
    await expect(down.health()).rejects.toMatchObject({ status: 0 });
  });

  it('sends a mark as JSON with the reason only when given', async () => {
    const f = fakeFetch(() => jsonResponse(200, { state: {}, changes: [], anomaly: {} }));
    const api = new ApiClient('', auth('t'), f.fn);
    await api.markAnomaly('s/1', 5, 'false-positive', 'deploy');
    await api.markAnomaly('s/1', 5, 'confirmed');
    await api.unmarkAnomaly('s/1', 5);
    expect(f.calls.map((c) => [c.init!.method, c.url, c.init!.body])).toEqual([
      [
        'PUT',
        '/api/anomalies/feedback',
        JSON.stringify({ series: 's/1', ts: 5, label: 'false-positive', reason: 'deploy' }),
      ],
      ['PUT', '/api/anomalies/feedback', JSON.stringify({ series: 's/1', ts: 5, label: 'confirmed' })],
      ['DELETE', '/api/anomalies/feedback?series=s%2F1&ts=5', undefined],
    ]);
  });
});

// ---- password auth ----

describe('PasswordAuth (cognito-local InitiateAuth)', () => {
  const cfg = { endpoint: '/local/cognito', clientId: 'client-1' };
  const idToken = (name: string, exp: number) =>
    jwt({ 'cognito:username': name, 'cognito:groups': ['staff'], exp: Math.floor(exp / 1000) });

  it('signs in with USER_PASSWORD_AUTH and keeps the tokens for a reload', async () => {
    // Prepare
    const now = 1_000_000_000_000;
    const f = fakeFetch(() =>
      jsonResponse(200, {
        AuthenticationResult: {
          IdToken: idToken('alice', now + 3_600_000),
          RefreshToken: 'r1',
          ExpiresIn: 3600,
        },
      }),
    );
    const store = memoryStore();
    const auth = new PasswordAuth(cfg, store, f.fn, () => now);

    // Act
    const session = await auth.signIn('alice', 'pw');
    const again = await new PasswordAuth(cfg, store, f.fn, () => now).init();

    // Assess
    const init = f.calls[0]!.init!;
    expect(init.headers).toEqual({
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'AWSCognitoIdentityProviderService.InitiateAuth',
    });
    expect(JSON.parse(init.body as string)).toEqual({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: 'client-1',
      AuthParameters: { USERNAME: 'alice', PASSWORD: 'pw' },
    });
    expect(session).toEqual({ username: 'alice', groups: ['staff'], expiresAt: now + 3_600_000 });
    expect(again?.username).toBe('alice');
    expect(await auth.token()).toBe(idToken('alice', now + 3_600_000));
  });

  it('renews with REFRESH_TOKEN_AUTH before expiry and keeps the refresh token', async () => {
    // Prepare
    let now = 0;
    const f = fakeFetch((_c, n) =>
      jsonResponse(200, {
        AuthenticationResult:
          n === 1
            ? { IdToken: idToken('bob', 3_600_000), RefreshToken: 'r-bob', ExpiresIn: 3600 }
            : { IdToken: idToken('bob', 7_200_000), ExpiresIn: 3600 },
      }),
    );
    const store = memoryStore();
    const auth = new PasswordAuth(cfg, store, f.fn, () => now);
    await auth.signIn('bob', 'pw');

    // Act: 59 minutes 30 s later the token is inside the renewal margin
    now = 3_570_000;
    const token = await auth.token();

    // Assess
    expect(JSON.parse(f.calls[1]!.init!.body as string)).toEqual({
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      ClientId: 'client-1',
      AuthParameters: { REFRESH_TOKEN: 'r-bob' },
    });
    expect(token).toBe(idToken('bob', 7_200_000));
    expect(JSON.parse(store.data.get('drift-sentinel.tokens')!).refreshToken).toBe('r-bob');
  });

  it("shows Cognito's message on a wrong password and signs out when renewal is refused", async () => {
    const wrong = new PasswordAuth(
      cfg,
      memoryStore(),
      fakeFetch(() =>
        jsonResponse(400, { __type: 'NotAuthorizedException', message: 'Incorrect username or password.' }),
      ).fn,
    );
    await expect(wrong.signIn('a', 'b')).rejects.toEqual(new AuthError('Incorrect username or password.'));

    const store = memoryStore();
    const f = fakeFetch((_c, n) =>
      n === 1
        ? jsonResponse(200, {
            AuthenticationResult: { IdToken: idToken('c', 3_600_000), RefreshToken: 'r', ExpiresIn: 3600 },
          })
        : jsonResponse(400, { __type: 'NotAuthorizedException', message: 'Refresh Token has expired' }),
    );
    const auth = new PasswordAuth(cfg, store, f.fn, () => 0);
    await auth.signIn('c', 'pw');
    await expect(auth.refresh()).resolves.toBe(false);
    expect(await auth.token()).toBeNull();
    expect(store.data.size).toBe(0);
  });

  it('revokes the refresh token on sign-out and forgets the tokens even when that call fails', async () => {
    // Prepare
    const store = memoryStore();
    const f = fakeFetch((_c, n) =>
      n === 1
        ? jsonResponse(200, {
            AuthenticationResult: { IdToken: idToken('e', 3_600_000), RefreshToken: 'r-e', ExpiresIn: 3600 },
          })
        : jsonResponse(500, {}),
    );
    const auth = new PasswordAuth(cfg, store, f.fn, () => 0);
    await auth.signIn('e', 'pw');

    // Act
    await auth.signOut();

    // Assess
    expect((f.calls[1]!.init!.headers as Record<string, string>)['X-Amz-Target']).toBe(
      'AWSCognitoIdentityProviderService.RevokeToken',
    );
    expect(JSON.parse(f.calls[1]!.init!.body as string)).toEqual({ Token: 'r-e', ClientId: 'client-1' });
    expect(store.data.size).toBe(0);
    expect(await auth.token()).toBeNull();
  });

  it('refuses a challenge it cannot answer instead of pretending to be signed in', async () => {
    const auth = new PasswordAuth(
      cfg,
      memoryStore(),
      fakeFetch(() => jsonResponse(200, { ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: 's' })).fn,
    );
    await expect(auth.signIn('a', 'b')).rejects.toThrow(/NEW_PASSWORD_REQUIRED/);
  });

  it('reads the user, groups and expiry from an ID token', () => {
    const token = jwt({ 'cognito:username': 'dana', 'cognito:groups': ['staff', 7], exp: 100 });
    expect(sessionOf(token, 0)).toEqual({ username: 'dana', groups: ['staff'], expiresAt: 100_000 });
    expect(jwtClaims(token)['cognito:username']).toBe('dana');
    expect(() => jwtClaims('nope')).toThrow(AuthError);
  });
});

// ---- chart data and sparkline ----

describe('chartColumns', () => {
  it('puts anomalies at their own time on a downsampled line, by severity, false positives apart', () => {
    // Prepare: buckets at 0 and 600 s; anomalies at 120 s (high), 600 s (critical, marked FP) and outside
    const points = [
      { ts: 0, value: 1, min: 0, max: 2 },
      { ts: 600_000, value: 3, min: 2, max: 9 },
    ];
    const anomalies = [
      anomaly({ ts: 120_000, value: 8, severity: 'high' }),
      anomaly({
        ts: 600_000,
        value: 9,
        severity: 'critical',
        feedback: { label: 'false-positive', by: 'a', at: 1 },
      }),
      anomaly({ ts: 9_999_999, value: 50 }),
    ];

    // Act
    const cols = chartColumns(points, anomalies, 0, 1_000_000);

    // Assess
    expect(cols.x).toEqual([0, 120, 600]);
    expect(cols.value).toEqual([1, null, 3]);
    expect(cols.min).toEqual([0, null, 2]);
    expect(cols.max).toEqual([2, null, 9]);
    expect(cols.markers.high).toEqual([null, 8, null]);
    expect(cols.markers['false-positive']).toEqual([null, null, 9]);
    expect(cols.markers.critical).toEqual([null, null, null]);
    expect(cols.shown).toBe(2);
    expect(markerGroupOf({ severity: 'low', feedback: { label: 'confirmed', by: 'a', at: 1 } })).toBe('low');
  });
});

describe('newestAnomalySeries', () => {
  it('picks the series of the newest anomaly inside the range', () => {
    const s = (id: string, ts: number | null) =>
      ({
        id,
        lastAnomaly: ts === null ? null : { ts, severity: 'low', level: 'INFO', explanation: '' },
      }) as unknown as HealthSeries;
    expect(newestAnomalySeries([s('a', 5), s('b', 9), s('c', null), s('d', 7)], 0)).toBe('b');
    expect(newestAnomalySeries([s('a', 5), s('b', 9)], 10)).toBe('');
    expect(newestAnomalySeries([], 0)).toBe('');
  });
});

describe('sparkGeometry', () => {
  const line = [0, 1, 2, 3, 4, 5].map((i) => ({ ts: i * 10, value: 50 + (i % 2) }));

  it('draws the band on the line scale, widened by at most the line range each side', () => {
    // A band far wider than the line (50–51): the scale stops at 49–52, so the line keeps its shape.
    const wide = line.map((p) => ({ ts: p.ts, low: 0, high: 100 }));
    const g = sparkGeometry(line, wide, 32, 12);
    const ys = g.line.split(' ').map((xy) => Number(xy.split(',')[1]));
    // a third of the 10 px inside the padding (coordinates are rounded to 0.1 px)
    expect(Math.abs(Math.max(...ys) - Math.min(...ys) - 10 / 3)).toBeLessThan(0.15);
    expect(g.band).toHaveLength(1);
    // A band inside the line's range leaves the scale as the line alone gives it.
    const inside = line.map((p) => ({ ts: p.ts, low: 50.2, high: 50.8 }));
    expect(sparkGeometry(line, inside, 32, 12).line).toBe(sparkPoints(line, 32, 12));
  });

  it('never draws the band across a gap, nor outside the line span or with impossible ranges', () => {
    const band = [0, 10, 40, 50].map((ts) => ({ ts, low: 49, high: 52 }));
    expect(sparkGeometry(line, band, 32, 12).band).toHaveLength(2);
    const bad = [
      { ts: -10, low: 49, high: 52 },
      { ts: 10, low: 52, high: 49 },
      { ts: 20, low: Number.NaN, high: 52 },
    ];
    expect(sparkGeometry(line, bad, 32, 12).band).toEqual([]);
  });
});

describe('sparkPoints', () => {
  it('scales a series into the box, top = highest', () => {
    const pts = sparkPoints(
      [
        { ts: 0, value: 0 },
        { ts: 10, value: 10 },
        { ts: 20, value: Number.NaN },
        { ts: 30, value: 5 },
      ],
      32,
      12,
    );
    expect(pts).toBe('1.0,11.0 11.0,1.0 31.0,6.0');
    expect(sparkPoints([{ ts: 1, value: 4 }], 10, 10)).toBe('5.0,5.0');
    expect(sparkPoints([], 10, 10)).toBe('');
  });
});

// ---- maintenance-window form ----

describe('windowFromForm', () => {
  const base: WindowFormValues = {
    id: 'db-patch',
    series: '',
    tags: 'env=prod, team = db',
    kind: 'weekly',
    start: '',
    end: '',
    dayOfWeek: '0',
    startTime: '02:30',
    durationMinutes: '90',
    reason: ' patching ',
  };
  const utc = (s: string) => Date.parse(`${s}:00Z`);

  it('builds a weekly window by tags and a one-off window by series', () => {
    expect(windowFromForm(base, utc)).toEqual({
      ok: true,
      window: {
        id: 'db-patch',
        tags: { env: 'prod', team: 'db' },
        schedule: { kind: 'weekly', dayOfWeek: 0, startMinute: 150, durationMinutes: 90 },
        reason: 'patching',
      },
    });
    expect(
      windowFromForm(
        {
          ...base,
          kind: 'once',
          tags: '',
          series: 'AWS/RDS/db-1',
          start: '2026-11-24T01:00',
          end: '2026-11-24T03:00',
          reason: '',
        },
        utc,
      ),
    ).toEqual({
      ok: true,
      window: {
        id: 'db-patch',
        series: 'AWS/RDS/db-1',
        schedule: { kind: 'once', start: utc('2026-11-24T01:00'), end: utc('2026-11-24T03:00') },
      },
    });
  });

  it('names every field at fault, with the API field names', () => {
    const r = windowFromForm(
      {
        ...base,
        id: 'bad id!',
        tags: 'oops',
        kind: 'once',
        start: '2026-11-24T03:00',
        end: '2026-11-24T01:00',
      },
      utc,
    );
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.problems.map((p) => p.field)).toEqual(['id', 'tags', 'schedule.end']);

    const w = windowFromForm(
      { ...base, tags: '', dayOfWeek: '', startTime: '25:00', durationMinutes: '0' },
      utc,
    );
    expect(w.ok ? [] : w.problems.map((p) => p.field)).toEqual([
      'series',
      'schedule.dayOfWeek',
      'schedule.startMinute',
      'schedule.durationMinutes',
    ]);
    expect(parseTags('a=1,,=2, b=')).toEqual({ tags: { a: '1', b: '' }, bad: ['=2'] });
  });
});

// ---- no HTML-string path in the SPA ----

describe('dashboard sources', () => {
  it('never build DOM from HTML strings or evaluate code', () => {
    const dir = join(ROOT, 'dashboard/src');
    const files = (function walk(d: string): string[] {
      return readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.ts') ? [join(d, e.name)] : [],
      );
    })(dir);
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.flatMap((f) => {
      const text = readFileSync(f, 'utf8');
      return /\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(|setAttribute\(\s*['"]style/.test(
        text,
      )
        ? [f]
        : [];
    });
    expect(offenders).toEqual([]);
  });
});

// ---- build ----

describe('buildDashboard', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'ds-build-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes index.html, app.js and app.css (uPlot CSS included), with sizes, under 300 KB gzipped', async () => {
    // Act
    const r = await buildDashboard({ outDir: out });

    // Assess
    expect(r.outDir).toBe(out);
    expect(r.files.map((f) => f.path)).toEqual(['app.css', 'app.js', 'index.html']);
    expect(readdirSync(out).sort()).toEqual(['app.css', 'app.js', 'index.html']);
    for (const f of r.files) {
      expect(f.bytes).toBe(readFileSync(join(out, f.path)).byteLength);
      expect(f.gzipBytes).toBeGreaterThan(0);
      expect(f.gzipBytes).toBeLessThan(f.bytes);
    }
    expect(r.files.reduce((s, f) => s + f.gzipBytes, 0)).toBeLessThan(300 * 1024);
    expect(readFileSync(join(out, 'app.css'), 'utf8')).toContain('.uplot');
    expect(formatSizes(r)).toMatch(/app\.js\s+[\d.]+ KB\s+[\d.]+ KB/);
  });

  it('keeps index.html free of inline scripts, inline styles and third-party origins (CSP)', () => {
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]![1]).toContain('src="app.js"');
    expect(scripts[0]![2]!.trim()).toBe('');
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('minifies by default and writes source maps only when asked', async () => {
    const dev = mkdtempSync(join(tmpdir(), 'ds-build-dev-'));
    try {
      const r = await buildDashboard({ outDir: dev, minify: false, sourcemap: true });
      expect(r.files.map((f) => f.path)).toEqual([
        'app.css',
        'app.css.map',
        'app.js',
        'app.js.map',
        'index.html',
      ]);
      const minified = readFileSync(join(out, 'app.js')).byteLength;
      expect(r.files.find((f) => f.path === 'app.js')!.bytes).toBeGreaterThan(minified * 1.3);
    } finally {
      rmSync(dev, { recursive: true, force: true });
    }
  });
});
