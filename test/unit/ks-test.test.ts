import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { quantileSorted } from 'simple-statistics';
import {
  type KsMethod,
  kolmogorovSf,
  ksTwoSample,
  kstwoSf,
  quantileShift,
} from '../../shared/domain/ks-test';
import { createRng } from '../../shared/domain/random';
import { ValidationError } from '../../shared/errors';
import { FIXTURES_DIR } from '../helpers/shared-data';
import { timeInReferenceUnits } from '../helpers/work-clock';

// Reference vectors from scipy.stats.ks_2samp 1.10.1 (a copy of ../shared/testdata, test/fixtures/SOURCE.md).
const REFERENCE_PATH = join(FIXTURES_DIR, 'ks_reference.json');

interface ScipyResult {
  readonly statistic: number;
  readonly pvalue: number;
  readonly statistic_location: number;
  readonly statistic_sign: number;
}

interface ReferenceCase {
  readonly name: string;
  readonly n: number;
  readonly m: number;
  readonly x?: number[];
  readonly y?: number[];
  readonly formula?: { readonly x_js: string; readonly y_js: string };
  readonly x_head?: number[];
  readonly y_head?: number[];
  readonly x_sum?: number;
  readonly y_sum?: number;
  readonly scipy: Record<'exact' | 'asymp' | 'auto', ScipyResult>;
  readonly extra_asymptotic_two_sided: Record<string, number>;
}

const reference = JSON.parse(readFileSync(REFERENCE_PATH, 'utf8')) as { cases: ReferenceCase[] };

/** The JSON's formula cases, transcribed; the test checks the transcription against the JSON text. */
const FORMULAS: Record<
  string,
  { x: string; y: string; fx: (i: number) => number; fy: (j: number) => number }
> = {
  large_sqrt_1000_800: {
    x: 'x[i] = (((i * 7919) % 1000) + 0.5) / 1000, i = 0..999',
    y: 'y[j] = Math.sqrt((((j * 104729) % 800) + 0.5) / 800), j = 0..799',
    fx: (i) => (((i * 7919) % 1000) + 0.5) / 1000,
    fy: (j) => Math.sqrt((((j * 104729) % 800) + 0.5) / 800),
  },
  large_shift_500_500: {
    x: 'x[i] = (i + 0.5) / 500, i = 0..499',
    y: 'y[j] = (j + 0.5) / 500 + 0.0517, j = 0..499',
    fx: (i) => (i + 0.5) / 500,
    fy: (j) => (j + 0.5) / 500 + 0.0517,
  },
  large_subtle_3000_2000: {
    x: 'x[i] = (((i * 7919) % 3000) + 0.5) / 3000, i = 0..2999',
    y: 'u = (((j * 104729) % 2000) + 0.5) / 2000; y[j] = u * (1 + 0.1 * u) / 1.1, j = 0..1999',
    fx: (i) => (((i * 7919) % 3000) + 0.5) / 3000,
    fy: (j) => {
      const u = (((j * 104729) % 2000) + 0.5) / 2000;
      return (u * (1 + 0.1 * u)) / 1.1;
    },
  },
};

function samplesOf(c: ReferenceCase): { x: number[]; y: number[] } {
  if (c.x !== undefined && c.y !== undefined) return { x: c.x, y: c.y };
  const formula = FORMULAS[c.name];
  if (formula === undefined) throw new Error(`no generator transcribed for reference case ${c.name}`);
  return {
    x: Array.from({ length: c.n }, (_, i) => formula.fx(i)),
    y: Array.from({ length: c.m }, (_, j) => formula.fy(j)),
  };
}

/**
 * The brief allows 1e-6 relative (or 1e-12 absolute for tiny p); every vector actually meets the
 * relative bound, including p ≈ 4e-25, so that is what is asserted.
 */
function expectPValue(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-6 * Math.abs(expected));
}

const MODES: [scipyName: 'exact' | 'asymp' | 'auto', method: KsMethod, used: 'exact' | 'asymptotic'][] = [
  ['exact', 'exact', 'exact'],
  ['asymp', 'asymptotic', 'asymptotic'],
  // Every reference case has max(n, m) <= 10 000, so scipy's 'auto' chose exact for all of them.
  ['auto', 'auto', 'exact'],
];

