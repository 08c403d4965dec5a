// `npm start` with the staff dashboard's sign-in, as a user (or the SPA's browser test) runs it: cognito-local
// started by the stack, the users printed and written to --users-file, sign-in through /local/cognito,
// every view's API populated by --seed-demo, 401/403 for the anonymous and the non-staff user, --no-auth,
// and a restart on the same data dir keeping the pool while minting new passwords. Ctrl-C stops
// cognito-local too.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO } from '../../infra/local/demo-data';
import { npmStart } from '../helpers/npm-start';

jest.setTimeout(180_000);

interface Run {
  output: () => string;
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
  stop: () => Promise<void>;
  kill: () => void;
}

function start(args: string[]): Run {
  const run = npmStart(args);
  return {
    output: run.output,
    waitFor: (pattern, timeoutMs = 90_000) => run.waitFor(pattern, timeoutMs),
    stop: async () => {
      run.signal('SIGINT');
      await run.exited;
    },
    kill: () => run.signal('SIGKILL'),
  };
}

interface Users {
  staff: { username: string; password: string };
  nonStaff: { username: string; password: string };
}

async function signIn(url: string, clientId: string, username: string, password: string) {
  return fetch(`${url}local/cognito`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'AWSCognitoIdentityProviderService.InitiateAuth',
    },
    body: JSON.stringify({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: clientId,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  });
}

async function idToken(url: string, clientId: string, user: { username: string; password: string }) {
  const res = await signIn(url, clientId, user.username, user.password);
  expect(res.status).toBe(200);
  return ((await res.json()) as { AuthenticationResult: { IdToken: string } }).AuthenticationResult.IdToken;
}

describe('local stack with sign-in (npm start)', () => {
  let dir: string;
  const runs: Run[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sentinel-auth-'));
  });
  afterAll(() => {
    for (const r of runs) r.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs in staff, populates every view with --seed-demo, refuses others, and stops cognito-local', async () => {
    const dataDir = join(dir, 'data');
    const usersFile = join(dir, 'users.json');
    const run = start(['--port', '0', '--data-dir', dataDir, '--seed-demo', '--users-file', usersFile]);
    runs.push(run);
    const url = (await run.waitFor(/Dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/))[1]!;
    const users = JSON.parse(readFileSync(usersFile, 'utf8')) as Users;
    expect(run.output()).toContain(`staff user:     staff / ${users.staff.password}`);
    expect(run.output()).toContain(`non-staff user: viewer / ${users.nonStaff.password}`);
    const cognitoUrl = run.output().match(/Sign-in: cognito-local on (http:\/\/127\.0\.0\.1:\d+)/)?.[1];
    const config = (await (await fetch(`${url}config.json`)).json()) as {
      auth: { mode: string; clientId: string; endpoint: string };
    };
    expect(config.auth).toMatchObject({ mode: 'password', endpoint: '/local/cognito' });

    const staff = await idToken(url, config.auth.clientId, users.staff);
    const viewer = await idToken(url, config.auth.clientId, users.nonStaff);
    const api = (path: string, token?: string) =>
      fetch(`${url}${path}`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
    const paths = ['api/health', 'api/anomalies?limit=500', 'api/alerts', 'api/models'];
    const started = performance.now();
    const bodies = (await Promise.all(
      paths.map(async (p) => {
        const res = await api(p, staff);
        expect(res.status).toBe(200);
        return res.json();
      }),
    )) as [
      { series: { label: string; state: string }[] },
      { items: { label: string }[] },
      { summary: { anomalies: number; sent: number }; alerts: unknown[] },
      { models: { model: string }[]; infra: { status: string } | null },
    ];
    const elapsed = performance.now() - started;
    const [health, anomalies, alerts, models] = bodies;
    expect(
      health.series.filter(
        (s) => s.label.includes('web-') || s.label.startsWith('<') || s.label.startsWith('"'),
      ),
    ).toHaveLength(DEMO.hosts * 5);
    expect(health.series.some((s) => s.state === 'anomalous')).toBe(true);
    expect(anomalies.items.length).toBeGreaterThanOrEqual(190);
    expect(anomalies.items.some((a) => a.label === '<img src=x onerror=alert(1)>')).toBe(true);
    expect(alerts.summary.anomalies).toBeGreaterThanOrEqual(190);
    expect(alerts.alerts.length).toBeGreaterThan(0);
    expect(models.models.map((m) => m.model)).toEqual(
      expect.arrayContaining(['churn-v2', 'fraud-score', 'ltv-estimator']),
    );
    expect(models.infra?.status).toBe('drift');
    console.log(
      `4 dashboard reads (health, 500 anomalies, alerts, models) in parallel: ${elapsed.toFixed(0)} ms`,
    );

    for (const p of paths) {
      expect((await api(p)).status).toBe(401);
      expect((await api(p, viewer)).status).toBe(403);
    }
    await run.stop();
    expect(run.output()).toMatch(/Stopped\. Data kept/);
    // cognito-local went with it.
    await expect(fetch(`${cognitoUrl}/health`)).rejects.toThrow();
  });

  it('runs without sign-in on --no-auth, and a restart keeps the pool but mints new passwords', async () => {
    const dataDir = join(dir, 'data');
    const before = JSON.parse(readFileSync(join(dir, 'users.json'), 'utf8')) as Users;
    const pool = JSON.parse(readFileSync(join(dataDir, 'cognito', 'drift-sentinel-pool.json'), 'utf8'));

    const open = start(['--port', '0', '--data-dir', dataDir, '--no-auth']);
    runs.push(open);
    const openUrl = (await open.waitFor(/Dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/))[1]!;
    expect(open.output()).toMatch(
      /NO AUTH \(--no-auth\): every API request is local:\S+, in the staff group/,
    );
    expect(await (await fetch(`${openUrl}config.json`)).json()).toMatchObject({ auth: { mode: 'none' } });
    expect((await fetch(`${openUrl}api/thresholds`)).status).toBe(200);
    await open.stop();

    const usersFile = join(dir, 'users-2.json');
    const again = start(['--port', '0', '--data-dir', dataDir, '--users-file', usersFile]);
    runs.push(again);
    const url = (await again.waitFor(/Dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/))[1]!;
    expect(again.output()).toContain(`pool ${pool.userPoolId}, app client ${pool.clientId}`);
    const after = JSON.parse(readFileSync(usersFile, 'utf8')) as Users;
    expect(after.staff.password).not.toBe(before.staff.password);
    expect((await signIn(url, pool.clientId, 'staff', before.staff.password)).status).toBe(400);
    const token = await idToken(url, pool.clientId, after.staff);
    expect(
      (await fetch(`${url}api/thresholds`, { headers: { Authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
    await again.stop();
  });
});
