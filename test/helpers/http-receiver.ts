// (test helper) a real HTTP server on 127.0.0.1 that records every request (headers and raw body) and
// answers with the statuses it is told to, in order (then the last one again).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the receiver saw it. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A started receiver. */
export interface TestReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Statuses to answer, in order; the last repeats. */
  answer(...statuses: number[]): void;
  close(): Promise<void>;
}

/** Start a receiver on an ephemeral loopback port. */
export async function startReceiver(path = '/'): Promise<TestReceiver> {
  const requests: ReceivedRequest[] = [];
  let statuses = [202];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const status = statuses.length > 1 ? statuses.shift()! : statuses[0]!;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status < 300 ? { status: 'success' } : { status: 'error', code: status }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    answer: (...next) => {
      statuses = next.length > 0 ? next : [202];
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
