import { decide, evaluateSeries, runDetectors } from '../../shared/domain/anomaly';
import { scoreIqr } from '../../shared/domain/detectors/iqr';
import { scoreSpike } from '../../shared/domain/detectors/spike';
import { scoreZScore } from '../../shared/domain/detectors/zscore';
import { parseMonitorConfig } from '../../shared/monitor-config';

const ONE_TO_TEN = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const detection = parseMonitorConfig({
  series: [{ metric: 'x', namespace: 'N', metricName: 'M' }],
}).detection;
const spec = { id: 'N/M//Average/60', metric: 'x', label: 'x', unit: '%' };

describe('z-score', () => {
  it('scores a known point exactly (mean 5.5, sample sd √(82.5/9))', () => {
    const sd = Math.sqrt(82.5 / 9);
    const r = scoreZScore(ONE_TO_TEN, 20);
    expect(r.fired).toBe(true);
    expect(r.deviation).toBeCloseTo(14.5 / sd, 12);
    expect(r.severity).toBe('critical');
    expect(r.expectedLow).toBeCloseTo(5.5 - 3 * sd, 12);
    expect(r.expectedHigh).toBeCloseTo(5.5 + 3 * sd, 12);
    expect(r.strength).toBeCloseTo(14.5 / sd / 3, 12);
  });

  it('maps |z| bands to medium / high / critical, and is two-sided', () => {
    const sd = Math.sqrt(82.5 / 9);
    expect(scoreZScore(ONE_TO_TEN, 5.5 + 3.2 * sd).severity).toBe('medium');
    expect(scoreZScore(ONE_TO_TEN, 5.5 + 3.7 * sd).severity).toBe('high');
    expect(scoreZScore(ONE_TO_TEN, 5.5 - 4.1 * sd).severity).toBe('critical');
    expect(scoreZScore(ONE_TO_TEN, 5.5 + 2.9 * sd).fired).toBe(false);
  });

  it('applies the sensitivity multiplier to every band', () => {
    const sd = Math.sqrt(82.5 / 9);
    const value = 5.5 + 3.2 * sd;
    expect(scoreZScore(ONE_TO_TEN, value, undefined, 1.1).fired).toBe(false);
    expect(scoreZScore(ONE_TO_TEN, value, undefined, 0.95).severity).toBe('medium');
    expect(scoreZScore(ONE_TO_TEN, value, undefined, 0.9).severity).toBe('high');
  });

  it('abstains on short, empty and constant windows and on a non-finite value', () => {
    expect(scoreZScore([], 5).abstained).toBe('insufficient-data');
    expect(scoreZScore([1, 2, 3], 50).abstained).toBe('insufficient-data');
    expect(scoreZScore(new Array(20).fill(7), 8).abstained).toBe('constant');
    expect(scoreZScore(ONE_TO_TEN, Number.NaN).abstained).toBe('invalid-value');
    expect(scoreZScore(ONE_TO_TEN, Number.POSITIVE_INFINITY).fired).toBe(false);
  });
});

describe('IQR', () => {
  // simple-statistics 7.12.1 interpolates quartiles: Q1 3.25, Q3 7.75, IQR 4.5 for 1..10 (pinned exactly).
  it('fences at Q1 − 1.5·IQR and Q3 + 1.5·IQR', () => {
    const r = scoreIqr(ONE_TO_TEN, 20);
    expect(r.fired).toBe(true);
    expect(r.expectedLow).toBeCloseTo(-3.5, 12);
    expect(r.expectedHigh).toBeCloseTo(14.5, 12);
    expect(r.deviation).toBeCloseTo(12.25 / 4.5, 12);
    expect(r.severity).toBe('low');
    expect(scoreIqr(ONE_TO_TEN, 30).severity).toBe('medium');
    expect(scoreIqr(ONE_TO_TEN, 14).fired).toBe(false);
    expect(scoreIqr(ONE_TO_TEN, -10).deviation).toBeCloseTo(-13.25 / 4.5, 12);
  });

  it('abstains when most of the window is one value', () => {
    expect(scoreIqr([5, 5, 5, 5, 5, 5, 5, 5, 5, 9], 100).abstained).toBe('constant');
  });
});

