// (handler helper) a small typed router over API Gateway REST proxy events, and the one place that maps
// errors to HTTP status codes. Every request is authenticated first (functions/auth.ts: a Cognito ID token
// in the `staff` group, 401/403 otherwise); every route declares zod schemas for its path parameters, query
// string and JSON body, and a request that fails them gets 400 `{ error, field, issues }` naming the first
// bad field. The same router serves the Lambda (functions/api.ts), the local server
// (infra/local/api-adapter.ts) and the feedback CLI.
import type { APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { MAX_BODY_BYTES, type RouteSpec } from '../shared/api/contract';
import type { ErrorBody } from '../shared/api/types';
import type { Actor } from '../shared/domain/feedback';
import {
  ConflictError,
  DependencyError,
  ForbiddenError,
  type MonitorError,
  messageOf,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from '../shared/errors';
import { formatIssues } from '../shared/monitor-config';
import type { Log } from '../shared/ports';
import type { Authenticator, Caller } from './auth';

export type { HttpMethod, RouteSpec } from '../shared/api/contract';

/** What a route handler receives: validated params, query and body, and who is calling. */
export interface RouteRequest<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  /** The authenticated caller. */
  readonly caller: Caller;
  /** The caller as the actor recorded on what the request changes. */
  readonly actor: Actor;
}

/** A handler's answer: a status and a JSON body of the route's contracted type (none for 204). */
export interface RouteResponse<R = unknown> {
  readonly status: number;
  readonly body?: R;
}

/** A route: its contract and its handler. */
export interface Route {
  readonly spec: RouteSpec;
  handle(request: RouteRequest<unknown, unknown, unknown>): Promise<RouteResponse>;
}

type Empty = z.ZodObject<Record<string, never>>;

/**
 * Declare a route; the handler's request is typed by the schemas and its answer by the contract's
 * success type (shared/api/types.ts), so the router cannot drift from what the SPA expects.
 */
export function route<
  P extends z.ZodType = Empty,
  Q extends z.ZodType = Empty,
  B extends z.ZodType = Empty,
  R = unknown,
>(
  spec: RouteSpec<P, Q, B, R>,
  handle: (request: RouteRequest<z.output<P>, z.output<Q>, z.output<B>>) => Promise<RouteResponse<R>>,
): Route {
  return {
    spec: spec as unknown as RouteSpec,
    handle: handle as Route['handle'],
  };
}

/** The parts of an API Gateway REST proxy event the router reads (validated on entry). */
export const ProxyEventSchema = z.object({
  httpMethod: z.string().min(1),
  path: z.string().startsWith('/'),
  /** The matched resource template (API Gateway) or the path (local adapter). */
  resource: z.string().nullish(),
  pathParameters: z.record(z.string(), z.string().optional()).nullish(),
  headers: z.record(z.string(), z.string().optional()).nullish(),
  /** Every value of each header (the authenticator refuses two Authorization headers). */
  multiValueHeaders: z.record(z.string(), z.array(z.string()).nullish()).nullish(),
  queryStringParameters: z.record(z.string(), z.string().optional()).nullish(),
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().nullish(),
  requestContext: z
    .object({
      requestId: z.string().optional(),
      identity: z
        .object({ userArn: z.string().nullish(), user: z.string().nullish(), caller: z.string().nullish() })
        .partial()
        .nullish(),
      authorizer: z.record(z.string(), z.unknown()).nullish(),
    })
    .partial()
    .nullish(),
});

/** A proxy event as the router sees it. */
export type ProxyEvent = z.output<typeof ProxyEventSchema>;

const HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

/** A JSON API Gateway result. */
export function jsonResult(
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: { ...HEADERS, ...headers },
    body: body === undefined || status === 204 ? '' : JSON.stringify(body),
  };
}

export type { ErrorBody };

/** `a.b: message` → `a.b`, for issues formatted by formatIssues. */
function fieldOfIssue(issue: string | undefined): string | null {
  const m = issue === undefined ? null : /^([A-Za-z0-9_.[\]-]+): /.exec(issue);
  return m ? m[1]! : null;
}

/**
 * The one mapping from errors to HTTP statuses: ValidationError 400, UnauthorizedError 401 (with a Bearer
 * challenge), ForbiddenError 403, NotFoundError 404, ConflictError 409, DependencyError 503, anything else
 * 500 (details logged, not returned).
 */
export function errorResult(error: unknown, log: Log): APIGatewayProxyResult {
  const body = (status: number, e: MonitorError, message = e.message): APIGatewayProxyResult =>
    jsonResult(status, { error: message, field: e.field ?? null } satisfies ErrorBody);
  if (error instanceof ValidationError) {
    return jsonResult(400, {
      error: error.message,
      field: error.field ?? fieldOfIssue(error.issues[0]),
      ...(error.issues.length > 0 ? { issues: error.issues } : {}),
    } satisfies ErrorBody);
  }
  if (error instanceof UnauthorizedError) {
    return jsonResult(401, { error: error.message, field: error.field ?? null } satisfies ErrorBody, {
      'WWW-Authenticate': 'Bearer',
    });
  }
  if (error instanceof ForbiddenError) return body(403, error);
  if (error instanceof NotFoundError) return body(404, error);
  if (error instanceof ConflictError) return body(409, error);
  if (error instanceof DependencyError) {
    log.error('Request failed on a dependency', { error: error.message, cause: String(error.cause) });
    return body(503, error, 'A backing service failed; try again');
  }
  log.error('Request failed', {
    error: messageOf(error),
    stack: error instanceof Error ? error.stack : undefined,
  });
  return jsonResult(500, { error: 'Internal error', field: null } satisfies ErrorBody);
}

