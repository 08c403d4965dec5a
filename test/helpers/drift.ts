// Test helpers for the ML drift tests: the predictions table on a test dynalite, and a real
// aws-ses-v2-local on loopback.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ensureTable } from '../../shared/adapters/dynamodb-admin';
import { PREDICTIONS_TABLE } from '../../shared/adapters/table-schemas';
import type { TestDynamo } from './dynalite';

/** Create the predictions table on a test dynalite; returns its name. */
export async function createPredictionsTable(db: TestDynamo, name = 'test-predictions'): Promise<string> {
  await ensureTable(db.raw, PREDICTIONS_TABLE, name);
  return name;
}

/** A running aws-ses-v2-local. */
export interface TestSes {
  readonly endpoint: string;
  /** The mail the emulator holds (its `GET /store`). */
  emails(): Promise<
    {
      subject: string;
      from: string;
      destination: { to: string[] };
      body: { text?: string; html?: string };
    }[]
  >;
  close(): Promise<void>;
}

/** Start aws-ses-v2-local on a free loopback port, with an empty store. */
export async function startSesLocal(): Promise<TestSes> {
  // aws-ses-v2-local keeps its store in module state; clear it so tests do not see each other's mail.
  const mod = require('aws-ses-v2-local') as {
    default: (c: { host: string; port: number }) => Promise<Server>;
  };
  const server = await mod.default({ host: '127.0.0.1', port: 0 });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await fetch(`${endpoint}/clear-store`, { method: 'POST' });
  return {
    endpoint,
    emails: async () => ((await (await fetch(`${endpoint}/store`)).json()) as { emails: never[] }).emails,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
