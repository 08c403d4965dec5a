// The drift adapters against real emulators started by the test: predictions and drift state on
// dynalite, models on s3rver, e-mail through a real aws-ses-v2-local.

import { SESv2Client } from '@aws-sdk/client-sesv2';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDriftStore } from '../../shared/adapters/dynamodb-drift-store';
import { CHUNK_SIZE, DynamoPredictionStore } from '../../shared/adapters/dynamodb-prediction-store';
import { MemoryDriftStateStore, MemoryPredictionStore } from '../../shared/adapters/memory-drift-stores';
import { MemoryMetricStore } from '../../shared/adapters/memory-stores';
import { S3ModelStore } from '../../shared/adapters/s3-model-store';
import { localSesConfig, SesMailer } from '../../shared/adapters/ses-mailer';
import { alignFeatures, anomalyRate, resolveFeatures } from '../../shared/domain/drift';
import { IsolationForest } from '../../shared/domain/isolation-forest';
import { dedupePredictions, type IngestedPrediction } from '../../shared/domain/prediction-set';
import { createRng } from '../../shared/domain/random';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';
import { checkDrift } from '../../shared/use-cases/check-drift';
import { trainDriftModel } from '../../shared/use-cases/train-drift-model';
import { createPredictionsTable, startSesLocal, type TestSes } from '../helpers/drift';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';
import { recordingLog } from '../helpers/logs';
import { startS3rver, type TestS3 } from '../helpers/s3rver';

const MIN = 60_000;
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 24, 6);

let db: TestDynamo;
let table: string;
beforeAll(async () => {
  db = await startDynalite();
  table = await createPredictionsTable(db);
});
afterAll(async () => db.close());

function batch(model: string, n: number, from: number, seed: number, outcomes = false): IngestedPrediction[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => ({
    model,
    ts: from + i * 1000,
    score: rng.next(),
    key: seed * 1e6 + i,
    ...(outcomes && i % 2 === 0 ? { outcome: i % 4 === 0 } : {}),
  }));
}

describe('DynamoPredictionStore (dynalite)', () => {
  it('stores chunks per model and day, reads back exactly, lists the models', async () => {
    const store = new DynamoPredictionStore({ client: db.doc, tableName: table, retentionDays: 40 });
    // 4,500 predictions crossing midnight: 2 days → 3 + 1 chunks.
    const dayEnd = Date.UTC(2026, 10, 23);
    const preds = batch('churn-v3', 4500, dayEnd - 4000 * 1000, 1, true);
    expect(await store.append(preds, NOW)).toEqual({ written: 4500, failed: [] });
    const items = (await db.doc.send(new ScanCommand({ TableName: table }))).Items ?? [];
    const chunks = items.filter((i) => String(i.pk).startsWith('m#'));
    expect(chunks.map((c) => c.pk).sort()).toEqual([
      'm#churn-v3#2026-11-22',
      'm#churn-v3#2026-11-22',
      'm#churn-v3#2026-11-23',
    ]);
    expect(chunks.every((c) => Number(c.n) <= CHUNK_SIZE)).toBe(true);
    // TTL: end of the prediction's UTC day + 40 days.
    const first = chunks.find((c) => c.pk === 'm#churn-v3#2026-11-23');
    expect(first?.expiresAt).toBe(Date.UTC(2026, 10, 24) / 1000 + 40 * 86_400);

    const loaded = await store.load('churn-v3', dayEnd - 4000 * 1000, dayEnd + 500 * 1000, NOW);
    expect(loaded.ts.length).toBe(4500);
    const byKey = new Map(preds.map((p) => [p.key, p]));
    for (let i = 0; i < loaded.ts.length; i++) {
      const p = byKey.get(loaded.key[i]!)!;
      expect(loaded.score[i]).toBe(p.score);
      expect(loaded.ts[i]).toBe(p.ts);
      expect(loaded.outcomes?.[i]).toBe(p.outcome);
    }
    // A sub-range reads only the rows inside it.
    expect((await store.load('churn-v3', dayEnd, dayEnd + 100 * 1000, NOW)).ts.length).toBe(100);
    expect(await store.listModels(NOW)).toEqual([{ model: 'churn-v3', lastSeen: preds.at(-1)!.ts }]);
  });

  it('a re-delivered batch overwrites itself; duplicates across batches are dropped on read', async () => {
    const store = new DynamoPredictionStore({ client: db.doc, tableName: table });
    const from = NOW - 3 * DAY;
    const preds = batch('dup-model', 300, from, 2);
    await store.append(preds, NOW);
    await store.append(preds, NOW);
    const count = async () =>
      ((await db.doc.send(new ScanCommand({ TableName: table }))).Items ?? []).filter((i) =>
        String(i.pk).startsWith('m#dup-model#'),
      ).length;
    expect(await count()).toBe(1);
    await store.append([...preds.slice(0, 50), ...batch('dup-model', 10, from + 400_000, 3)], NOW);
    expect(await count()).toBe(2);
    const { columns, duplicates } = dedupePredictions(await store.load('dup-model', from, NOW, NOW));
    expect(columns.ts.length).toBe(310);
    expect(duplicates).toBe(50);
  });

  it('filters expired items (TTL is lazy)', async () => {
    const store = new DynamoPredictionStore({ client: db.doc, tableName: table, retentionDays: 2 });
    const from = NOW - DAY;
    await store.append(batch('short', 10, from, 4), NOW);
    expect((await store.load('short', from - DAY, NOW, NOW)).ts.length).toBe(10);
    expect((await store.load('short', from - DAY, NOW, NOW + 5 * DAY)).ts.length).toBe(0);
    expect((await store.listModels(NOW + 5 * DAY)).map((m) => m.model)).not.toContain('short');
  });
});

