// (local stack) serves an API Gateway proxy handler (functions/api-routes.ts) on the local HTTP server:
// a Node request becomes a REST proxy event (with the verified token's claims as the Cognito authorizer
// context), the proxy result becomes the response, gzipped when the client accepts it as API Gateway does
// with a minimum compression size. The deployed API and the local one therefore run the same router,
// authentication check, validation and error mapping.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ApiHandler } from '../../functions/http';

/** How the adapter builds events. */
export interface ApiAdapterOptions {
  /** Caller recorded as the actor of changes (`requestContext.identity.user`), e.g. `local:alice`. */
  readonly user?: string;
  /** Authorizer context to pass through (issue #7: the verified Cognito claims as `{ claims }`). */
  readonly authorizer?: Record<string, unknown>;
  /** Largest accepted body. @default 64 KiB */
  readonly maxBodyBytes?: number;
  /** Headers added to every response (the local server's security headers). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The body was larger than `maxBodyBytes`. */
export class BodyTooLargeError extends Error {}

/**
 * Read a request body as UTF-8, refusing more than `max` bytes. An oversized body is drained (so the
 * client can read the 413) unless it exceeds 16 × `max`, when the connection is cut.
 */
export function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) chunks.push(chunk);
      else if (size > 16 * max) {
        fail(new BodyTooLargeError(`body larger than ${max} bytes`));
        req.destroy();
      }
    });
    req.on('end', () =>
      size > max
        ? fail(new BodyTooLargeError(`body larger than ${max} bytes`))
        : ok(Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', fail);
  });
}

/** A REST API proxy event for a Node request (path already decoded and checked by the caller). */
export function toProxyEvent(
  req: IncomingMessage,
  url: URL,
  body: string,
  options: ApiAdapterOptions = {},
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    headers[k] = values.join(', ');
    multiValueHeaders[k] = values;
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    query[k] = v;
    multiQuery[k] = [...(multiQuery[k] ?? []), v];
  }
  const hasQuery = Object.keys(query).length > 0;
  const method = (req.method ?? 'GET').toUpperCase();
  const now = Date.now();
  return {
    resource: url.pathname,
    path: url.pathname,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: null,
    stageVariables: null,
    body: body === '' ? null : body,
    isBase64Encoded: false,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      authorizer: options.authorizer ?? null,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: method,
      path: url.pathname,
      stage: 'local',
      requestId: randomUUID(),
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: url.pathname,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        user: options.user ?? null,
        userAgent: req.headers['user-agent'] ?? null,
        userArn: null,
      },
    },
  };
}

/** Bodies from this size are gzipped for clients that accept it (the deployed API's minimum compression size). */
export const MIN_COMPRESSION_BYTES = 1024;

/** True when the request's Accept-Encoding allows gzip. */
export function acceptsGzip(req: IncomingMessage): boolean {
  return /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
}

/** Write a body, gzipped when `gzip` is set and it is worth it (Content-Encoding and Vary set then). */
export function sendBody(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | number | boolean>,
  body: Buffer,
  gzip: boolean,
): void {
  if (gzip && body.length >= MIN_COMPRESSION_BYTES) {
    const packed = gzipSync(body);
    res.writeHead(status, {
      ...headers,
      'Content-Encoding': 'gzip',
      Vary: headers.Vary ? `${headers.Vary}, Accept-Encoding` : 'Accept-Encoding',
    } as Record<string, string>);
    res.end(packed);
    return;
  }
  res.writeHead(status, headers as Record<string, string>);
  res.end(body);
}

/** Write a proxy result to a Node response (gzipped when `gzip` and large enough). */
export function writeResult(
  res: ServerResponse,
  result: APIGatewayProxyResult,
  headers: Readonly<Record<string, string>> = {},
  gzip = false,
): void {
  const out: Record<string, string | number | boolean> = { ...headers };
  for (const [k, v] of Object.entries(result.headers ?? {})) out[k] = v;
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body, 'utf8');
  sendBody(res, result.statusCode, out, body, gzip);
}

/** Serve one request through `handler`. Never throws; a too-large body answers 413. */
export async function serveApi(
  handler: ApiHandler,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  options: ApiAdapterOptions = {},
): Promise<void> {
  const extra = options.headers ?? {};
  let body: string;
  try {
    body = await readBody(req, options.maxBodyBytes ?? 64 * 1024);
  } catch (error) {
    const tooLarge = error instanceof BodyTooLargeError;
    writeResult(
      res,
      {
        statusCode: tooLarge ? 413 : 400,
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ error: (error as Error).message, field: 'body' }),
      },
      extra,
    );
    return;
  }
  writeResult(res, await handler(toProxyEvent(req, url, body, options)), extra, acceptsGzip(req));
}
