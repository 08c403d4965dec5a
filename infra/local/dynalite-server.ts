// (local stack) dynalite — a wire-compatible DynamoDB — in-process on loopback, persisted with LevelDB.
import type { AddressInfo } from 'node:net';

interface DynaliteServer {
  listen(port: number, host: string, cb: () => void): void;
  on(event: 'error', cb: (error: Error) => void): void;
  address(): AddressInfo;
  close(cb: (error?: Error) => void): void;
}

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (opts: {
  createTableMs: number;
  deleteTableMs: number;
  path?: string;
}) => DynaliteServer;

/** A running dynalite. */
export interface RunningDynalite {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Start dynalite on 127.0.0.1 (`port` 0 = any free port), keeping data under `path` when given. */
export async function startDynalite(options: { path?: string; port?: number }): Promise<RunningDynalite> {
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.on('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
