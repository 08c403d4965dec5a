// (local stack) a loopback HTTP server: the static dashboard from dashboard/, a read-only status
// endpoint over the same stores the use cases write, and the HTTP API (functions/api-routes.ts) under
// /api/* through the API Gateway event adapter, so locally the API is the deployed one.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { ApiHandler } from '../../functions/http';
import type { PublishedAlert } from '../../shared/adapters/console-alert-publisher';
import type { SeriesSpec } from '../../shared/domain/types';
import type { AlertStateStore, AnomalyStore, Clock, MetricStore } from '../../shared/ports';
import { serveApi } from './api-adapter';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** What the status endpoint reads. */
export interface StatusDeps {
  readonly series: readonly SeriesSpec[];
  readonly store: MetricStore;
  readonly anomalies: AnomalyStore;
  readonly clock: Clock;
  readonly alerts: AlertStateStore;
  readonly publisher: { list(): readonly PublishedAlert[] };
  /** The HTTP API served under /api/* (absent: /api/* answers 404). */
  readonly api?: ApiHandler;
  /** Recorded as the actor of changes made through the local API. @default 'local' */
  readonly apiUser?: string;
}

/** The status document: latest point per series and the last 24 h of anomalies, newest first. */
export async function buildStatus(deps: StatusDeps): Promise<Record<string, unknown>> {
  const now = deps.clock.now();
  const series = await Promise.all(
    deps.series.map(async (s) => {
      const points = await deps.store.queryRange(s.id, now - 3_600_000, now, now);
      const last = points.at(-1);
      return {
        id: s.id,
        label: s.label,
        unit: s.unit ?? '',
        points: points.length,
        latest: last ? { ts: last.ts, value: last.value } : null,
      };
    }),
  );
  const anomalies = (await deps.anomalies.listRange(now - 86_400_000, now, now)).reverse().slice(0, 200);
  return {
    now,
    series,
    anomalies: anomalies.map((a) => ({
      series: a.series,
      label: a.label,
      ts: a.ts,
      value: a.value,
      expectedLow: a.expectedLow,
      expectedHigh: a.expectedHigh,
      severity: a.severity,
      level: a.level,
      methods: a.methods,
      explanation: a.explanation,
    })),
    alerts: deps.publisher.list().slice(0, 50),
    maintenanceWindows: await deps.alerts.listWindows(),
  };
}

/** Start the server on 127.0.0.1:`port` (0 = any free port). */
export async function startHttpServer(
  port: number,
  deps: StatusDeps,
  root = resolve(__dirname, '../../dashboard'),
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400, { 'Content-Type': 'text/plain', ...SECURITY_HEADERS });
      res.end('Bad path');
      return;
    }
    if (path === '/api' || path.startsWith('/api/')) {
      if (!deps.api) {
        res.writeHead(404, { 'Content-Type': 'application/json', ...SECURITY_HEADERS });
        res.end(JSON.stringify({ error: 'No API on this server', field: 'path' }));
        return;
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      void serveApi(deps.api, req, res, url, { user: deps.apiUser ?? 'local', headers: SECURITY_HEADERS });
      return;
    }
    if (req.method !== 'GET') {
      res.writeHead(405, { 'Content-Type': 'application/json', ...SECURITY_HEADERS });
      res.end(JSON.stringify({ message: 'Only GET is supported' }));
      return;
    }
    if (path === '/local/status') {
      buildStatus(deps)
        .then((status) => {
          res.writeHead(200, {
            'Content-Type': 'application/json',
            'Cache-Control': 'no-store',
            ...SECURITY_HEADERS,
          });
          res.end(JSON.stringify(status));
        })
        .catch((error: unknown) => {
          res.writeHead(503, { 'Content-Type': 'application/json', ...SECURITY_HEADERS });
          res.end(JSON.stringify({ message: `Status unavailable: ${(error as Error).message}` }));
        });
      return;
    }
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (file !== root && !file.startsWith(`${root}${sep}`)) {
      res.writeHead(400, SECURITY_HEADERS);
      res.end('Bad path');
      return;
    }
    readFile(file)
      .then((body) => {
        res.writeHead(200, {
          'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
          ...SECURITY_HEADERS,
        });
        res.end(body);
      })
      .catch(() => {
        res.writeHead(404, { 'Content-Type': 'text/plain', ...SECURITY_HEADERS });
        res.end('Not found');
      });
  });
  await new Promise<void>((ok, fail) => {
    server.on('error', fail);
    server.listen(port, '127.0.0.1', ok);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