describe('spike', () => {
  it('fires above 3× the median and is critical', () => {
    const r = scoreSpike(ONE_TO_TEN, 20);
    expect(r.fired).toBe(true);
    expect(r.baseline).toBe(5.5);
    expect(r.deviation).toBeCloseTo(20 / 5.5, 12);
    expect(r.expectedHigh).toBeCloseTo(16.5, 12);
    expect(r.severity).toBe('critical');
    expect(scoreSpike(ONE_TO_TEN, 16).fired).toBe(false);
  });

  it('abstains on a zero or negative baseline', () => {
    expect(scoreSpike(new Array(10).fill(0), 5).abstained).toBe('non-positive-baseline');
    expect(scoreSpike([-5, -4, -3, -2, -1, -5, -4, -3, -2, -1], 5).abstained).toBe('non-positive-baseline');
  });
});

describe('decide', () => {
  it('combines fired methods: worst severity, strongest method first, a readable explanation', () => {
    const a = decide(spec, Date.UTC(2026, 0, 1), 20, runDetectors(ONE_TO_TEN, 20, detection));
    expect(a).not.toBeNull();
    expect(a!.severity).toBe('critical');
    expect(a!.level).toBe('CRITICAL');
    // Strength relative to each threshold: IQR 2.72/1.5 = 1.81 > z 4.79/3 = 1.60 > spike 2.64/2 = 1.32.
    expect(a!.methods).toEqual(['iqr', 'zscore', 'spike']);
    expect(a!.score).toBeGreaterThan(0.5);
    expect(a!.score).toBeLessThan(1);
    expect(a!.explanation).toContain('x = 20 % at 2026-01-01T00:00:00.000Z');
    expect(a!.explanation).toContain('zscore z=4.79');
    expect(a!.explanation).toContain('spike 3.64× the median 5.5');
  });

  it('returns null when nothing fired', () => {
    expect(decide(spec, 0, 5, runDetectors(ONE_TO_TEN, 5, detection))).toBeNull();
  });
});

describe('evaluateSeries', () => {
  const minute = 60_000;
  const base = Date.UTC(2026, 0, 1);
  const series = (values: number[]) => values.map((value, i) => ({ ts: base + i * minute, value }));

  it('finds the one spike in a noisy series and scores only points in [from, to]', () => {
    const values = Array.from({ length: 120 }, (_, i) => 50 + 5 * Math.sin(i / 3));
    values[100] = 400;
    const points = series(values);
    const all = evaluateSeries(spec, points, base, base + 119 * minute, detection);
    expect(all.map((a) => a.ts)).toEqual([base + 100 * minute]);
    expect(evaluateSeries(spec, points, base + 101 * minute, base + 119 * minute, detection)).toEqual([]);
  });

  it('uses only the points before each point (no look-ahead) within the window', () => {
    const values = [...new Array(30).fill(10).map((v, i) => v + (i % 3)), 100];
    const points = series(values);
    const a = evaluateSeries(spec, points, base + 30 * minute, base + 30 * minute, detection);
    expect(a).toHaveLength(1);
    // Window = the 30 points before it; their mean is 11.
    expect(a[0]!.findings.find((f) => f.method === 'zscore')).toBeDefined();
    const short = evaluateSeries(spec, points, base + 30 * minute, base + 30 * minute, {
      ...detection,
      windowMinutes: 5,
    });
    // 5 minutes holds 5 points (< minPoints 10): insufficient data, no verdict.
    expect(short).toEqual([]);
  });

  it('never crashes or fires on NaN, Infinity, empty or constant input', () => {
    expect(evaluateSeries(spec, [], 0, Number.MAX_SAFE_INTEGER, detection)).toEqual([]);
    const constant = series(new Array(100).fill(3));
    expect(evaluateSeries(spec, constant, base, base + 100 * minute, detection)).toEqual([]);
    const nanny = series(Array.from({ length: 100 }, (_, i) => (i % 4 === 0 ? Number.NaN : 10 + (i % 5))));
    nanny.push({ ts: base + 100 * minute, value: Number.POSITIVE_INFINITY });
    expect(evaluateSeries(spec, nanny, base, base + 101 * minute, detection)).toEqual([]);
  });

  it('honours recordMinSeverity', () => {
    const points = series([...ONE_TO_TEN, ...ONE_TO_TEN, 17]);
    const at = base + 20 * minute;
    // Only IQR may fire (z and spike thresholds out of reach): a low-severity anomaly.
    const iqrOnly = {
      ...detection,
      windowMinutes: 20,
      zscore: { threshold: 10, highAt: 11, criticalAt: 12 },
      spike: { ratio: 100 },
    };
    expect(evaluateSeries(spec, points, at, at, iqrOnly).map((a) => a.severity)).toEqual(['low']);
    expect(evaluateSeries(spec, points, at, at, { ...iqrOnly, recordMinSeverity: 'medium' })).toEqual([]);
  });
});
