import {
  adjustPValues,
  alignFeatures,
  decideInfraDrift,
  decidePredictionDrift,
  mailDecision,
  performanceOf,
  quantilesOf,
  resolveFeatures,
} from '../../shared/domain/drift';
import { renderDriftMail } from '../../shared/domain/drift-report';
import {
  concatColumns,
  dedupePredictions,
  hash53,
  predictionKey,
  sliceByTime,
} from '../../shared/domain/prediction-set';
import { parsePredictionEvent } from '../../shared/domain/predictions';
import { ValidationError } from '../../shared/errors';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';

const T0 = Date.UTC(2026, 10, 24, 6);
const rule = { alpha: 0.01, minEffect: 0.1, minSamples: 100 };

describe('multiple-testing correction', () => {
  it('Benjamini–Hochberg q-values equal statsmodels fdr_bh', () => {
    // statsmodels.stats.multitest.multipletests([0.01, 0.04, 0.03, 0.005], method='fdr_bh')[1]
    expect(adjustPValues([0.01, 0.04, 0.03, 0.005], 'benjamini-hochberg')).toEqual([0.02, 0.04, 0.04, 0.02]);
    // Monotone step-up: a larger p never gets a smaller q; capped at 1.
    const q = adjustPValues([0.9, 0.5, 0.001, 0.7], 'benjamini-hochberg');
    expect(q[2]).toBeCloseTo(0.004, 12);
    expect(q[0]).toBe(0.9);
    expect(q[1]).toBeCloseTo(0.9, 12);
    expect(q[3]).toBeCloseTo(0.9, 12);
  });

  it('Bonferroni multiplies by the number of tests, capped at 1', () => {
    expect(adjustPValues([0.01, 0.04, 0.3], 'bonferroni')).toEqual([0.03, 0.12, 0.8999999999999999]);
    expect(adjustPValues([0.5, 0.6], 'bonferroni')).toEqual([1, 1]);
    expect(adjustPValues([], 'bonferroni')).toEqual([]);
  });

  it('BH rejects more than Bonferroni at the same alpha', () => {
    const p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216];
    const bh = adjustPValues(p, 'benjamini-hochberg').filter((x) => x < 0.05).length;
    const bonf = adjustPValues(p, 'bonferroni').filter((x) => x < 0.05).length;
    expect(bh).toBe(2);
    expect(bonf).toBe(1);
  });

  it('rejects p-values outside [0, 1]', () => {
    expect(() => adjustPValues([0.5, 1.2], 'bonferroni')).toThrow(ValidationError);
  });
});

describe('prediction-drift rule', () => {
  it('needs both significance and an effect above the floor', () => {
    expect(decidePredictionDrift({ statistic: 0.3, pValue: 1e-9 }, 2e-9, rule, 'bonferroni')).toMatchObject({
      drift: true,
      reason: expect.stringMatching(/^D = 0.300 > 0.1 and p = 1.00e-9 \(bonferroni 2.00e-9\) < 0.01$/),
    });
    // A million predictions make a trivial shift "significant": the floor stops the page.
    expect(
      decidePredictionDrift({ statistic: 0.02, pValue: 1e-30 }, 1e-30, rule, 'bonferroni'),
    ).toMatchObject({
      drift: false,
      reason: expect.stringMatching(/^significant but small: D = 0.020 <= effect floor 0.1/),
    });
    expect(decidePredictionDrift({ statistic: 0.4, pValue: 0.004 }, 0.012, rule, 'bonferroni')).toMatchObject(
      {
        drift: false,
        reason: expect.stringMatching(/^not significant/),
      },
    );
  });
});