describe('DynamoDriftStore (dynalite, control table)', () => {
  it('lets exactly one of many concurrent claims take the day, and releases a claim', async () => {
    const store = new DynamoDriftStore({ client: db.doc, tableName: db.tables.control });
    await store.setStatus('model:a', 'drifting', NOW);
    const claims = await Promise.all(
      Array.from({ length: 10 }, () => store.claimMail('model:a', 'drifting', NOW)),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    const [state] = await store.listStates();
    expect(state).toEqual({
      subject: 'model:a',
      status: 'drifting',
      mailed: 'drifting',
      lastMailDay: '2026-11-24',
      lastMailAt: NOW,
      changedAt: NOW,
    });
    await store.releaseMail('model:a', undefined, NOW);
    expect((await store.listStates())[0]).toEqual({
      subject: 'model:a',
      status: 'drifting',
      mailed: 'ok',
      changedAt: NOW,
    });
    expect(await store.claimMail('model:a', 'drifting', NOW + 1)).toBe(true);
    expect(await store.claimMail('model:a', 'ok', NOW + DAY)).toBe(true);
  });

  it('stores each run (p-values below DynamoDB’s number range survive) and lists runs newest first', async () => {
    const store = new DynamoDriftStore({ client: db.doc, tableName: db.tables.control, retentionDays: 30 });
    const check = {
      kind: 'prediction' as const,
      subject: 'model:tiny-p',
      model: 'tiny-p',
      status: 'drift' as const,
      reason: 'r',
      recent: { from: 1, to: 2, n: 1_000_000 },
      baseline: { from: 0, to: 1, n: 900_000, pinned: false },
      duplicates: 0,
      ks: { statistic: 0.5, pValue: 1e-300, adjustedPValue: 3e-300, method: 'asymptotic' as const },
      performance: [],
    };
    for (const runAt of [NOW, NOW + 60_000]) {
      await store.recordRun({
        runAt,
        correction: 'bonferroni',
        alpha: 0.01,
        modelsTested: 1,
        checks: [check],
        mails: [],
      });
    }
    const runs = await store.listRuns(NOW, NOW);
    expect(runs.map((r) => r.runAt)).toEqual([NOW + 60_000, NOW]);
    expect(runs[0]!.checks[0]).toEqual(check);
    const items = (await db.doc.send(new ScanCommand({ TableName: db.tables.control }))).Items ?? [];
    expect(items.filter((i) => i.pk === 'drift#run').map((i) => i.sk)).toContain(
      `${new Date(NOW).toISOString()}#model:tiny-p`,
    );
  });
});

describe('train → S3 (s3rver) → load → score', () => {
  let s3: TestS3;
  beforeAll(async () => {
    s3 = await startS3rver('models');
  });
  afterAll(async () => s3.close());

  it('check-drift loads the model the trainer saved and scores exactly as the trained forest', async () => {
    const config = parseMonitorConfig({
      series: ['cpu_percent', 'memory_percent'].map((metric) => ({
        metric,
        namespace: 'T',
        metricName: metric,
      })),
      drift: { infra: { features: ['cpu_percent', 'memory_percent'], minRows: 100 } },
    });
    const features = resolveFeatures(config.drift.infra.features, expandSeries(config));
    const metrics = new MemoryMetricStore();
    const rng = createRng(3);
    for (let ts = NOW - 2 * DAY; ts < NOW; ts += MIN) {
      await metrics.putPoints(features.map((f) => ({ series: f.id, ts, value: rng.normal(50, 5) })));
    }
    const models = new S3ModelStore({ client: s3.client, bucket: s3.bucket });
    const trained = await trainDriftModel(
      {
        metrics,
        models,
        clock: { now: () => NOW },
        log: recordingLog(),
        features,
        settings: config.drift.infra,
      },
      { days: 2, now: NOW - DAY },
    );
    if (trained.status !== 'trained') throw new Error(trained.reason);
    expect(trained.key).toMatch(/^models\/infra\/v\/\d{8}T\d{9}Z-[0-9a-f]+\.json$/);

    const loaded = await models.loadLatest('infra');
    expect(loaded.metadata).toMatchObject({
      kind: 'isolation-forest',
      rows: 1440,
      seed: 42,
      version: trained.version,
    });
    const reloaded = IsolationForest.fromJSON(loaded.body);
    // Scored after the round trip, the training rows give exactly the trained share above the threshold.
    const rows = alignFeatures(
      await Promise.all(features.map((f) => metrics.queryRange(f.id, NOW - 2 * DAY, NOW - DAY - 1))),
      MIN,
    );
    const scores = reloaded.scoreAll({ data: rows.data, dims: rows.dims });
    expect(anomalyRate(scores, loaded.metadata.threshold as number).rate).toBe(trained.expectedRate);
    // The reloaded forest gives the trained threshold's share on its own training window.
    const r = await checkDrift({
      predictions: new MemoryPredictionStore(),
      metrics,
      models,
      state: new MemoryDriftStateStore(),
      clock: { now: () => NOW - DAY },
      log: recordingLog(),
      drift: config.drift,
      windows: { recentMs: DAY, baselineMs: DAY, infraRecentMs: 2 * DAY },
    });
    const infra = r.checks.find((c) => c.kind === 'infra');
    expect(infra).toMatchObject({ status: 'ok', rows: 1440, modelVersion: trained.version });
    expect(infra?.kind === 'infra' && infra.anomalies).toBe(Math.round(trained.expectedRate * 1440));
  });
});

describe('SesMailer against a real aws-ses-v2-local', () => {
  let ses: TestSes;
  beforeAll(async () => {
    ses = await startSesLocal();
  });
  afterAll(async () => ses.close());

  it('a drift run sends one e-mail that the local SES store holds, with subject, text and HTML', async () => {
    const client = new SESv2Client(localSesConfig(ses.endpoint));
    const mailer = new SesMailer({ client, from: 'sentinel@example.com', to: ['ml-team@example.com'] });
    const predictions = new MemoryPredictionStore();
    const rng = createRng(9);
    await predictions.append(
      Array.from({ length: 2000 }, (_, i) => {
        const recent = i >= 1500;
        return {
          model: 'fraud',
          ts: recent ? NOW - DAY + i * 1000 : NOW - 20 * DAY + i * 60_000,
          score: Math.min(1, Math.max(0, rng.normal(recent ? 0.7 : 0.3, 0.1))),
          key: i,
        };
      }),
    );
    const config = parseMonitorConfig({ series: [{ metric: 'x', namespace: 'N', metricName: 'M' }] });
    const r = await checkDrift({
      predictions,
      metrics: new MemoryMetricStore(),
      models: new S3ModelStore({ client: {} as never, bucket: 'unused' }),
      state: new MemoryDriftStateStore(),
      mailer,
      clock: { now: () => NOW },
      log: recordingLog(),
      drift: config.drift,
      dashboardUrl: 'http://127.0.0.1:3000/',
      skipInfra: true,
    });
    expect(r.drifting).toEqual(['model:fraud']);
    const emails = await ses.emails();
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({
      from: 'sentinel@example.com',
      destination: { to: ['ml-team@example.com'] },
      subject: expect.stringMatching(/^\[ML drift\] fraud: prediction scores shifted/),
    });
    expect(emails[0]!.body.text).toContain('quantile  baseline  recent  shift');
    expect(emails[0]!.body.html).toContain('<a href="http://127.0.0.1:3000/">');
    expect(r.mails[0]?.messageId).toBeTruthy();
    client.destroy();
  });
});
