// The local stack's loopback HTTP server: static dashboard, runtime config, status document, and the HTTP
// API served through the API Gateway event adapter (the same router as the deployed API); here in
// --no-auth mode (sign-in with cognito-local: test/integration/dashboard-api.test.ts). Also how the site
// is found or built (infra/dashboard-site.ts).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createApiRouter } from '../../functions/api-routes';
import { cognitoClaims } from '../../functions/auth';
import { DASHBOARD_DIR, loadDashboardBuilder, prepareDashboard } from '../../infra/dashboard-site';
import { startHttpServer } from '../../infra/local/http-server';
import { DynamoAnomalyStore } from '../../shared/adapters/dynamodb-anomaly-store';
import { DynamoFeedbackStore } from '../../shared/adapters/dynamodb-feedback-store';
import { DynamoThresholdStore } from '../../shared/adapters/dynamodb-threshold-store';
import { MemoryAlertStore, MemoryAnomalyStore, MemoryMetricStore } from '../../shared/adapters/memory-stores';
import type { SeriesSpec } from '../../shared/domain/types';
import { parseMonitorConfig } from '../../shared/monitor-config';
import { readStores } from '../helpers/api-deps';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';

const T0 = Date.UTC(2026, 10, 24, 12);
const alerts = new MemoryAlertStore();
let server: Awaited<ReturnType<typeof startHttpServer>>;
let db: TestDynamo;
const series: SeriesSpec[] = [
  {
    id: 's1',
    metric: 'cpu_percent',
    label: '<img src=x onerror=alert(1)>',
    namespace: 'N',
    metricName: 'M',
    dimensions: {},
    stat: 'Average',
    period: 60,
    scale: 1,
    tags: {},
  },
];

beforeAll(async () => {
  db = await startDynalite();
  const store = new MemoryMetricStore();
  await store.putPoints([{ series: 's1', ts: T0 - 60_000, value: 42 }]);
  await new DynamoAnomalyStore({ client: db.doc, tableName: db.tables.anomalies }).record(
    [
      {
        series: 's1',
        metric: 'cpu_percent',
        label: 'cpu',
        ts: T0 - 120_000,
        value: 99,
        expectedLow: 1,
        expectedHigh: 2,
        baseline: 1.5,
        deviation: 9,
        score: 0.9,
        methods: ['spike'],
        findings: [],
        severity: 'critical',
        level: 'CRITICAL',
        explanation: 'x',
        sensitivity: 1,
      },
    ],
    T0,
  );
  const clock = { now: () => T0 };
  const log = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };
  // A site of our own: the served files must not depend on whether dashboard/dist was built.
  const site = mkdtempSync(join(tmpdir(), 'local-http-site-'));
  writeFileSync(
    join(site, 'index.html'),
    '<!doctype html><title>t</title><script src="placeholder.js"></script>',
  );
  writeFileSync(
    join(site, 'placeholder.js'),
    `// ${'padding so the file is worth compressing '.repeat(60)}\n`,
  );
  writeFileSync(join(site, 'build.ts'), 'export {};\n');
  mkdirSync(join(site, 'src'));
  writeFileSync(join(site, 'src', 'main.ts'), 'export {};\n');
  server = await startHttpServer(0, {
    siteDir: site,
    series,
    store,
    anomalies: new MemoryAnomalyStore(),
    clock,
    alerts,
    publisher: { list: () => [] },
    api: createApiRouter({
      config: parseMonitorConfig({ series: [{ metric: 'cpu_percent', namespace: 'N', metricName: 'M' }] }),
      series,
      store,
      feedback: new DynamoFeedbackStore({ client: db.doc, tableName: db.tables.anomalies }),
      thresholds: new DynamoThresholdStore({ client: db.doc, tableName: db.tables.control }),
      alerts,
      ...readStores(db),
      clock,
      log,
      authenticate: cognitoClaims(),
    }),
    auth: { mode: 'none', user: 'local:tester' },
  });
});
afterAll(async () => {
  await server.close();
  await db.close();
});

const api = (path: string, init?: RequestInit) => fetch(new URL(path, server.url), init);

