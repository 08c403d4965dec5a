// The local stack's loopback HTTP server: static dashboard, status document, maintenance-window API.

import { startHttpServer } from '../../infra/local/http-server';
import { MemoryAlertStore, MemoryAnomalyStore, MemoryMetricStore } from '../../shared/adapters/memory-stores';

const T0 = Date.UTC(2026, 10, 24, 12);
const alerts = new MemoryAlertStore();
let server: Awaited<ReturnType<typeof startHttpServer>>;

beforeAll(async () => {
  const store = new MemoryMetricStore();
  await store.putPoints([{ series: 's1', ts: T0 - 60_000, value: 42 }]);
  server = await startHttpServer(0, {
    series: [
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
    ],
    store,
    anomalies: new MemoryAnomalyStore(),
    clock: { now: () => T0 },
    alerts,
    publisher: { list: () => [] },
  });
});
afterAll(async () => server.close());

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
    expect(((await bad.json()) as { issues: string[] }).issues[0]).toMatch(/^schedule\.dayOfWeek: /);
    expect((await api('/api/maintenance-windows', { method: 'POST', body: '{}' })).status).toBe(415);
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
});
