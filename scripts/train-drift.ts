// (CLI) train the infra drift model on the local stack's data:
//   npm run train-drift -- --days 30 [--seed 42] [--min-rows 1000] [--data-dir .local] [--config file]
// Uses the running `npm start` (its endpoints are in <data-dir>/stack.json); when none is running it
// opens the same data itself (dynalite on <data-dir>/dynamodb, s3rver on <data-dir>/s3). In AWS, train
// with the command the stack prints (output TrainDriftCommand).
import './quiet-sdk-warning';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { parseOptions } from '../infra/local/args';
import { LOCAL_DRIFT, lastSeries, runningStack, startLocalS3 } from '../infra/local/drift-local';
import { startDynalite } from '../infra/local/dynalite-server';
import { LOCAL_TABLES, loadLocalConfig } from '../infra/local/local-stack';
import { ensureTable } from '../shared/adapters/dynamodb-admin';
import { createDocumentClient, localClientConfig } from '../shared/adapters/dynamodb-client';
import { DynamoMetricStore } from '../shared/adapters/dynamodb-metric-store';
import { hostSeries } from '../shared/adapters/local-host-source';
import { localS3Config, S3ModelStore } from '../shared/adapters/s3-model-store';
import { POINTS_TABLE } from '../shared/adapters/table-schemas';
import { type FeatureRef, resolveFeatures } from '../shared/domain/drift';
import { MonitorError, ValidationError } from '../shared/errors';
import type { Log } from '../shared/ports';
import { type TrainProgress, trainDriftModel } from '../shared/use-cases/train-drift-model';

/** The host metrics the local stack collects that make sense as infra features. */
export const LOCAL_FEATURES = ['cpu_percent', 'memory_percent', 'disk_read_mb', 'disk_write_mb', 'load_1m'];

const OptionsSchema = z.strictObject({
  days: z.coerce.number().int().min(1).max(365).optional(),
  seed: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .optional(),
  'min-rows': z.coerce.number().int().min(10).optional(),
  'data-dir': z.string().min(1).default('.local'),
  config: z.string().min(1).optional(),
});

/** A one-line progress bar on stderr (plain lines when stderr is not a terminal). */
export function progressBar(write: (text: string) => void, tty: boolean): (p: TrainProgress) => void {
  let lastStage = '';
  return (p) => {
    const fraction = p.total === 0 ? 1 : p.done / p.total;
    if (tty) {
      const width = 30;
      const filled = Math.round(fraction * width);
      write(
        `\r  ${p.stage.padEnd(5)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}%  ${p.done}/${p.total}`,
      );
      if (p.done === p.total) write('\n');
    } else if (p.stage !== lastStage || p.done === p.total) {
      if (p.done === p.total) write(`  ${p.stage}: ${p.done}/${p.total} done\n`);
    }
    lastStage = p.stage;
  };
}

/** Resolve the configured features against the local series, else the host defaults. */
export function localFeatures(
  configured: readonly string[],
  series: Parameters<typeof resolveFeatures>[1],
  note: (text: string) => void,
): FeatureRef[] {
  try {
    return resolveFeatures(configured, series);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const available = LOCAL_FEATURES.filter((m) => series.some((s) => s.metric === m));
    note(
      `drift.infra.features do not match the local host series (${error.issues[0]}); using ${available.join(', ')}`,
    );
    return resolveFeatures(available, series);
  }
}

async function main(): Promise<void> {
  const o = parseOptions(OptionsSchema, {
    days: { type: 'string' },
    seed: { type: 'string' },
    'min-rows': { type: 'string' },
    'data-dir': { type: 'string' },
    config: { type: 'string' },
  });
  const { config } = loadLocalConfig(o.config);
  const dataDir = resolve(o['data-dir']);
  const settings = { ...config.drift.infra, ...(o['min-rows'] ? { minRows: o['min-rows'] } : {}) };

  const running = runningStack(dataDir);
  const closers: (() => Promise<void>)[] = [];
  let dynamodb: string;
  let s3: string;
  if (running) {
    console.log(
      `Using the running local stack (pid ${running.pid}): DynamoDB ${running.dynamodb}, S3 ${running.s3}`,
    );
    dynamodb = running.dynamodb;
    s3 = running.s3;
  } else {
    const db = await startDynalite({ path: join(dataDir, 'dynamodb') });
    const raw = new DynamoDBClient(localClientConfig(db.endpoint));
    await ensureTable(raw, POINTS_TABLE, LOCAL_TABLES.points);
    raw.destroy();
    const store = await startLocalS3(join(dataDir, 's3'));
    closers.push(
      () => db.close(),
      () => store.close(),
    );
    console.log(`No local stack running on ${dataDir}: opened its data directly`);
    dynamodb = db.endpoint;
    s3 = store.endpoint;
  }
  const series = running?.series ?? lastSeries(dataDir) ?? hostSeries(10, hostname());
  const features = localFeatures(settings.features, series, (t) => console.log(`Note: ${t}`));
  const doc = createDocumentClient(localClientConfig(dynamodb));
  const s3Client = new S3Client(localS3Config(s3));
  const quiet: Log = {
    debug: () => undefined,
    info: () => undefined,
    warn: console.warn,
    error: console.error,
  };
  console.log(`Training "${settings.modelName}" on ${features.map((f) => f.label).join(', ')}`);
  try {
    const result = await trainDriftModel(
      {
        metrics: new DynamoMetricStore({ client: doc, tableName: LOCAL_TABLES.points }),
        models: new S3ModelStore({ client: s3Client, bucket: LOCAL_DRIFT.modelsBucket }),
        clock: { now: () => Date.now() },
        log: quiet,
        features,
        settings,
        onProgress: progressBar((t) => process.stderr.write(t), Boolean(process.stderr.isTTY)),
      },
      { ...(o.days ? { days: o.days } : {}), ...(o.seed !== undefined ? { seed: o.seed } : {}) },
    );
    if (result.status === 'refused') {
      console.error(`Refused: ${result.reason}`);
      console.error('Let `npm start` collect longer, or lower the bar for a demo: --min-rows 60');
      process.exitCode = 2;
      return;
    }
    console.log(
      `Trained ${result.model} ${result.version}: ${result.rows} rows (${result.droppedRows} dropped for gaps), ` +
        `${result.trainingSeconds.toFixed(2)} s, ${(result.modelBytes / 1024).toFixed(0)} KiB, ` +
        `threshold ${result.threshold.toFixed(4)}, expected anomaly rate ${(result.expectedRate * 100).toFixed(2)}%`,
    );
    console.log(`Saved to s3://${LOCAL_DRIFT.modelsBucket}/${result.key} (${s3})`);
  } finally {
    doc.destroy();
    s3Client.destroy();
    for (const close of closers) await close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof MonitorError ? error.message : error);
    process.exit(1);
  });
}
