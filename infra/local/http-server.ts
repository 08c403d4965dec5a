// (local stack) one loopback origin for the whole dashboard, as CloudFront + API Gateway are in AWS: the
// static site (dashboard/dist, or the placeholder page until the SPA lands), its runtime `/config.json`,
// the HTTP API (functions/api-routes.ts) under /api/* through the API Gateway event adapter, sign-in
// calls forwarded to cognito-local under /local/cognito, a read-only status document (staff only) and a
// health check (the one route without sign-in). Requests naming a foreign Host get 421 (DNS rebinding). Like API
// Gateway's Cognito authorizer, the server verifies the bearer ID token (jose, the issuer's JWKS) before
// the API sees a request and hands the router the token's claims; the router then checks the group.
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import type { JWTPayload } from 'jose';
import { cognitoClaims, STAFF_GROUP } from '../../functions/auth';
import { type ApiHandler, errorResult, type ProxyEvent } from '../../functions/http';
import type { PublishedAlert } from '../../shared/adapters/console-alert-publisher';
import { bearerToken, type IdTokenVerifier } from '../../shared/adapters/jwt-verifier';
import type { SeriesSpec } from '../../shared/domain/types';
import { UnauthorizedError } from '../../shared/errors';
import type { AlertStateStore, AnomalyStore, Clock, Log, MetricStore } from '../../shared/ports';
import { DASHBOARD_DIR, dashboardCsp } from '../dashboard-site';
import { acceptsGzip, sendBody, serveApi, writeResult } from './api-adapter';
import { proxyCognito } from './cognito-local';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