describe('performance', () => {
  const columns = {
    ts: Float64Array.from([1, 2, 3, 4, 5, 6]),
    score: Float64Array.from([0.9, 0.8, 0.2, 0.6, 0.1, 0.7]),
    key: Float64Array.from([1, 2, 3, 4, 5, 6]),
    outcomes: [true, 1, false, 0, undefined, true] as const,
  };

  it('binary outcomes: accuracy, precision, recall at the threshold', () => {
    // predicted: T T F T (F) T ; actual: T T F F (-) T → TP 3, FP 1, TN 1, FN 0
    expect(performanceOf({ ...columns, outcomes: [...columns.outcomes] }, 0, 10, 0.5, '24h')).toEqual({
      window: '24h',
      from: 0,
      to: 10,
      labelled: 5,
      kind: 'binary',
      accuracy: 4 / 5,
      precision: 3 / 4,
      recall: 1,
    });
  });

  it('only the window counts, and nothing labelled gives undefined', () => {
    expect(performanceOf({ ...columns, outcomes: [...columns.outcomes] }, 3, 5, 0.5, 'x')?.labelled).toBe(2);
    expect(performanceOf({ ...columns, outcomes: [...columns.outcomes] }, 5, 6, 0.5, 'x')).toBeUndefined();
    const { outcomes: _, ...noOutcomes } = columns;
    expect(performanceOf(noOutcomes, 0, 10, 0.5, 'x')).toBeUndefined();
  });

  it('class ids and numeric outcomes: exact-match accuracy and mean absolute error', () => {
    const p = performanceOf(
      {
        ts: Float64Array.from([1, 2, 3]),
        score: Float64Array.from([2, 3, 5]),
        key: Float64Array.from([1, 2, 3]),
        outcomes: [2, 4, 5],
      },
      0,
      10,
      0.5,
      '7d',
    );
    expect(p).toEqual({
      window: '7d',
      from: 0,
      to: 10,
      labelled: 3,
      kind: 'label',
      accuracy: 2 / 3,
      meanAbsoluteError: 1 / 3,
    });
  });
});

describe('feature alignment', () => {
  const pts = (series: string, entries: [number, number][]) =>
    entries.map(([ts, value]) => ({ series, ts, value }));

  it('averages per step, keeps only complete steps, counts the dropped ones', () => {
    const a = pts('a', [
      [0, 1],
      [30_000, 3],
      [60_000, 5],
      [120_000, 7],
    ]);
    const b = pts('b', [
      [10_000, 10],
      [60_000, 20],
      [180_000, 30],
    ]);
    const out = alignFeatures([a, b], 60_000);
    expect(out.rows).toBe(2);
    expect(Array.from(out.timestamps)).toEqual([0, 60_000]);
    expect(Array.from(out.data)).toEqual([2, 10, 5, 20]);
    // Steps 120 000 (a only) and 180 000 (b only).
    expect(out.droppedRows).toBe(2);
  });

  it('rejects no features and a bad step', () => {
    expect(() => alignFeatures([], 60_000)).toThrow(ValidationError);
    expect(() => alignFeatures([[]], 0)).toThrow(/stepMs/);
  });

  it('resolves features by id, label or unique metric name, naming what does not resolve', () => {
    const config = parseMonitorConfig(
      JSON.parse(require('node:fs').readFileSync('config/monitor.example.json', 'utf8')),
    );
    const series = expandSeries(config);
    const resolved = resolveFeatures(config.drift.infra.features, series);
    expect(resolved.map((f) => f.label)).toEqual([
      'cpu_percent web-1',
      'memory_percent web-1',
      'disk_io_read_mb web-1',
      'disk_io_write_mb web-1',
      'db_query_time_ms rds-main',
    ]);
    expect(resolveFeatures([series[0]!.id], series)[0]!.id).toBe(series[0]!.id);
    try {
      resolveFeatures(['cpu_percent', 'nope', 'cpu_percent web-1'], series);
      throw new Error('expected an error');
    } catch (error) {
      expect((error as ValidationError).issues).toEqual([
        'features.1: "nope" matches no collected series',
        'features.2: "cpu_percent web-1" is the same series as an earlier feature',
      ]);
    }
  });

  it('quantiles interpolate linearly like numpy', () => {
    expect(quantilesOf([1, 2, 3, 4])).toEqual([1.3, 2.5, 3.7]);
    expect(quantilesOf([]).every(Number.isNaN)).toBe(true);
  });
});