describe('ksTwoSample against scipy.stats.ks_2samp (test/fixtures/ks_reference.json)', () => {
  it('covers every case in the reference file', () => {
    expect(reference.cases.map((c) => c.name)).toEqual([
      'small_equal_n_shift',
      'small_unequal_with_ties',
      'medium_shift_40_50',
      'medium_same_dist_30_45',
      'scale_change_25_35',
      'large_sqrt_1000_800',
      'large_shift_500_500',
      'large_subtle_3000_2000',
    ]);
  });

  it.each(reference.cases.filter((c) => c.formula !== undefined).map((c) => [c.name, c] as const))(
    'generates %s exactly as the JSON describes',
    (_name, c) => {
      // Prepare
      const formula = FORMULAS[c.name];

      // Act
      const { x, y } = samplesOf(c);

      // Assess
      expect(c.formula?.x_js).toBe(formula?.x);
      expect(c.formula?.y_js).toBe(formula?.y);
      expect(x.slice(0, 3)).toEqual(c.x_head);
      expect(y.slice(0, 3)).toEqual(c.y_head);
      // numpy sums pairwise, a plain loop does not: the sums agree to rounding only.
      expect(x.reduce((s, v) => s + v, 0)).toBeCloseTo(c.x_sum ?? Number.NaN, 9);
      expect(y.reduce((s, v) => s + v, 0)).toBeCloseTo(c.y_sum ?? Number.NaN, 9);
    },
  );

  describe.each(reference.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { x, y } = samplesOf(c);

    it.each(MODES)("matches scipy method='%s'", (scipyName, method, used) => {
      // Prepare
      const expected = c.scipy[scipyName];

      // Act
      const result = ksTwoSample(x, y, { method });

      // Assess
      expect(result.method).toBe(used);
      expect(result.n1).toBe(c.n);
      expect(result.n2).toBe(c.m);
      expect(Math.abs(result.statistic - expected.statistic)).toBeLessThanOrEqual(1e-12);
      expectPValue(result.pValue, expected.pvalue);
      expect(result.location).toBe(expected.statistic_location);
      expect(result.sign).toBe(expected.statistic_sign);
    });

    it('reproduces the limiting, Stephens and kstwo asymptotic values', () => {
      // Prepare
      const extra = c.extra_asymptotic_two_sided;
      const en = extra.en as number;
      const d = c.scipy.exact.statistic;

      // Act
      const limit = kolmogorovSf(Math.sqrt(en) * d);
      const stephens = kolmogorovSf((Math.sqrt(en) + 0.12 + 0.11 / Math.sqrt(en)) * d);
      const kstwo = kstwoSf(d, Math.round(en));

      // Assess
      expectPValue(limit, extra['kolmogorov_limit_Q(sqrt(en)*D)'] as number);
      expectPValue(stephens, extra['stephens_Q((sqrt(en)+0.12+0.11/sqrt(en))*D)'] as number);
      expectPValue(kstwo, extra['scipy_asymp_is_kstwo.sf(D, round(en))'] as number);
    });
  });
});

