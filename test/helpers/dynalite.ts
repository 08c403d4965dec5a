// Test helper: a real, wire-compatible DynamoDB (dynalite) on loopback, started by the test itself.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startDynalite as startServer } from '../../infra/local/dynalite-server';
import { ensureTable } from '../../shared/adapters/dynamodb-admin';
import { createDocumentClient, localClientConfig } from '../../shared/adapters/dynamodb-client';
import {
  ANOMALIES_TABLE,
  CONTROL_TABLE,
  POINTS_TABLE,
  PREDICTIONS_TABLE,
} from '../../shared/adapters/table-schemas';

/** A running emulator with the project's tables created under unique names. */
export interface TestDynamo {
  readonly endpoint: string;
  readonly raw: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly tables: {
    readonly points: string;
    readonly anomalies: string;
    readonly control: string;
    readonly predictions: string;
  };
  close(): Promise<void>;
}

/** Start dynalite on a free loopback port and create the four tables. */
export async function startDynalite(): Promise<TestDynamo> {
  const server = await startServer({});
  const endpoint = server.endpoint;
  const raw = new DynamoDBClient(localClientConfig(endpoint));
  const doc = createDocumentClient(localClientConfig(endpoint));
  const tables = {
    points: 'test-points',
    anomalies: 'test-anomalies',
    control: 'test-control',
    predictions: 'test-predictions',
  };
  await ensureTable(raw, POINTS_TABLE, tables.points);
  await ensureTable(raw, ANOMALIES_TABLE, tables.anomalies);
  await ensureTable(raw, CONTROL_TABLE, tables.control);
  await ensureTable(raw, PREDICTIONS_TABLE, tables.predictions);
  return {
    endpoint,
    raw,
    doc,
    tables,
    close: async () => {
      raw.destroy();
      doc.destroy();
      await server.close();
    },
  };
}