/** The headers CloudFront's response headers policy sets in AWS (infra/constructs/dashboard-hosting.ts). */
const SECURITY_HEADERS = {
  'Content-Security-Policy': dashboardCsp(),
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

/** Where the dashboard signs in locally (DASHBOARD-CONTRACT.md, `auth.endpoint`). */
export const COGNITO_PROXY_PATH = '/local/cognito';

/** How the local API authenticates. */
export type LocalAuth =
  /** `--no-auth`: every request is this user, in the staff group; the dashboard shows a banner. */
  | { readonly mode: 'none'; readonly user: string }
  /** cognito-local: bearer ID tokens verified against its JWKS. */
  | {
      readonly mode: 'password';
      readonly verify: IdTokenVerifier;
      readonly cognito: { readonly url: string; readonly clientId: string; readonly userPoolId: string };
    };

/** The runtime config the dashboard reads from `/config.json` (DASHBOARD-CONTRACT.md). */
export function localRuntimeConfig(auth: LocalAuth, refreshSeconds: number): Record<string, unknown> {
  return {
    apiBaseUrl: '',
    refreshSeconds,
    auth:
      auth.mode === 'none'
        ? { mode: 'none' }
        : {
            mode: 'password',
            endpoint: COGNITO_PROXY_PATH,
            clientId: auth.cognito.clientId,
            userPoolId: auth.cognito.userPoolId,
          },
  };
}

/** Claims as API Gateway's Cognito authorizer hands them to a function: every value a string. */
export function gatewayClaims(payload: JWTPayload): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(payload)) {
    if (v === undefined || v === null) continue;
    out[k] = Array.isArray(v) ? v.join(',') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

/** The authorizer context of a request, as API Gateway's Cognito authorizer would give it. */
async function authorizerOf(
  auth: LocalAuth,
  req: IncomingMessage,
): Promise<{ claims: Record<string, string> }> {
  if (auth.mode === 'none') {
    return { claims: { 'cognito:username': auth.user, 'cognito:groups': STAFF_GROUP, token_use: 'id' } };
  }
  const header = req.headers.authorization;
  const token = bearerToken(typeof header === 'string' ? header : undefined);
  if (token === undefined) {
    throw new UnauthorizedError('Sign in first: send a Cognito ID token as Authorization: Bearer <token>', {
      field: 'authorization',
    });
  }
  return { claims: gatewayClaims(await auth.verify(token)) };
}

/** The one route that needs no sign-in: says the server is up, and nothing else. */
export const HEALTH_PATH = '/local/health';

/**
 * The Host names this server answers to: loopback names with its own port. Anything else is a page
 * reaching the server through DNS rebinding (its name resolved to 127.0.0.1) and gets 421.
 */
export function allowedHosts(port: number): ReadonlySet<string> {
  return new Set([`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);
}

/** The staff check of the status document: the same token verification and group check as /api/*. */
async function requireStaff(auth: LocalAuth, req: IncomingMessage): Promise<void> {
  const authorizer = await authorizerOf(auth, req);
  const event: ProxyEvent = {
    httpMethod: req.method ?? 'GET',
    path: '/local/status',
    headers: Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]),
    ),
    requestContext: { authorizer },
  };
  await cognitoClaims(
    auth.mode === 'password'
      ? { clientId: auth.cognito.clientId, issuer: `${auth.cognito.url}/${auth.cognito.userPoolId}` }
      : {},
  )(event);
}

const quiet: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
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
  /** How API callers are authenticated. */
  readonly auth: LocalAuth;
  /** The site to serve. @default the placeholder page in dashboard/ */
  readonly siteDir?: string;
  /** The dashboard's auto-refresh, in `/config.json`. @default 60 */
  readonly refreshSeconds?: number;
  /** Where authentication failures of the verifier's backend are logged. */
  readonly log?: Log;
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
): Promise<{ url: string; close(): Promise<void> }> {
  const root = deps.siteDir ?? DASHBOARD_DIR;
  const log = deps.log ?? quiet;
  const config = JSON.stringify(localRuntimeConfig(deps.auth, deps.refreshSeconds ?? 60));
  const json = (status: number, body: unknown, extra: Record<string, string> = {}) => ({
    statusCode: status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...extra },
    body: JSON.stringify(body),
  });
  let hosts: ReadonlySet<string> = new Set();
  const server: Server = createServer((req, res) => {
    // Before anything else, and for every route: only this server's own loopback names.
    if (!hosts.has(String(req.headers.host ?? '').toLowerCase())) {
      req.resume();
      res.writeHead(421, { 'Content-Type': 'application/json', ...SECURITY_HEADERS });
      res.end(JSON.stringify({ error: 'Misdirected request: unknown Host', field: 'host' }));
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400, { 'Content-Type': 'text/plain', ...SECURITY_HEADERS });
      res.end('Bad path');
      return;
    }
    if (path === '/api' || path.startsWith('/api/')) {
      const api = deps.api;
      if (!api) {
        writeResult(res, json(404, { error: 'No API on this server', field: 'path' }), SECURITY_HEADERS);
        return;
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      authorizerOf(deps.auth, req)
        .then((authorizer) => serveApi(api, req, res, url, { authorizer, headers: SECURITY_HEADERS }))
        .catch((error: unknown) => {
          // Drain the body so the client reads the 401 instead of a reset connection.
          req.resume();
          writeResult(res, errorResult(error, log), SECURITY_HEADERS);
        });
      return;
    }
    if (path === COGNITO_PROXY_PATH) {
      if (deps.auth.mode !== 'password') {
        writeResult(res, json(404, { error: 'Sign-in is off (--no-auth)', field: 'path' }), SECURITY_HEADERS);
        return;
      }
      void proxyCognito(req, res, deps.auth.cognito, SECURITY_HEADERS);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'Content-Type': 'application/json', Allow: 'GET, HEAD', ...SECURITY_HEADERS });
      res.end(JSON.stringify({ error: 'Only GET is supported here', field: 'method' }));
      return;
    }
    if (path === '/config.json') {
      res.writeHead(200, {
        'Content-Type': 'application/json; charset=utf-8',
        'Cache-Control': 'no-store',
        ...SECURITY_HEADERS,
      });
      res.end(config);
      return;
    }
    if (path === HEALTH_PATH) {
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Cache-Control': 'no-store',
        ...SECURITY_HEADERS,
      });
      res.end('{"ok":true}');
      return;
    }
    if (path === '/local/status') {
      requireStaff(deps.auth, req)
        .then(
          () => buildStatus(deps),
          (error: unknown) => {
            writeResult(res, errorResult(error, log), SECURITY_HEADERS);
            return undefined;
          },
        )
        .then((status) => {
          if (status === undefined) return;
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
    // Sources next to the placeholder page are not part of the site.
    const servable = !/\.(ts|map)$/.test(file) && !file.startsWith(`${root}${sep}src${sep}`);
    const send = (body: Buffer, name: string): void => {
      const headers = {
        'Content-Type': TYPES[extname(name)] ?? 'application/octet-stream',
        // Revalidate every time: the build's file names carry no content hash.
        'Cache-Control': 'no-cache',
        ...SECURITY_HEADERS,
      };
      if (req.method === 'HEAD') {
        res.writeHead(200, headers);
        res.end();
        return;
      }
      // CloudFront compresses for clients that accept it; so does the local server.
      sendBody(res, 200, headers, body, acceptsGzip(req));
    };
    const notFound = (): void => {
      res.writeHead(404, { 'Content-Type': 'text/plain', ...SECURITY_HEADERS });
      res.end('Not found');
    };
    (servable ? readFile(file) : Promise.reject(new Error('not servable')))
      .then((body) => send(body, file))
      .catch(() => {
        // SPA routing, as CloudFront's error responses do: a path without an extension is a view.
        if (!servable || extname(path) !== '') return notFound();
        return readFile(join(root, 'index.html')).then((body) => send(body, 'index.html'), notFound);
      });
  });
  // Loopback only, whatever the auth mode (with --no-auth this is all that keeps others out).
  await new Promise<void>((ok, fail) => {
    server.on('error', fail);
    server.listen(port, '127.0.0.1', ok);
  });
  hosts = allowedHosts((server.address() as AddressInfo).port);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
