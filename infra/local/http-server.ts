// (local stack) a loopback HTTP server: the static dashboard from dashboard/ and a read-only status
// endpoint over the same stores the use cases write. The hosted API (API Gateway + Cognito) replaces
// the endpoint in AWS.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { PublishedAlert } from '../../shared/adapters/console-alert-publisher';
import { MaintenanceWindowSchema } from '../../shared/adapters/dynamodb-alert-store';
import type { MaintenanceWindow } from '../../shared/domain/alerting';
import type { SeriesSpec } from '../../shared/domain/types';
import { formatIssues } from '../../shared/monitor-config';
import type { AlertStateStore, AnomalyStore, Clock, MetricStore } from '../../shared/ports';

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

const MAX_BODY = 64 * 1024;

function readBody(req: import('node:http').IncomingMessage): Promise<string> {
  return new Promise((ok, fail) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
      if (body.length > MAX_BODY) {
        fail(new Error('body too large'));
        req.destroy();
      }
    });
    req.on('end', () => ok(body));
    req.on('error', fail);
  });
}

/**
 * Maintenance windows: `GET` lists, `POST` (JSON body) creates or replaces, `DELETE /<id>` removes.
 * Bad input answers 400 naming the field. Returns [status, body].
 */
export async function handleMaintenance(
  method: string,
  path: string,
  body: string,
  alerts: AlertStateStore,
): Promise<[number, unknown]> {
  // `path` is already decoded by the server.
  const id = path.slice('/api/maintenance-windows'.length).replace(/^\//, '');
  if (method === 'GET' && id === '') return [200, { items: await alerts.listWindows() }];
  if (method === 'POST' && id === '') {
    let raw: unknown;
    try {
      raw = JSON.parse(body);
    } catch {
      return [400, { message: 'Body must be JSON' }];
    }
    const parsed = MaintenanceWindowSchema.safeParse(raw);
    if (!parsed.success)
      return [400, { message: 'Invalid maintenance window', issues: formatIssues(parsed.error) }];
    await alerts.putWindow(parsed.data as MaintenanceWindow);
    return [201, parsed.data];
  }
  if (method === 'DELETE' && id !== '') {
    return (await alerts.deleteWindow(id)) ? [204, null] : [404, { message: `No maintenance window ${id}` }];
  }
  return [405, { message: `${method} is not supported here` }];
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
    if (path === '/api/maintenance-windows' || path.startsWith('/api/maintenance-windows/')) {
      const send = ([status, payload]: [number, unknown]): void => {
        res.writeHead(status, {
          'Content-Type': 'application/json',
          'Cache-Control': 'no-store',
          ...SECURITY_HEADERS,
        });
        res.end(payload === null ? '' : JSON.stringify(payload));
      };
      // Browsers cannot send application/json cross-origin without a preflight we never answer:
      // a page on another origin cannot change maintenance windows on this loopback server.
      if (
        req.method !== 'GET' &&
        req.method !== 'DELETE' &&
        !(req.headers['content-type'] ?? '').startsWith('application/json')
      ) {
        send([415, { message: 'Content-Type must be application/json' }]);
        return;
      }
      readBody(req)
        .then((body) => handleMaintenance(req.method ?? 'GET', path, body, deps.alerts))
        .then(send)
        .catch((error: unknown) => send([400, { message: (error as Error).message }]));
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
