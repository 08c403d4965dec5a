// Test helper: a real, wire-compatible DynamoDB (dynalite) on loopback, started by the test itself.
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, localClientConfig } from '../../shared/adapters/dynamodb-client';
import { ensureTable } from '../../shared/adapters/dynamodb-admin';
import { ANOMALIES_TABLE, CONTROL_TABLE, POINTS_TABLE } from '../../shared/adapters/table-schemas';

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (opts: { createTableMs: number; deleteTableMs?: number; path?: string }) => {
  listen(port: number, host: string, cb: () => void): void;
  address(): AddressInfo;
  close(cb: () => void): void;
};

/** A running emulator with the project's tables created under unique names. */
export interface TestDynamo {
  readonly endpoint: string;
  readonly raw: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly tables: { readonly points: string; readonly anomalies: string; readonly control: string };
  close(): Promise<void>;
}

/** Start dynalite on a free loopback port and create the three tables. */
export async function startDynalite(): Promise<TestDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${server.address().port}`;
  const raw = new DynamoDBClient(localClientConfig(endpoint));
  const doc = createDocumentClient(localClientConfig(endpoint));
  const tables = { points: 'test-points', anomalies: 'test-anomalies', control: 'test-control' };
  await ensureTable(raw, POINTS_TABLE, tables.points);
  await ensureTable(raw, ANOMALIES_TABLE, tables.anomalies);
  await ensureTable(raw, CONTROL_TABLE, tables.control);
  return {
    endpoint,
    raw,
    doc,
    tables,
    close: async () => {
      raw.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
