// Train and check use cases over in-memory stores: the decisions, the e-mail rules and the failure paths.
import {
  MemoryDriftStateStore,
  MemoryModelStore,
  MemoryPredictionStore,
  RecordingMailer,
} from '../../shared/adapters/memory-drift-stores';
import { MemoryMetricStore } from '../../shared/adapters/memory-stores';
import { resolveFeatures } from '../../shared/domain/drift';
import type { IngestedPrediction } from '../../shared/domain/prediction-set';
import { createRng } from '../../shared/domain/random';
import type { MetricPoint } from '../../shared/domain/types';
import { DependencyError } from '../../shared/errors';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';
import type { PredictionStore } from '../../shared/ports';
import { checkDrift } from '../../shared/use-cases/check-drift';
import { ingestPredictions } from '../../shared/use-cases/ingest-predictions';
import { trainDriftModel } from '../../shared/use-cases/train-drift-model';
import { recordingLog } from '../helpers/logs';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 24, 6);

const config = parseMonitorConfig({
  series: ['cpu_percent', 'memory_percent', 'db_query_time_ms'].map((metric) => ({
    metric,
    namespace: 'Test',
    metricName: metric,
    dimensions: { host: 'h1' },
    label: 'h1',
  })),
  drift: {
    fromEmail: 'sentinel@example.com',
    toEmails: ['ml-team@example.com'],
    predictions: { models: ['never-sent'] },
    infra: {
      features: ['cpu_percent', 'memory_percent', 'db_query_time_ms'],
      minRows: 500,
      minRecentRows: 60,
    },
  },
});
const features = resolveFeatures(config.drift.infra.features, expandSeries(config));

/** `count` predictions spread over [from, to), scores ~ N(mean, 0.1) clipped to [0, 1]. */
function predictions(
  model: string,
  from: number,
  to: number,
  count: number,
  mean: number,
  seed: number,
  label = false,
): IngestedPrediction[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, (_, i) => {
    const score = Math.min(1, Math.max(0, rng.normal(mean, 0.1)));
    return {
      model,
      ts: from + ((to - from) * i) / count,
      score,
      key: seed * 1e7 + i,
      ...(label ? { outcome: rng.next() < score } : {}),
    };
  });
}

/** 1-minute metrics for every feature over [from, to): correlated Gaussian noise, `shift` added to all. */
function metrics(from: number, to: number, seed: number, shift = 0): MetricPoint[] {
  const rng = createRng(seed);
  const out: MetricPoint[] = [];
  for (let ts = from; ts < to; ts += MIN) {
    const load = rng.normal(0, 1);
    features.forEach((f, i) => {
      out.push({ series: f.id, ts, value: 10 * (i + 1) + 3 * load + rng.normal(0, 1) + shift * (i + 1) });
    });
  }
  return out;
}

function deps(models = new MemoryModelStore()) {
  const log = recordingLog();
  return {
    predictions: new MemoryPredictionStore(),
    metrics: new MemoryMetricStore(),
    models,
    state: new MemoryDriftStateStore(),
    mailer: new RecordingMailer(),
    clock: { now: () => NOW },
    log,
    drift: config.drift,
    dashboardUrl: 'https://ops.example.com/',
  };
}