describe('infra rule and e-mail state machine', () => {
  it('infra drift above factor × expected only', () => {
    expect(decideInfraDrift(0.021, 0.01, 2).drift).toBe(true);
    expect(decideInfraDrift(0.02, 0.01, 2)).toEqual({
      drift: false,
      reason: 'anomaly rate 2.00% <= 2× expected 1.00%',
    });
  });

  it('mails a change once, recovered once, at most once per UTC day', () => {
    const day = (d: number) => T0 + d * 86_400_000;
    expect(mailDecision(undefined, 'ok', T0)).toEqual({ send: null, reason: 'no change' });
    expect(mailDecision(undefined, 'drifting', T0)).toEqual({ send: 'drift' });
    const mailedDrift = {
      subject: 'm',
      status: 'drifting' as const,
      mailed: 'drifting' as const,
      lastMailDay: '2026-11-24',
    };
    expect(mailDecision(mailedDrift, 'drifting', day(1))).toEqual({ send: null, reason: 'no change' });
    // Clears the same day: the recovered e-mail waits for tomorrow.
    expect(mailDecision(mailedDrift, 'ok', T0 + 3_600_000)).toEqual({ send: null, reason: 'daily limit' });
    expect(mailDecision(mailedDrift, 'ok', day(1))).toEqual({ send: 'recovered' });
  });
});

describe('prediction identity and columns', () => {
  it('hash53 is a stable 53-bit integer; keys use the prediction id, else the event id', () => {
    expect(hash53('a')).toBe(hash53('a'));
    expect(hash53('a')).not.toBe(hash53('b'));
    expect(Number.isSafeInteger(hash53('anything'))).toBe(true);
    expect(predictionKey('m', 'p1', 'ev-1')).toBe(predictionKey('m', 'p1', 'ev-2'));
    expect(predictionKey('m', 'p1', 'ev-1')).not.toBe(predictionKey('other', 'p1', 'ev-1'));
    expect(predictionKey('m', undefined, 'ev-1')).toBe(predictionKey('m', undefined, 'ev-1'));
  });

  it('dedupes by key, keeping the first score and a later outcome', () => {
    const a = {
      ts: Float64Array.from([10, 20]),
      score: Float64Array.from([0.1, 0.2]),
      key: Float64Array.from([1, 2]),
    };
    const b = {
      ts: Float64Array.from([30, 10]),
      score: Float64Array.from([0.3, 0.15]),
      key: Float64Array.from([3, 1]),
      outcomes: [undefined, true],
    };
    const { columns, duplicates } = dedupePredictions(concatColumns([a, b]));
    expect(duplicates).toBe(1);
    expect(Array.from(columns.score)).toEqual([0.1, 0.2, 0.3]);
    expect(columns.outcomes).toEqual([true, undefined, undefined]);
    expect(Array.from(sliceByTime(columns, 15, 30).ts)).toEqual([20]);
  });
});

describe('ModelPrediction events', () => {
  const event = (over: Record<string, unknown> = {}, detail: Record<string, unknown> = {}) => ({
    version: '0',
    id: 'ev-1',
    'detail-type': 'ModelPrediction',
    source: 'ml.churn',
    account: '123456789012',
    time: '2026-11-24T05:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: { model: 'churn-v3', score: 0.4, ...detail },
    ...over,
  });

  it('accepts a valid event; its time is detail.timestamp, else the event time', () => {
    const ok = parsePredictionEvent(event({}, { outcome: true, timestamp: '2026-11-24T04:00:00Z' }), T0, 40);
    expect(ok).toEqual({
      ok: true,
      prediction: {
        model: 'churn-v3',
        ts: Date.UTC(2026, 10, 24, 4),
        score: 0.4,
        outcome: true,
        key: predictionKey('churn-v3', undefined, 'ev-1'),
      },
    });
    const plain = parsePredictionEvent(event(), T0, 40);
    expect(plain.ok && plain.prediction.ts).toBe(Date.UTC(2026, 10, 24, 5));
  });

  it.each([
    [{ 'detail-type': 'Other' }, {}, /^detail-type: /],
    [{}, { score: 'high' }, /^detail\.score: /],
    [{}, { model: 'Churn V3' }, /^detail\.model: must be 1-64 lowercase/],
    [{}, { extra: 1 }, /^detail: Unrecognized key/],
    [{}, { timestamp: '2026-11-25T00:00:00Z' }, /^detail\.timestamp: .* is in the future/],
    [{ time: '2026-09-01T00:00:00Z' }, {}, /^time: .* is older than the 40-day retention/],
  ])('rejects %j %j with the reason', (over, detail, issue) => {
    const r = parsePredictionEvent(event(over, detail), T0, 40);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues[0]).toMatch(issue);
      expect(r.reason).toMatch(/^Invalid ModelPrediction event: /);
    }
  });
});