describe('kstwoSf', () => {
  // scipy 1.17.1 kstwo.sf(d, n), one point per branch of Simard & L'Ecuyer's method selection
  // (the reference file only reaches some of them).
  const POINTS: [n: number, d: number, sf: number, branch: string][] = [
    [1, 0.7, 0.6000000000000001, 't >= n - 1 (Ruben–Gambino)'],
    [3, 0.3, 0.8862222222222222, '1/(2n) < d <= 1/n (Ruben–Gambino)'],
    [3, 0.1, 1, 'd <= 1/(2n)'],
    [10, 0.6, 0.0005681672000000003, 'd >= 0.5: 2 × Smirnov'],
    [30, 0.1, 0.8960782680050898, 'n <= 140: Durbin matrix'],
    [30, 0.3, 0.006852243362913235, 'n <= 140: Pomeranz'],
    [30, 0.45, 4.60170836663682e-6, 'n <= 140: Miller'],
    [5000, 0.012, 0.4639912166690192, 'n <= 1e5: Durbin matrix'],
    [5000, 0.03, 0.00024159234422666817, 'n > 140: 2 × Smirnov'],
    [200_000, 0.002, 0.39995085369038097, 'Pelz–Good'],
    [2_000_000, 0.0015, 0.00024657290508461606, 'n > 1e6: Smirnov approximation'],
    [5000, 0.3, 0, 'n·d² >= 370'],
  ];

  it.each(POINTS)('kstwo.sf at n=%d, d=%d is %d (%s)', (n, d, sf) => {
    expectPValue(kstwoSf(d, n), sf);
  });

  it('is 1 at d = 0, 0 at d = 1, NaN for a non-integer n', () => {
    expect(kstwoSf(0, 10)).toBe(1);
    expect(kstwoSf(1, 10)).toBe(0);
    expect(kstwoSf(0.2, 2.5)).toBeNaN();
  });
});

/** Exact two-sided p-value by enumerating every split of n1 + n2 distinct ranks. */
function bruteForcePValue(n1: number, n2: number, observed: number): number {
  const total = n1 + n2;
  let hits = 0;
  let all = 0;
  for (let mask = 0; mask < 1 << total; mask++) {
    let ones = 0;
    for (let b = 0; b < total; b++) if (mask & (1 << b)) ones++;
    if (ones !== n1) continue;
    all++;
    let c1 = 0;
    let d = 0;
    for (let b = 0; b < total; b++) {
      if (mask & (1 << b)) c1++;
      d = Math.max(d, Math.abs(c1 / n1 - (b + 1 - c1) / n2));
    }
    if (d >= observed - 1e-12) hits++;
  }
  return hits / all;
}

describe('ksTwoSample exact distribution', () => {
  it.each([
    [3, 4],
    [4, 4],
    [5, 3],
    [2, 7],
    [6, 6],
    [5, 7],
  ])('equals full enumeration for n1=%d, n2=%d', (n1, n2) => {
    const rng = createRng(100 * n1 + n2);
    for (let trial = 0; trial < 20; trial++) {
      // Prepare: a random split of the ranks 0 … n1+n2−1.
      const ranks = Array.from({ length: n1 + n2 }, (_, i) => i);
      for (let i = ranks.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [ranks[i], ranks[j]] = [ranks[j] as number, ranks[i] as number];
      }

      // Act
      const result = ksTwoSample(ranks.slice(0, n1), ranks.slice(n1), { method: 'exact' });

      // Assess
      expect(result.pValue).toBeCloseTo(bruteForcePValue(n1, n2, result.statistic), 12);
    }
  });

  it('gives D = 0 and p = 1 for identical samples', () => {
    const result = ksTwoSample([3, 1, 2, 2], [2, 3, 2, 1]);
    expect(result.statistic).toBe(0);
    expect(result.pValue).toBe(1);
  });

  it('uses the exact p-value for one value against one, where scipy asymp returns NaN', () => {
    const result = ksTwoSample([0], [1], { method: 'asymptotic' });
    expect(result).toMatchObject({ statistic: 1, pValue: 1, method: 'exact' });
  });

  it("switches 'auto' to asymptotic above 10 000 values, as scipy does", () => {
    const rng = createRng(3);
    const draw = (n: number): Float64Array => Float64Array.from({ length: n }, () => rng.normal());
    expect(ksTwoSample(draw(10_000), draw(300)).method).toBe('exact');
    expect(ksTwoSample(draw(10_001), draw(300)).method).toBe('asymptotic');
  });

  it("falls back from 'exact' to asymptotic when lcm(n1, n2) does not fit in 32 bits", () => {
    const rng = createRng(4);
    const draw = (n: number): Float64Array => Float64Array.from({ length: n }, () => rng.normal());
    expect(ksTwoSample(draw(50_000), draw(49_999), { method: 'exact' }).method).toBe('asymptotic');
  });
});