describe('trainDriftModel', () => {
  it('refuses clearly under minRows, counting the steps dropped for gaps', async () => {
    const d = deps();
    // 300 minutes of data, and one feature missing for 20 of them.
    const points = metrics(NOW - 300 * MIN, NOW, 1).filter(
      (p) => !(p.series === features[1]!.id && p.ts >= NOW - 20 * MIN),
    );
    await d.metrics.putPoints(points);
    const r = await trainDriftModel({ ...d, features, settings: config.drift.infra }, { days: 1 });
    expect(r).toMatchObject({ status: 'refused', rows: 280, droppedRows: 20, minRows: 500 });
    expect(r.status === 'refused' && r.reason).toMatch(
      /^Not enough data to train: 280 complete rows over the last 1 days \(20 steps dropped for gaps\), at least 500 needed \(drift\.infra\.minRows\)\. Per feature: cpu_percent h1: 300 points, memory_percent h1: 280 points/,
    );
    await expect(d.models.loadLatest('infra')).rejects.toThrow(/No trained model/);
  });

  it('trains on aligned rows, records threshold, expected rate and provenance; same seed, same model', async () => {
    const d = deps();
    await d.metrics.putPoints(metrics(NOW - 2 * DAY, NOW, 2));
    const progress: string[] = [];
    const r = await trainDriftModel(
      {
        ...d,
        features,
        settings: config.drift.infra,
        onProgress: (p) => progress.push(`${p.stage} ${p.done}/${p.total}`),
      },
      { days: 2 },
    );
    expect(r).toMatchObject({
      status: 'trained',
      model: 'infra',
      rows: 2880,
      droppedRows: 0,
      seed: 42,
      contamination: 0.01,
    });
    if (r.status !== 'trained') throw new Error('not trained');
    // The share above the interpolated 99th percentile: 0.01 to within one row.
    expect(Math.abs(r.expectedRate - 0.01)).toBeLessThanOrEqual(1 / 2880);
    expect(progress[0]).toBe('load 0/6');
    expect(progress).toContain('load 6/6');
    expect(progress.at(-1)).toBe('save 1/1');
    const loaded = await d.models.loadLatest('infra');
    expect(loaded.metadata).toMatchObject({
      kind: 'isolation-forest',
      features,
      rows: 2880,
      from: NOW - 2 * DAY,
      to: NOW,
      seed: 42,
      stepSeconds: 60,
      threshold: r.threshold,
      featureQuantiles: [expect.any(Array), expect.any(Array), expect.any(Array)],
    });
    const again = await trainDriftModel({ ...d, features, settings: config.drift.infra }, { days: 2 });
    expect(again.status === 'trained' && again.threshold).toBe(r.threshold);
  });
});