describe('drift e-mail', () => {
  const check = {
    kind: 'prediction' as const,
    subject: 'model:churn-v3',
    model: 'churn-v3',
    status: 'drift' as const,
    reason: 'D = 0.312 > 0.1 and p = 1.00e-40 (benjamini-hochberg 2.00e-40) < 0.01',
    recent: { from: T0 - 7 * 86_400_000, to: T0, n: 5000 },
    baseline: { from: T0 - 37 * 86_400_000, to: T0 - 7 * 86_400_000, n: 20000, pinned: false },
    duplicates: 3,
    ks: { statistic: 0.312, pValue: 1e-40, adjustedPValue: 2e-40, method: 'asymptotic' as const },
    quantiles: [
      { q: 0.1, before: 0.1, after: 0.2, shift: 0.1 },
      { q: 0.5, before: 0.3, after: 0.45, shift: 0.15 },
      { q: 0.9, before: 0.6, after: 0.8, shift: 0.2 },
    ],
    performance: [
      {
        window: '24h',
        from: T0 - 86_400_000,
        to: T0,
        labelled: 120,
        kind: 'binary' as const,
        accuracy: 0.9,
        precision: 0.8,
        recall: 0.75,
      },
    ],
  };
  const ctx = {
    now: T0,
    dashboardUrl: 'https://ops.example.com/drift',
    correction: 'benjamini-hochberg' as const,
    alpha: 0.01,
    modelsTested: 2,
    minEffect: 0.1,
  };

  it('names the model and what in the subject; has numbers, windows, the quantile table and the link', () => {
    const mail = renderDriftMail(check, 'drift', ctx);
    expect(mail.subject).toBe('[ML drift] churn-v3: prediction scores shifted (K-S D=0.31, p=2.00e-40)');
    expect(mail.text).toContain(
      'Recent window:   2026-11-17 06:00 UTC to 2026-11-24 06:00 UTC, 5000 predictions',
    );
    expect(mail.text).toContain(
      'Baseline window: 2026-10-18 06:00 UTC to 2026-11-17 06:00 UTC, 20000 predictions',
    );
    expect(mail.text).toContain('benjamini-hochberg-adjusted over 2 models: 2.00e-40 (alpha 0.01)');
    expect(mail.text).toMatch(
      /quantile +baseline +recent +shift\n +p10 +0\.1 +0\.2 +\+0\.1\n +p50 +0\.3 +0\.45 +\+0\.15\n +p90 +0\.6 +0\.8 +\+0\.2/,
    );
    expect(mail.text).toContain(
      'last 24h: accuracy 90.0%, precision 80.0%, recall 75.0% over 120 predictions with outcomes',
    );
    expect(mail.text).toContain('Dashboard: https://ops.example.com/drift');
    expect(mail.html).toContain('<a href="https://ops.example.com/drift">');
    expect(mail.html).toMatch(/<td[^>]*>p50<\/td><td[^>]*>0.3<\/td><td[^>]*>0.45<\/td>/);
    expect(renderDriftMail(check, 'recovered', ctx).subject).toBe(
      '[ML drift recovered] churn-v3: prediction scores back in line with the baseline',
    );
  });

  it('escapes HTML in every value', () => {
    const mail = renderDriftMail({ ...check, reason: '<script>x</script>' }, 'drift', ctx);
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;');
  });
});