describe('ksTwoSample statistic (property-based)', () => {
  // Small integer values force many ties within and across the samples.
  const sample = fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 25 });

  it('equals the brute-force sup |F1 − F2| over pooled values, ties included', () => {
    fc.assert(
      fc.property(sample, sample, (x, y) => {
        let d = 0;
        for (const z of [...x, ...y]) {
          const f1 = x.filter((v) => v <= z).length / x.length;
          const f2 = y.filter((v) => v <= z).length / y.length;
          d = Math.max(d, Math.abs(f1 - f2));
        }
        const result = ksTwoSample(x, y, { method: 'asymptotic' });
        expect(result.statistic).toBeCloseTo(d, 14);
        expect(result.pValue).toBeGreaterThanOrEqual(0);
        expect(result.pValue).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('is symmetric in its samples (statistic and exact p-value)', () => {
    fc.assert(
      fc.property(sample, sample, (x, y) => {
        const forward = ksTwoSample(x, y);
        const backward = ksTwoSample(y, x);
        expect(backward.statistic).toBe(forward.statistic);
        expect(backward.pValue).toBe(forward.pValue);
      }),
    );
  });
});

describe('ksTwoSample input validation', () => {
  it('rejects an empty sample, naming it', () => {
    expect(() => ksTwoSample([], [1, 2])).toThrow(ValidationError);
    expect(() => ksTwoSample([1, 2], [])).toThrow(/sample2/);
  });

  it('rejects NaN and infinities, naming the index', () => {
    expect(() => ksTwoSample([1, Number.NaN], [1, 2])).toThrow(/sample1\[1\]/);
    expect(() => ksTwoSample([1, 2], [Number.POSITIVE_INFINITY])).toThrow(ValidationError);
    expect(() => ksTwoSample(new Float64Array([0, Number.NEGATIVE_INFINITY]), [1])).toThrow(/sample1\[1\]/);
  });
});

describe('ksTwoSample performance', () => {
  it('tests 1,000,000 vs 1,000,000 predictions in well under a few seconds', () => {
    // Prepare
    const rng = createRng(2024);
    const n = 1_000_000;
    const before = new Float64Array(n);
    const after = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      before[i] = rng.normal();
      after[i] = rng.normal(0.01);
    }

    // Act
    const { result, seconds, units } = timeInReferenceUnits(() => ksTwoSample(before, after));

    // Assess
    console.log(
      `K-S 1M vs 1M: ${seconds.toFixed(3)} s (${units.toFixed(1)} × sorting 1M doubles), D = ${result.statistic.toFixed(5)}, p = ${result.pValue.toExponential(3)} (${result.method})`,
    );
    expect(result.method).toBe('asymptotic');
    expect(result.pValue).toBeLessThan(1e-6);
    // Two sorts and a merge: 2.4-3.7 units measured; anything quadratic would be thousands.
    expect(units).toBeLessThan(15);
  });
});

describe('quantileShift', () => {
  it('reports before/after quantiles by linear interpolation (numpy default, simple-statistics)', () => {
    // Prepare
    const before = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
    const after = before.map((v) => v + 10);

    // Act
    const shifts = quantileShift(before, after);

    // Assess
    expect(shifts.map((s) => s.q)).toEqual([0.1, 0.5, 0.9]);
    const sorted = [...before].sort((a, b) => a - b);
    for (const s of shifts) {
      expect(s.before).toBeCloseTo(quantileSorted(sorted, s.q), 12);
      expect(s.shift).toBeCloseTo(10, 12);
    }
    expect(shifts[1]).toEqual({ q: 0.5, before: 5.5, after: 15.5, shift: 10 });
  });

  it('takes custom probabilities and rejects bad input', () => {
    expect(quantileShift([1, 2, 3], [4], [0, 1])).toEqual([
      { q: 0, before: 1, after: 4, shift: 3 },
      { q: 1, before: 3, after: 4, shift: 1 },
    ]);
    expect(() => quantileShift([1], [2], [1.5])).toThrow(/qs\[0\]/);
    expect(() => quantileShift([], [2])).toThrow(ValidationError);
    expect(() => quantileShift([1], [Number.NaN])).toThrow(/after\[0\]/);
  });
});