describe('checkDrift', () => {
  async function seeded() {
    const d = deps();
    // stable: same distribution in both windows; shifted: mean 0.3 → 0.55 in the recent week.
    await d.predictions.append([
      ...predictions('stable', NOW - 37 * DAY, NOW - 7 * DAY, 3000, 0.3, 1),
      ...predictions('stable', NOW - 7 * DAY, NOW, 1000, 0.3, 2, true),
      ...predictions('shifted', NOW - 37 * DAY, NOW - 7 * DAY, 3000, 0.3, 3),
      ...predictions('shifted', NOW - 7 * DAY, NOW, 1000, 0.55, 4, true),
    ]);
    return d;
  }

  it('flags the shifted model only, corrects across the models tested, mails once with the numbers', async () => {
    const d = await seeded();
    const r = await checkDrift({ ...d, skipInfra: true });
    expect(r.correction).toBe('benjamini-hochberg');
    expect(r.modelsTested).toBe(2);
    expect(r.drifting).toEqual(['model:shifted']);
    const byModel = Object.fromEntries(r.checks.map((c) => [c.subject, c]));
    expect(byModel['model:never-sent']).toMatchObject({
      status: 'insufficient',
      reason: 'not enough predictions: recent 0, baseline 0 (each needs 100)',
    });
    const shifted = byModel['model:shifted'];
    if (shifted?.kind !== 'prediction' || !shifted.ks) throw new Error('expected a K-S result');
    expect(shifted.recent.n).toBe(1000);
    expect(shifted.baseline.n).toBe(3000);
    expect(shifted.ks.statistic).toBeGreaterThan(0.5);
    expect(shifted.ks.adjustedPValue).toBeGreaterThanOrEqual(shifted.ks.pValue);
    expect(shifted.performance.map((p) => p.window)).toEqual(['24h', '7d']);
    expect(byModel['model:stable']).toMatchObject({
      status: 'ok',
      reason: expect.stringMatching(/^not significant/),
    });

    expect(d.mailer.sent).toHaveLength(1);
    expect(d.mailer.sent[0]!.subject).toMatch(
      /^\[ML drift\] shifted: prediction scores shifted \(K-S D=0\.\d\d, p=/,
    );
    expect(d.mailer.sent[0]!.text).toContain('last 7d: accuracy');
    expect(r.mails).toEqual([{ subject: 'model:shifted', kind: 'drift', messageId: 'mail-1' }]);
    expect(d.state.runs).toHaveLength(1);

    // Later the same day: still drifting, nothing new to say.
    const again = await checkDrift({ ...d, skipInfra: true, clock: { now: () => NOW + HOUR } });
    expect(again.mails).toEqual([]);
    expect(d.mailer.sent).toHaveLength(1);
  });

  it('sends one "recovered" e-mail when drift clears, not on the day of the drift e-mail', async () => {
    const d = await seeded();
    await checkDrift({ ...d, skipInfra: true });
    // Drift clears within the same day (a pinned baseline that matches the new behaviour).
    const cleared = {
      ...config.drift,
      predictions: {
        ...config.drift.predictions,
        pinnedBaselines: {
          shifted: { from: new Date(NOW - 7 * DAY).toISOString(), to: new Date(NOW - 3 * DAY).toISOString() },
        },
      },
    };
    const sameDay = await checkDrift({
      ...d,
      drift: cleared,
      skipInfra: true,
      clock: { now: () => NOW + HOUR },
    });
    expect(sameDay.drifting).toEqual([]);
    expect(sameDay.mails).toEqual([
      { subject: 'model:shifted', kind: 'recovered', notSent: 'daily limit: one e-mail per model per day' },
    ]);
    const nextDay = await checkDrift({
      ...d,
      drift: cleared,
      skipInfra: true,
      clock: { now: () => NOW + DAY },
    });
    expect(nextDay.mails).toEqual([{ subject: 'model:shifted', kind: 'recovered', messageId: 'mail-2' }]);
    expect(d.mailer.sent[1]!.subject).toBe(
      '[ML drift recovered] shifted: prediction scores back in line with the baseline',
    );
    const baseline = nextDay.checks.find((c) => c.subject === 'model:shifted');
    expect(baseline?.kind === 'prediction' && baseline.baseline.pinned).toBe(true);
    const third = await checkDrift({
      ...d,
      drift: cleared,
      skipInfra: true,
      clock: { now: () => NOW + 2 * DAY },
    });
    expect(third.mails).toEqual([]);
  });

  it('Bonferroni when configured, and it is what the result and the e-mail say', async () => {
    const d = await seeded();
    const bonf = {
      ...config.drift,
      predictions: { ...config.drift.predictions, correction: 'bonferroni' as const },
    };
    const r = await checkDrift({ ...d, drift: bonf, skipInfra: true });
    expect(r.correction).toBe('bonferroni');
    const stable = r.checks.find((c) => c.subject === 'model:stable');
    if (stable?.kind !== 'prediction' || !stable.ks) throw new Error('expected K-S');
    expect(stable.ks.adjustedPValue).toBeCloseTo(Math.min(1, 2 * stable.ks.pValue), 12);
    expect(d.mailer.sent[0]!.text).toContain('bonferroni-adjusted over 2 models');
  });

  it('a failed send gives the day back: the next run sends it', async () => {
    const d = await seeded();
    d.mailer.failWith = new DependencyError('SES SendEmail failed: throttled');
    const r = await checkDrift({ ...d, skipInfra: true });
    expect(r.mails).toEqual([
      { subject: 'model:shifted', kind: 'drift', notSent: 'send failed: SES SendEmail failed: throttled' },
    ]);
    d.mailer.failWith = undefined;
    const retry = await checkDrift({ ...d, skipInfra: true, clock: { now: () => NOW + HOUR } });
    expect(retry.mails).toEqual([{ subject: 'model:shifted', kind: 'drift', messageId: 'mail-1' }]);
  });

  it('without e-mail configured, results are still stored and the run says why nothing was sent', async () => {
    const d = await seeded();
    const { mailer: _, ...noMail } = d;
    const r = await checkDrift({ ...noMail, skipInfra: true });
    expect(r.mails).toEqual([
      {
        subject: 'model:shifted',
        kind: 'drift',
        notSent: 'e-mail not configured (drift.fromEmail, drift.toEmails)',
      },
    ]);
    expect(d.state.runs).toHaveLength(1);
  });

  it('a model whose predictions cannot be read is a failed check; the others still run', async () => {
    const d = await seeded();
    const broken: PredictionStore = {
      append: (p, n) => d.predictions.append(p, n),
      listModels: (n) => d.predictions.listModels(n),
      load: async (model, from, to, now) => {
        if (model === 'stable') throw new DependencyError('Reading predictions of stable failed');
        return d.predictions.load(model, from, to, now);
      },
    };
    const r = await checkDrift({ ...d, predictions: broken, skipInfra: true });
    expect(r.failed).toEqual(['model:stable']);
    expect(r.drifting).toEqual(['model:shifted']);
    expect(r.modelsTested).toBe(1);
  });

  it('an unexpected error about one model (a non-finite stored score) fails that check only', async () => {
    const d = await seeded();
    d.predictions.appendColumns('corrupt', {
      ts: Float64Array.from({ length: 300 }, (_, i) => NOW - 20 * DAY + (i * 20 * DAY) / 300),
      score: Float64Array.from({ length: 300 }, (_, i) => (i === 5 ? Number.NaN : 0.5)),
      key: Float64Array.from({ length: 300 }, (_, i) => i),
    });
    const r = await checkDrift({ ...d, skipInfra: true });
    expect(r.failed).toEqual(['model:corrupt']);
    expect(r.checks.find((c) => c.subject === 'model:corrupt')?.reason).toMatch(/^Check failed: /);
    expect(r.drifting).toEqual(['model:shifted']);
  });

  it('drops duplicate deliveries before testing, and reports how many', async () => {
    const d = deps();
    const base = predictions('dup', NOW - 37 * DAY, NOW - 7 * DAY, 500, 0.3, 5);
    const recent = predictions('dup', NOW - 7 * DAY, NOW, 500, 0.3, 6);
    await d.predictions.append([...base, ...recent, ...recent.slice(0, 200)]);
    const r = await checkDrift({ ...d, skipInfra: true });
    const c = r.checks.find((x) => x.subject === 'model:dup');
    expect(c).toMatchObject({ recent: { n: 500 }, baseline: { n: 500 }, duplicates: 200 });
  });

  describe('infra', () => {
    it('missing model: a failed check with a clear reason, recorded; the run does not throw', async () => {
      const d = deps();
      const r = await checkDrift(d);
      const infra = r.checks.find((c) => c.kind === 'infra');
      expect(infra).toMatchObject({
        status: 'failed',
        subject: 'infra:infra',
        reason:
          'No trained model "infra": train it first (train-drift Lambda, or npm run train-drift locally)',
      });
      expect(r.failed).toEqual(['infra:infra']);
      expect(d.state.runs[0]!.checks).toContainEqual(infra);
      expect(
        d.log.lines.some((l) => l.level === 'error' && /Drift check failed: infra:infra/.test(l.message)),
      ).toBe(true);
    });

    it('corrupt model or metadata: a failed check naming the problem', async () => {
      const d = deps();
      await d.metrics.putPoints(metrics(NOW - DAY, NOW, 7));
      await trainDriftModel({ ...d, features, settings: config.drift.infra }, { days: 1 });
      d.models.corrupt('infra', { format: 'isolation-forest', version: 1, trees: 'nope' });
      const r = await checkDrift(d);
      expect(r.checks.find((c) => c.kind === 'infra')?.reason).toMatch(
        /^Model infra \(models\/infra\/v\/.*\.json\) is corrupt: Invalid isolation-forest model/,
      );
    });

    it('flags infra drift when the recent anomaly rate exceeds 2× expected, with a feature table in the mail', async () => {
      const d = deps();
      await d.metrics.putPoints(metrics(NOW - 3 * DAY, NOW - DAY, 8));
      const trained = await trainDriftModel(
        { ...d, features, settings: config.drift.infra },
        { days: 2, now: NOW - DAY },
      );
      expect(trained.status).toBe('trained');
      await d.metrics.putPoints(metrics(NOW - DAY, NOW - 12 * HOUR, 9));
      await d.metrics.putPoints(metrics(NOW - 12 * HOUR, NOW, 10, 6));
      const r = await checkDrift(d);
      const infra = r.checks.find((c) => c.kind === 'infra');
      if (infra?.kind !== 'infra') throw new Error('no infra check');
      expect(infra.status).toBe('drift');
      expect(infra.rows).toBe(1440);
      expect(infra.rate).toBeGreaterThan(0.3);
      expect(d.mailer.sent.map((m) => m.subject)).toEqual([
        expect.stringMatching(
          /^\[ML drift\] infrastructure \(infra model\): anomaly rate \d+\.\d% vs expected \d\.\d%$/,
        ),
      ]);
      expect(d.mailer.sent[0]!.text).toMatch(/feature +training +recent +shift\n +cpu_percent h1 p10 /);
    });

    it('healthy recent data is not drift; too little recent data is insufficient', async () => {
      const d = deps();
      await d.metrics.putPoints(metrics(NOW - 3 * DAY, NOW, 11));
      await trainDriftModel({ ...d, features, settings: config.drift.infra }, { days: 2, now: NOW - DAY });
      const r = await checkDrift(d);
      expect(r.checks.find((c) => c.kind === 'infra')).toMatchObject({ status: 'ok', rows: 1440 });
      const sparse = deps(d.models);
      await sparse.metrics.putPoints(metrics(NOW - 30 * MIN, NOW, 12));
      const s = await checkDrift(sparse);
      expect(s.checks.find((c) => c.kind === 'infra')).toMatchObject({
        status: 'insufficient',
        reason: 'not enough recent data: 30 complete rows (needs 60)',
      });
    });
  });
});

describe('ingestPredictions', () => {
  it('stores valid events and parks invalid ones with their reason', async () => {
    const store = new MemoryPredictionStore();
    const parked: { id: string; reason: string }[] = [];
    const event = (id: string, detail: unknown) =>
      JSON.stringify({
        id,
        'detail-type': 'ModelPrediction',
        source: 's',
        time: '2026-11-24T05:00:00Z',
        detail,
      });
    const r = await ingestPredictions(
      {
        store,
        rejects: {
          reject: async (events) => {
            parked.push(...events.map((e) => ({ id: e.id, reason: e.reason })));
            return [];
          },
        },
        clock: { now: () => NOW },
        log: recordingLog(),
        retentionDays: 40,
      },
      [
        { id: 'm1', body: event('e1', { model: 'churn', score: 0.2 }) },
        { id: 'm2', body: event('e2', { model: 'churn', score: 'x' }) },
        { id: 'm3', body: '{not json' },
      ],
    );
    expect(r).toEqual({
      received: 3,
      stored: 1,
      rejected: 2,
      reasons: [
        expect.stringMatching(/^Invalid ModelPrediction event: detail\.score: /),
        'Invalid ModelPrediction event: body is not JSON',
      ],
      failedIds: [],
    });
    expect(parked.map((p) => p.id)).toEqual(['m2', 'm3']);
    expect((await store.load('churn', 0, NOW)).score.length).toBe(1);
  });
});