/** The field a zod error is about: the first issue's path, or the first unknown key. */
function fieldOf(error: z.ZodError): string | undefined {
  const issue = error.issues[0];
  if (!issue) return undefined;
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  return path.length > 0 ? path.join('.') : undefined;
}

function invalid(part: string, error: z.ZodError): ValidationError {
  const field = fieldOf(error);
  return new ValidationError(`Invalid ${part}`, formatIssues(error), field === undefined ? {} : { field });
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Match a path against a template; the captured `{name}` segments, or undefined. */
function matchPath(template: readonly string[], path: readonly string[]): Record<string, string> | undefined {
  if (template.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const t = template[i]!;
    const p = path[i]!;
    if (t.startsWith('{') && t.endsWith('}')) params[t.slice(1, -1)] = decode(p);
    else if (t !== p) return undefined;
  }
  return params;
}

function header(event: ProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

/** An API handler: an API Gateway proxy event in, a proxy result out. Never throws. */
export type ApiHandler = (event: unknown) => Promise<APIGatewayProxyResult>;

/** How a router authenticates and what it adds to every response. */
export interface RouterOptions {
  /** Runs before any route is matched: an unauthenticated caller learns nothing about the routes. */
  readonly authenticate: Authenticator;
  /** Headers on every response, e.g. CORS's `Access-Control-Allow-Origin`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Build the router.
 * 1. Validate the event's shape; authenticate the caller (401 / 403, `field: "authorization"`).
 * 2. Find the route by path (404, `field: "path"`) and method (405 + Allow).
 * 3. Validate path parameters, query string and JSON body (a route with a body answers 415 unless the
 *    request says `application/json`, even when empty; 413 above MAX_BODY_BYTES; 400 naming the field).
 * 4. Run the handler with the caller; map whatever it throws with {@link errorResult}.
 */
export function createRouter(routes: readonly Route[], log: Log, options: RouterOptions): ApiHandler {
  const extra = options.headers ?? {};
  const answer = dispatcher(routes, log, options.authenticate);
  return async (raw) => {
    const result = await answer(raw);
    return { ...result, headers: { ...result.headers, ...extra } };
  };
}

function dispatcher(routes: readonly Route[], log: Log, authenticate: Authenticator): ApiHandler {
  const compiled = routes.map((r) => ({ route: r, template: splitPath(r.spec.path) }));
  return async (raw) => {
    const parsedEvent = ProxyEventSchema.safeParse(raw);
    if (!parsedEvent.success) return errorResult(invalid('API Gateway event', parsedEvent.error), log);
    const event = parsedEvent.data;
    let caller: Caller;
    try {
      caller = await authenticate(event);
    } catch (error) {
      return errorResult(error, log);
    }
    const path = splitPath(event.path);
    let candidates = compiled
      .map((c) => ({ ...c, params: matchPath(c.template, path) }))
      .filter((c) => c.params !== undefined);
    // Behind a custom domain's base path `event.path` carries the prefix; the resource template does not.
    if (candidates.length === 0 && event.resource) {
      const params = Object.fromEntries(
        Object.entries(event.pathParameters ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
      );
      candidates = compiled
        .filter((c) => c.route.spec.path === event.resource)
        .map((c) => ({ ...c, params }));
    }
    if (candidates.length === 0) {
      return jsonResult(404, { error: `No route ${event.path}`, field: 'path' } satisfies ErrorBody);
    }
    const method = event.httpMethod.toUpperCase();
    const match = candidates.find((c) => c.route.spec.method === method);
    if (!match) {
      const allow = [...new Set(candidates.map((c) => c.route.spec.method))].join(', ');
      return jsonResult(
        405,
        { error: `${method} is not supported here`, field: 'method' } satisfies ErrorBody,
        {
          Allow: allow,
        },
      );
    }
    const { spec } = match.route;
    try {
      const params = (spec.params ?? z.object({})).safeParse(match.params);
      if (!params.success) throw invalid('path', params.error);
      const query = (spec.query ?? z.object({})).safeParse(event.queryStringParameters ?? {});
      if (!query.success) throw invalid('query string', query.error);
      let body: unknown = {};
      if (spec.body) {
        // Required even for an empty body: browsers cannot send application/json cross-site without a
        // CORS preflight, so a page on another origin cannot POST to an unauthenticated local server.
        if (!(header(event, 'content-type') ?? '').toLowerCase().startsWith('application/json')) {
          return jsonResult(415, {
            error: 'Content-Type must be application/json',
            field: 'Content-Type',
          } satisfies ErrorBody);
        }
        const raw = event.body ?? '';
        // Bounded before decoding and parsing: a large body costs memory and CPU however it fails.
        const bytes = event.isBase64Encoded
          ? Math.floor((raw.length * 3) / 4)
          : Buffer.byteLength(raw, 'utf8');
        if (bytes > MAX_BODY_BYTES) {
          return jsonResult(413, {
            error: `Body too large: at most ${MAX_BODY_BYTES} bytes`,
            field: 'body',
          } satisfies ErrorBody);
        }
        const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
        if (text.trim() !== '') {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            throw new ValidationError('Body must be JSON', ['body: not valid JSON'], { field: 'body' });
          }
          const parsed = spec.body.safeParse(json);
          if (!parsed.success) throw invalid('body', parsed.error);
          body = parsed.data;
        } else {
          const parsed = spec.body.safeParse({});
          if (!parsed.success) throw invalid('body', parsed.error);
          body = parsed.data;
        }
      }
      const actor: Actor = { kind: 'person', name: caller.name };
      const result = await match.route.handle({
        params: params.data,
        query: query.data,
        body,
        caller,
        actor,
      });
      return jsonResult(result.status, result.body);
    } catch (error) {
      return errorResult(error, log);
    }
  };
}
