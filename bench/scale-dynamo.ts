// bench:scale's cross-check: one shard's timeline through the real DynamoDB adapters against dynalite
// (a wire-compatible DynamoDB, run in a child process so this process's CPU time is the client's own:
// adapters, the SDK's marshalling and HTTP). A middleware on the client counts every request and the
// capacity dynalite charges for it, to compare with what the counting wrappers model. Checkpoints stay
// in memory (counted the same way in both runs).
import { type ChildProcess, spawn } from 'node:child_process';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTable } from '../shared/adapters/dynamodb-admin';
import { DynamoAlertStore } from '../shared/adapters/dynamodb-alert-store';
import { DynamoAnomalyStore } from '../shared/adapters/dynamodb-anomaly-store';
import { localClientConfig } from '../shared/adapters/dynamodb-client';
import { DynamoControlStore } from '../shared/adapters/dynamodb-control-store';
import { DynamoMetricStore } from '../shared/adapters/dynamodb-metric-store';
import { DynamoRateLimiter } from '../shared/adapters/dynamodb-rate-limiter';
import { DynamoThresholdStore } from '../shared/adapters/dynamodb-threshold-store';
import { MemoryCheckpointStore, MemoryRecentBandStore } from '../shared/adapters/memory-stores';
import { ANOMALIES_TABLE, CONTROL_TABLE, POINTS_TABLE } from '../shared/adapters/table-schemas';
import { bucketConfigOf } from '../shared/domain/token-bucket';
import type { MonitorConfig } from '../shared/monitor-config';
import {
  CountingAlertStore,
  CountingAnomalyStore,
  CountingCheckpointStore,
  CountingControlStore,
  CountingMetricStore,
  CountingRateLimiter,
  CountingRecentBandStore,
  countDynamoRequests,
  countingDeadLetter,
  countingThresholds,
  type DynamoTally,
  RecordingPublisher,
  type Tally,
} from './scale-counting';
import type { ShardStores, SimClock } from './scale-run';

/** Table names of the slice. */
export const SLICE_TABLES = {
  points: 'bench-points',
  anomalies: 'bench-anomalies',
  control: 'bench-control',
};

/** A dynalite in a child process, its tables created, and stores over it. */
export interface DynaliteSlice {
  readonly stores: ShardStores;
  readonly dynamo: DynamoTally;
  close(): Promise<void>;
}

/** Start dynalite in a child Node on a free loopback port. */
async function startChild(): Promise<{ child: ChildProcess; endpoint: string }> {
  const script = [
    `const dynalite = require(${JSON.stringify(require.resolve('dynalite'))});`,
    'const server = dynalite({ createTableMs: 0, deleteTableMs: 0 });',
    "server.listen(0, '127.0.0.1', () => process.stdout.write('PORT ' + server.address().port + '\\n'));",
  ].join('\n');
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const m = /PORT (\d+)/.exec(text);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`dynalite exited (${code})`)));
  });
  return { child, endpoint: `http://127.0.0.1:${port}` };
}

/** Dynalite with the points, anomalies and control tables, and the real adapters over it. */
export async function startSlice(
  config: MonitorConfig,
  tally: Tally,
  clock: SimClock,
): Promise<DynaliteSlice> {
  const { child, endpoint } = await startChild();
  const raw = new DynamoDBClient(localClientConfig(endpoint));
  await ensureTable(raw, POINTS_TABLE, SLICE_TABLES.points);
  await ensureTable(raw, ANOMALIES_TABLE, SLICE_TABLES.anomalies);
  await ensureTable(raw, CONTROL_TABLE, SLICE_TABLES.control);
  const dynamo = countDynamoRequests(raw);
  const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  const points = new DynamoMetricStore({
    client,
    tableName: SLICE_TABLES.points,
    retentionDays: config.retentionDays,
  });
  const control = new DynamoControlStore({ client, tableName: SLICE_TABLES.control });
  const stores: ShardStores = {
    points: new CountingMetricStore(points, tally),
    anomalies: new CountingAnomalyStore(
      new DynamoAnomalyStore({
        client,
        tableName: SLICE_TABLES.anomalies,
        retentionDays: config.retentionDays,
      }),
      tally,
    ),
    control: new CountingControlStore(control, tally),
    alerts: new CountingAlertStore(new DynamoAlertStore({ client, tableName: SLICE_TABLES.control }), tally),
    limiter: new CountingRateLimiter(
      new DynamoRateLimiter({
        client,
        tableName: SLICE_TABLES.control,
        config: bucketConfigOf(config.alerts.rateLimit),
      }),
      tally,
    ),
    thresholds: countingThresholds(
      new DynamoThresholdStore({ client, tableName: SLICE_TABLES.control }),
      tally,
    ),
    checkpoints: new CountingCheckpointStore(new MemoryCheckpointStore(), tally),
    recentBands: new CountingRecentBandStore(new MemoryRecentBandStore(), tally),
    publisher: new RecordingPublisher(clock, tally),
    deadLetter: countingDeadLetter(tally),
    setup: { points, control },
  };
  return {
    stores,
    dynamo,
    close: async () => {
      client.destroy();
      raw.destroy();
      child.kill();
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
