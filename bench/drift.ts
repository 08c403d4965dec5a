// ML drift benchmark: the production train-drift and check-drift use cases at the sizes the issue names.
//   npm run bench:drift [-- --rows 43200 --predictions 1000000 --no-dynalite]
// 1. Train: 30 days of 1-minute metrics × 5 features (43,200 rows) through trainDriftModel (read from the
//    metric store, align, fit, score, threshold, serialize); reports wall time, fit time, model size.
// 2. Check: 1,000,000 predictions of one model over 37 days (20% with outcomes) through checkDrift —
//    read, dedupe, K-S (asymptotic at this size), p10/p50/p90, accuracy 24 h / 7 d, correction, state,
//    e-mail render — first from memory, then from the real DynamoDB adapter on dynalite (chunked items).
import '../scripts/quiet-sdk-warning';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynalite } from '../infra/local/dynalite-server';
import { ensureTable } from '../shared/adapters/dynamodb-admin';
import { createDocumentClient, localClientConfig } from '../shared/adapters/dynamodb-client';
import { CHUNK_SIZE, DynamoPredictionStore } from '../shared/adapters/dynamodb-prediction-store';
import {
  MemoryDriftStateStore,
  MemoryModelStore,
  MemoryPredictionStore,
  RecordingMailer,
} from '../shared/adapters/memory-drift-stores';
import { MemoryMetricStore } from '../shared/adapters/memory-stores';
import { PREDICTIONS_TABLE } from '../shared/adapters/table-schemas';
import type { FeatureRef } from '../shared/domain/drift';
import { ksTwoSample } from '../shared/domain/ks-test';
import type { IngestedPrediction, PredictionColumns } from '../shared/domain/prediction-set';
import { createRng } from '../shared/domain/random';
import { parseMonitorConfig } from '../shared/monitor-config';
import type { Log, PredictionStore } from '../shared/ports';
import { checkDrift } from '../shared/use-cases/check-drift';
import { trainDriftModel } from '../shared/use-cases/train-drift-model';
import { markdownTable } from './table';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '43200' },
    predictions: { type: 'string', default: '1000000' },
    'no-dynalite': { type: 'boolean', default: false },
  },
});
const ROWS = Number(values.rows);
const N = Number(values.predictions);
const MIN = 60_000;
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 24, 6);
const quiet: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: console.warn,
  error: console.error,
};
const config = parseMonitorConfig({
  series: [{ metric: 'x', namespace: 'N', metricName: 'M' }],
  drift: { fromEmail: 'a@example.com', toEmails: ['b@example.com'], infra: { minRows: 1000 } },
});
const rowsOut: [string, string, string][] = [];
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function benchTrain(): Promise<void> {
  const features: FeatureRef[] = ['cpu', 'memory', 'disk_read', 'disk_write', 'db_query_ms'].map((f) => ({
    id: `bench/${f}`,
    label: f,
  }));
  const metrics = new MemoryMetricStore();
  const rng = createRng(42);
  const to = NOW;
  const from = to - ROWS * MIN;
  for (let r = 0; r < ROWS; r++) {
    const ts = from + r * MIN;
    const load = Math.sin((2 * Math.PI * r) / 1440) + rng.normal(0, 0.3);
    await metrics.putPoints(
      features.map((f, i) => ({ series: f.id, ts, value: 20 * (i + 1) + 10 * load + rng.normal(0, 2) })),
    );
  }
  const models = new MemoryModelStore();
  const t0 = performance.now();
  const r = await trainDriftModel(
    { metrics, models, clock: { now: () => NOW }, log: quiet, features, settings: config.drift.infra },
    { days: Math.ceil(ROWS / 1440), now: NOW },
  );
  const wall = performance.now() - t0;
  if (r.status !== 'trained') throw new Error(r.reason);
  rowsOut.push(
    [
      `train: ${r.rows.toLocaleString('en-US')} rows × ${features.length} features, total (read, align, fit, score, save)`,
      seconds(wall),
      'trainDriftModel, in-memory stores',
    ],
    ['train: fit only (100 trees, ψ = 256)', seconds(r.trainingSeconds * 1000), 'metadata trainingSeconds'],
    [
      'model JSON size',
      `${(r.modelBytes / 1024).toFixed(0)} KiB`,
      `${r.modelBytes.toLocaleString('en-US')} bytes`,
    ],
  );
}

