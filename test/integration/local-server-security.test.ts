// The local server against a page on another origin (DNS rebinding) and unauthenticated readers, with
// real HTTP requests: a foreign Host gets 421 on every route, the status document needs a staff ID
// token (cognito-local, started here), the health check needs nothing, and --no-auth listens on
// loopback only.
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { startHttpServer } from '../../infra/local/http-server';
import { createIdTokenVerifier } from '../../shared/adapters/jwt-verifier';
import { MemoryAlertStore, MemoryAnomalyStore, MemoryMetricStore } from '../../shared/adapters/memory-stores';
import { startTestCognito, type TestCognito } from '../helpers/cognito';

jest.setTimeout(60_000);

const base = {
  series: [],
  store: new MemoryMetricStore(),
  anomalies: new MemoryAnomalyStore(),
  clock: { now: () => Date.now() },
  alerts: new MemoryAlertStore(),
  publisher: { list: () => [] },
};

/** A GET with the Host header we choose (fetch would not let a test forge it). */
function get(
  url: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('local server: Host check and --no-auth', () => {
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  beforeAll(async () => {
    server = await startHttpServer(0, { ...base, auth: { mode: 'none', user: 'local:tester' } });
  });
  afterAll(async () => server.close());

  it('answers 421 to a foreign Host on every route, and serves its own loopback names', async () => {
    const port = new URL(server.url).port;
    for (const path of ['/', '/config.json', '/local/status', '/local/health', '/api/anomalies']) {
      for (const host of ['evil.example', `evil.example:${port}`, 'localhost:1', `127.0.0.2:${port}`]) {
        const r = await get(server.url, path, { Host: host });
        expect([path, host, r.status]).toEqual([path, host, 421]);
      }
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`])
      expect((await get(server.url, '/local/status', { Host: host })).status).toBe(200);
  });

  it('has a health check that says nothing else', async () => {
    const r = await get(server.url, '/local/health');
    expect(r).toEqual({ status: 200, body: '{"ok":true}' });
  });

  it('listens on loopback only: not on the machine’s other addresses', async () => {
    const port = Number(new URL(server.url).port);
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    if (!external) return; // no non-loopback interface on this machine: nothing to connect to
    await expect(get(`http://${external.address}:${port}`, '/local/health')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('local server: /local/status needs a staff sign-in', () => {
  let cognito: TestCognito;
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  beforeAll(async () => {
    cognito = await startTestCognito();
    server = await startHttpServer(0, {
      ...base,
      auth: {
        mode: 'password',
        verify: createIdTokenVerifier({ issuer: cognito.issuer, audience: cognito.clientId }),
        cognito: { url: cognito.url, clientId: cognito.clientId, userPoolId: cognito.userPoolId },
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await cognito?.close();
  });

  it('401 without a token, 403 outside the staff group, 200 for staff; health needs nothing', async () => {
    expect((await get(server.url, '/local/status')).status).toBe(401);
    expect((await get(server.url, '/local/status', { Authorization: 'Bearer a.b.c' })).status).toBe(401);
    const viewer = await cognito.signIn(cognito.users.nonStaff.username, cognito.users.nonStaff.password);
    expect(
      (await get(server.url, '/local/status', { Authorization: `Bearer ${viewer.IdToken}` })).status,
    ).toBe(403);
    const staff = await cognito.signIn(cognito.users.staff.username, cognito.users.staff.password);
    const ok = await get(server.url, '/local/status', { Authorization: `Bearer ${staff.IdToken}` });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ series: [], anomalies: [] });
    expect((await get(server.url, '/local/health')).status).toBe(200);
  });
});