describe('local HTTP server', () => {
  it('serves the dashboard with a strict CSP and the status document', async () => {
    const page = await api('/');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('placeholder.js');
    const status = (await (await api('/local/status')).json()) as {
      series: { label: string; latest: { value: number } }[];
    };
    expect(status.series[0]).toMatchObject({ label: '<img src=x onerror=alert(1)>', latest: { value: 42 } });
    expect((await api('/../package.json')).status).toBe(404);
    expect((await api('/%E0%A4%A')).status).toBe(400);
    expect((await api('/..%2Fdashboard-x%2Ff')).status).toBe(400);
  });

  it('creates, lists and deletes maintenance windows; bad input gets 400 naming the field', async () => {
    const json = { 'Content-Type': 'application/json' };
    const bad = await api('/api/maintenance-windows', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        id: 'w1',
        series: 's1',
        schedule: { kind: 'weekly', dayOfWeek: 7, startMinute: 0, durationMinutes: 30 },
      }),
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await bad.json()).toMatchObject({ field: 'schedule.dayOfWeek', error: expect.any(String) });
    // A cross-site form post cannot be JSON without a CORS preflight this server never answers.
    expect((await api('/api/maintenance-windows', { method: 'POST', body: '{"id":"w2"}' })).status).toBe(415);
    const created = await api('/api/maintenance-windows', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        id: 'w1',
        series: 's1',
        schedule: { kind: 'weekly', dayOfWeek: 0, startMinute: 120, durationMinutes: 60 },
      }),
    });
    expect(created.status).toBe(201);
    expect(
      ((await (await api('/api/maintenance-windows')).json()) as { items: unknown[] }).items,
    ).toHaveLength(1);
    expect((await api('/api/maintenance-windows/w1', { method: 'DELETE' })).status).toBe(204);
    expect((await api('/api/maintenance-windows/w1', { method: 'DELETE' })).status).toBe(404);
  });

  it('serves the feedback API with the local user as the actor; oversized bodies get 413', async () => {
    const marked = await api('/api/anomalies/feedback', {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ series: 's1', ts: T0 - 120_000, label: 'false-positive', reason: 'local test' }),
    });
    expect(marked.status).toBe(200);
    expect(await marked.json()).toMatchObject({
      anomaly: { feedback: { label: 'false-positive', by: 'local:tester' } },
      state: { falsePositives: 1 },
    });
    const thresholds = await (await api('/api/thresholds')).json();
    expect(thresholds).toMatchObject({ items: [{ metric: 'cpu_percent', falsePositives: 1 }] });
    const huge = await api('/api/anomalies/feedback', {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ reason: 'x'.repeat(70_000) }),
    });
    expect(huge.status).toBe(413);
    expect((await api('/api/nowhere')).status).toBe(404);
  });
});

describe('local HTTP server: the site and its runtime config', () => {
  it('serves /config.json in no-auth mode, and no sign-in proxy', async () => {
    const res = await api('/config.json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ apiBaseUrl: '', refreshSeconds: 60, auth: { mode: 'none' } });
    const proxy = await api('/local/cognito', { method: 'POST', body: '{}' });
    expect(proxy.status).toBe(404);
  });

  it('lets every API request through as the local user, in the staff group', async () => {
    const r = await api('/api/anomalies?severity=critical');
    expect(r.status).toBe(200);
    expect(((await r.json()) as { items: unknown[] }).items).toHaveLength(1);
  });

  it('answers views (paths without an extension) with index.html, and never serves sources', async () => {
    const view = await api('/anomalies/recent');
    expect(view.status).toBe(200);
    expect(view.headers.get('cache-control')).toBe('no-cache');
    expect(view.headers.get('x-frame-options')).toBe('DENY');
    expect(await view.text()).toContain('<title>');
    expect((await api('/missing.js')).status).toBe(404);
    expect((await api('/build.ts')).status).toBe(404);
    expect((await api('/src/main.ts')).status).toBe(404);
    // Compressed for clients that accept it, as CloudFront and API Gateway do; tiny answers are not.
    expect((await api('/placeholder.js')).headers.get('content-encoding')).toBe('gzip');
    expect((await api('/api/thresholds')).headers.get('content-encoding')).toBeNull();
    const plain = await api('/placeholder.js', { headers: { 'Accept-Encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    const head = await api('/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});

describe('dashboard site: built by dashboard/build.ts when present, else the placeholder', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'site-build-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('falls back to the placeholder directory without a build script', async () => {
    expect(await loadDashboardBuilder(join(dir, 'absent.ts'))).toBeUndefined();
    expect(await prepareDashboard({ script: join(dir, 'absent.ts') })).toEqual({
      dir: DASHBOARD_DIR,
      placeholder: true,
    });
  });

  it('runs buildDashboard() when asked, and only when the site is missing with if-missing', async () => {
    const script = join(dir, 'build.ts');
    const outDir = join(dir, 'dist');
    writeFileSync(
      script,
      `import { mkdirSync, writeFileSync } from 'node:fs';
      import { join } from 'node:path';
      export let runs = 0;
      export async function buildDashboard(opts: { outDir: string; minify?: boolean }) {
        runs++;
        mkdirSync(opts.outDir, { recursive: true });
        writeFileSync(join(opts.outDir, 'index.html'), '<!doctype html><title>built</title>');
        return { outDir: opts.outDir, files: [{ path: 'index.html', bytes: 36, gzipBytes: 50 }] };
      }`,
    );
    const first = await prepareDashboard({ script, outDir, when: 'if-missing' });
    expect(first).toEqual({
      dir: outDir,
      placeholder: false,
      built: [{ path: 'index.html', bytes: 36, gzipBytes: 50 }],
    });
    expect(await prepareDashboard({ script, outDir, when: 'if-missing' })).toEqual({
      dir: outDir,
      placeholder: false,
    });
    expect((await prepareDashboard({ script, outDir, when: 'always' })).built).toHaveLength(1);
    const module = (await import(script)) as { runs: number };
    expect(module.runs).toBe(2);
  });

  it('refuses a build script without buildDashboard()', async () => {
    const script = join(dir, 'wrong.ts');
    writeFileSync(script, 'export const build = 1;\n');
    await expect(loadDashboardBuilder(script)).rejects.toThrow(/does not export buildDashboard/);
  });
});