/** `n` predictions of one model over the 37 days before NOW; the recent week shifted by +0.05. */
function* predictionBatches(n: number, batch: number): Generator<IngestedPrediction[]> {
  const rng = createRng(7);
  const span = 37 * DAY;
  for (let start = 0; start < n; start += batch) {
    const out: IngestedPrediction[] = [];
    for (let i = start; i < Math.min(n, start + batch); i++) {
      const ts = NOW - span + (span * (i + 0.5)) / n;
      const recent = ts >= NOW - 7 * DAY;
      const score = Math.min(1, Math.max(0, rng.normal(recent ? 0.35 : 0.3, 0.1)));
      out.push({
        model: 'bench-model',
        ts,
        score,
        key: i,
        ...(i % 5 === 0 ? { outcome: rng.next() < score } : {}),
      });
    }
    yield out;
  }
}

async function timeCheck(label: string, predictions: PredictionStore, note: string): Promise<void> {
  const t0 = performance.now();
  const r = await checkDrift({
    predictions,
    metrics: new MemoryMetricStore(),
    models: new MemoryModelStore(),
    state: new MemoryDriftStateStore(),
    mailer: new RecordingMailer(),
    clock: { now: () => NOW },
    log: quiet,
    drift: config.drift,
    skipInfra: true,
  });
  const wall = performance.now() - t0;
  const c = r.checks[0];
  if (c?.kind !== 'prediction') throw new Error('no prediction check');
  rowsOut.push([
    `${label}: ${(c.recent.n + c.baseline.n).toLocaleString('en-US')} predictions (recent ${c.recent.n.toLocaleString('en-US')})`,
    seconds(wall),
    `${note}; D = ${c.ks?.statistic.toFixed(3)}, ${c.status}, ${r.mails.length} e-mail`,
  ]);
}

async function benchCheck(): Promise<void> {
  const memory = new MemoryPredictionStore();
  for (const b of predictionBatches(N, 100_000)) await memory.append(b);
  await timeCheck('check-drift, memory store', memory, 'read + dedupe + K-S + quantiles + accuracy');

  // K-S alone on the same split.
  const all: PredictionColumns = await memory.load('bench-model', NOW - 37 * DAY, NOW);
  const recent: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < all.ts.length; i++)
    ((all.ts[i] as number) >= NOW - 7 * DAY ? recent : baseline).push(all.score[i] as number);
  const t0 = performance.now();
  const ks = ksTwoSample(baseline, recent);
  rowsOut.push([
    `K-S alone (${ks.method})`,
    seconds(performance.now() - t0),
    `n1 = ${ks.n1.toLocaleString('en-US')}, n2 = ${ks.n2.toLocaleString('en-US')}`,
  ]);

  if (values['no-dynalite']) return;
  const dir = mkdtempSync(join(tmpdir(), 'bench-drift-'));
  const db = await startDynalite({ path: join(dir, 'db') });
  const raw = new DynamoDBClient(localClientConfig(db.endpoint));
  const doc = createDocumentClient(localClientConfig(db.endpoint));
  try {
    await ensureTable(raw, PREDICTIONS_TABLE, 'bench-predictions');
    const store = new DynamoPredictionStore({
      client: doc,
      tableName: 'bench-predictions',
      retentionDays: 40,
    });
    const t0w = performance.now();
    let items = 0;
    for (const b of predictionBatches(N, 1000)) {
      // As ingest does: one SQS batch (≤ 1,000 events) per call.
      const w = await store.append(b, NOW);
      if (w.failed.length > 0) throw new Error(`${w.failed.length} not written`);
      items += new Set(b.map((p) => new Date(p.ts).toISOString().slice(0, 10))).size;
    }
    rowsOut.push([
      `ingest into dynalite: ${N.toLocaleString('en-US')} predictions in 1,000-event batches`,
      seconds(performance.now() - t0w),
      `~${items.toLocaleString('en-US')} chunk items (≤ ${CHUNK_SIZE} each), ~${mb(N * 24)} of columns`,
    ]);
    await timeCheck(
      'check-drift, DynamoDB adapter on dynalite',
      store,
      'incl. Query of every chunk over loopback',
    );
  } finally {
    raw.destroy();
    doc.destroy();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const t0 = performance.now();
  process.stderr.write('training…\n');
  await benchTrain();
  process.stderr.write('checking (memory, then dynalite)…\n');
  await benchCheck();
  for (const l of markdownTable(['what', 'time / size', 'notes'], rowsOut)) console.log(l);
  console.log(`\nNode ${process.version}, ${seconds(performance.now() - t0)} in all.`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
