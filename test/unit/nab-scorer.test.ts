import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  canonicalTimestamp,
  defaultNabDir,
  loadDetectorResults,
  loadNabCorpus,
  type NabCorpus,
  NabDataError,
  parseResultsCsv,
  parseWindows,
  readProfiles,
  resultsRelativePath,
  toNabFile,
  windowsToRows,
  withScores,
} from '../../bench/nab/nab-data';
import {
  MAX_TP,
  NAB_PROFILE_NAMES,
  NAB_PROFILES,
  type NabProfile,
  type NabProfileName,
  normalise,
  optimiseThreshold,
  parseProfiles,
  probationRows,
  type RowWindow,
  type ScorableFile,
  scaledSigmoid,
  scoreCorpus,
  scoreFile,
} from '../../bench/nab/scorer';
import { describeWithSharedData, FIXTURES_DIR } from '../helpers/shared-data';

const STD = NAB_PROFILES.standard;
const FP = STD.CostMatrix.fpWeight;
const S = (y: number): number => 2 / (1 + Math.exp(5 * y)) - 1;

/** `n` zero scores with `1` at the given rows. */
function firing(n: number, rows: number[]): number[] {
  const s = new Array<number>(n).fill(0);
  for (const r of rows) s[r] = 1;
  return s;
}

describe('scaledSigmoid', () => {
  it('matches the NAB reference points', () => {
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
    expect(MAX_TP).toBe(scaledSigmoid(-1));
  });

  it('is 2/(1+exp(5y)) − 1 up to y = 3 and exactly −1 beyond', () => {
    expect(scaledSigmoid(3)).toBe(S(3));
    expect(scaledSigmoid(3)).toBeGreaterThan(-1);
    expect(scaledSigmoid(3.0001)).toBe(-1);
    expect(scaledSigmoid(Number.POSITIVE_INFINITY)).toBe(-1);
  });
});

describe('probationRows', () => {
  it('is min(floor(0.15·N), 750)', () => {
    expect(probationRows(7)).toBe(1);
    expect(probationRows(100)).toBe(15);
    expect(probationRows(4000)).toBe(600);
    expect(probationRows(5000)).toBe(750);
    expect(probationRows(22695)).toBe(750);
  });
});

describe('scoreFile on hand-computed examples (100 rows, window [50, 59], w = 10)', () => {
  const W: RowWindow[] = [[50, 59]];

  it('scores a miss as −FN and nothing else', () => {
    const s = scoreFile(firing(100, []), W, 0.5, STD, 0);
    expect(s).toMatchObject({ raw: -1, fnScore: -1, windowsHit: 0, windowsMissed: 1, fpCount: 0 });
  });

  it('rewards the earliest detection fully and a late one less', () => {
    const early = scoreFile(firing(100, [50]), W, 0.5, STD, 0);
    expect(early.raw).toBeCloseTo(1, 12);
    const late = scoreFile(firing(100, [59]), W, 0.5, STD, 0);
    expect(late.raw).toBeCloseTo(S(-1 / 10) / S(-1), 12);
    expect(late.raw).toBeCloseTo(0.248241, 5);
    const mid = scoreFile(firing(100, [55]), W, 0.5, STD, 0);
    expect(mid.raw).toBeCloseTo(S(-5 / 10) / S(-1), 12);
    expect(early.raw).toBeGreaterThan(mid.raw);
    expect(mid.raw).toBeGreaterThan(late.raw);
  });

  it('counts only the best (earliest) of several detections in a window', () => {
    const s = scoreFile(firing(100, [53, 50, 58]), W, 0.5, STD, 0);
    expect(s.raw).toBeCloseTo(1, 12);
    expect(s).toMatchObject({ windowsHit: 1, tpRows: 3, fpCount: 0 });
  });

  it('charges −FP for a detection before any window', () => {
    const s = scoreFile(firing(100, [10, 50]), W, 0.5, STD, 0);
    expect(s.fpScore).toBeCloseTo(-FP, 12);
    expect(s.raw).toBeCloseTo(1 - 0.11, 12);
    expect(s.fpCount).toBe(1);
  });

  it('charges an FP after a window by its distance past the previous window', () => {
    const near = scoreFile(firing(100, [64]), W, 0.5, STD, 0);
    // |64 − 59| / (10 − 1) = 5/9 → S(5/9) = −0.882922
    expect(near.fpScore).toBeCloseTo(FP * S(5 / 9), 12);
    expect(near.fpScore).toBeCloseTo(-0.0971214, 6);
    expect(near.raw).toBeCloseTo(-1 + FP * S(5 / 9), 12);
    const justAfter = scoreFile(firing(100, [60]), W, 0.5, STD, 0);
    expect(justAfter.fpScore).toBeCloseTo(FP * S(1 / 9), 12);
    expect(justAfter.fpScore).toBeGreaterThan(near.fpScore);
    const far = scoreFile(firing(100, [87]), W, 0.5, STD, 0); // 28/9 > 3
    expect(far.fpScore).toBe(-FP);
  });

  it('uses the nearest window that ended before the FP', () => {
    const s = scoreFile(
      firing(100, [58]),
      [
        [20, 29],
        [50, 54],
      ],
      0.5,
      STD,
      0,
    );
    // previous window [50, 54]: |58 − 54| / (5 − 1) = 1
    expect(s.fpScore).toBeCloseTo(FP * S(1), 12);
    expect(s.fnScore).toBe(-2);
  });

  it('fires on score >= threshold', () => {
    const scores = firing(100, []);
    scores[50] = 0.7;
    expect(scoreFile(scores, W, 0.7, STD, 0).windowsHit).toBe(1);
    expect(scoreFile(scores, W, 0.7000001, STD, 0).windowsHit).toBe(0);
  });

  it('applies the profile weights', () => {
    const scores = firing(100, [10, 59]);
    const lowFp = scoreFile(scores, W, 0.5, NAB_PROFILES.reward_low_FP_rate, 0);
    expect(lowFp.fpScore).toBeCloseTo(-0.22, 12);
    const lowFn = scoreFile(firing(100, [10]), W, 0.5, NAB_PROFILES.reward_low_FN_rate, 0);
    expect(lowFn.raw).toBeCloseTo(-2 - 0.11, 12);
  });
});

describe('probationary period', () => {
  it('defaults to min(floor(0.15·N), 750) and ignores detections in it', () => {
    // 100 rows → 15 probationary rows: the FP at row 14 is ignored, the one at row 15 is not.
    const s = scoreFile(firing(100, [14, 15]), [[50, 59]], 0.5, STD);
    expect(s.fpCount).toBe(1);
    expect(s.raw).toBeCloseTo(-1 - FP, 12);
  });

  it('ignores probationary detections inside a straddling window, keeping its full width', () => {
    const s = scoreFile(firing(100, [12, 16]), [[10, 19]], 0.5, STD);
    expect(s.windowsHit).toBe(1);
    expect(s.tpRows).toBe(1);
    expect(s.raw).toBeCloseTo(S(-(19 - 16 + 1) / 10) / S(-1), 12);
  });

  it('does not score a window lying wholly in the probationary period (as NAB’s sweeper)', () => {
    const s = scoreFile(firing(100, []), [[2, 8]], 0.5, STD);
    expect(s).toMatchObject({ raw: 0, windowCount: 0, windowsMissed: 0 });
    // … but an FP after it is still priced against it.
    const after = scoreFile(firing(100, [20]), [[2, 8]], 0.5, STD);
    expect(after.fpScore).toBeCloseTo(FP * S(12 / 6), 12);
    const corpus = scoreCorpus([{ name: 'f', scores: firing(100, []), windows: [[2, 8]] }], 0.5, STD);
    expect(corpus.totalWindows).toBe(1);
    expect(corpus.windowCount).toBe(0);
  });
});

describe('window validation', () => {
  it('rejects overlapping, unordered or out-of-range windows', () => {
    expect(() =>
      scoreFile(
        firing(10, []),
        [
          [2, 5],
          [5, 7],
        ],
        0.5,
        STD,
        0,
      ),
    ).toThrow(RangeError);
    expect(() =>
      scoreFile(
        firing(10, []),
        [
          [6, 7],
          [1, 2],
        ],
        0.5,
        STD,
        0,
      ),
    ).toThrow(RangeError);
    expect(() => scoreFile(firing(10, []), [[8, 10]], 0.5, STD, 0)).toThrow(RangeError);
    expect(() => scoreFile(firing(10, []), [[4, 3]], 0.5, STD, 0)).toThrow(RangeError);
  });
});

describe('normalise', () => {
  it('maps the null detector to 0 and a perfect one to 100', () => {
    for (const p of NAB_PROFILE_NAMES) {
      const { tpWeight, fnWeight } = NAB_PROFILES[p].CostMatrix;
      expect(normalise(-fnWeight * 86, 86, NAB_PROFILES[p])).toBeCloseTo(0, 12);
      expect(normalise(tpWeight * 86, 86, NAB_PROFILES[p])).toBeCloseTo(100, 12);
    }
    expect(normalise(0, 10, STD)).toBeCloseTo(50, 12);
    expect(normalise(0, 10, NAB_PROFILES.reward_low_FN_rate)).toBeCloseTo(200 / 3, 12);
  });
});

describe('scoreCorpus and optimiseThreshold', () => {
  function lcg(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  }

  function randomCorpus(seed: number): ScorableFile[] {
    const rnd = lcg(seed);
    return [0, 1, 2].map((f) => {
      const n = 150 + f * 40;
      // coarse scores so that many rows tie
      const scores = Array.from({ length: n }, () => Math.round(rnd() ** 3 * 20) / 20);
      const windows: RowWindow[] =
        f === 1
          ? []
          : [
              [40 + f * 10, 55 + f * 10],
              [100, 100 + 8 * (f + 1)],
            ];
      return { name: `f${f}`, scores, windows };
    });
  }

  it('sums file scores', () => {
    const files = randomCorpus(1);
    const c = scoreCorpus(files, 0.4, STD);
    const sum = files.reduce((a, f) => a + scoreFile(f.scores, f.windows, 0.4, STD).raw, 0);
    expect(c.raw).toBeCloseTo(sum, 12);
    expect(c.totalWindows).toBe(4);
    expect(c.files.map((f) => f.name)).toEqual(['f0', 'f1', 'f2']);
  });

  it.each([1, 2, 3, 4, 5])('finds the brute-force best threshold (seed %i)', (seed) => {
    const files = randomCorpus(seed);
    for (const p of NAB_PROFILE_NAMES) {
      const distinct = [...new Set(files.flatMap((f) => [...(f.scores as number[])]))].sort((a, b) => b - a);
      let best = { threshold: 1.1, raw: scoreCorpus(files, 1.1, NAB_PROFILES[p]).raw };
      for (const t of distinct) {
        const raw = scoreCorpus(files, t, NAB_PROFILES[p]).raw;
        if (raw > best.raw + 1e-12) best = { threshold: t, raw };
      }
      const opt = optimiseThreshold(files, NAB_PROFILES[p]);
      expect(opt.raw).toBeCloseTo(best.raw, 9);
      expect(opt.threshold).toBe(best.threshold);
      const check = scoreCorpus(files, opt.threshold, NAB_PROFILES[p]);
      expect(opt.raw).toBeCloseTo(check.raw, 9);
      expect(opt.windowsHit).toBe(check.windowsHit);
      expect(opt.fpCount).toBe(check.fpCount);
    }
  });

  it('returns "never fire" (1.1) when every detection costs', () => {
    const files: ScorableFile[] = [{ name: 'x', scores: firing(100, [20, 30]), windows: [] }];
    expect(optimiseThreshold(files, STD)).toMatchObject({ threshold: 1.1, raw: 0, fpCount: 0 });
  });
});

describe('nab-data parsers', () => {
  it('canonicalises label and data timestamps to the same key', () => {
    expect(canonicalTimestamp('2014-04-10 07:15:00.000000')).toBe('2014-04-10 07:15:00');
    expect(canonicalTimestamp('2014-04-10T07:15:00')).toBe('2014-04-10 07:15:00');
    expect(canonicalTimestamp('2014-04-10 07:15:00.250')).toBe('2014-04-10 07:15:00.25');
    expect(canonicalTimestamp(' weird ')).toBe('weird');
  });

  it('maps windows to rows by exact timestamp and throws when one is missing', () => {
    const ts = ['2014-01-01 00:00:00', '2014-01-01 00:05:00', '2014-01-01 00:10:00', '2014-01-01 00:15:00'];
    const w = parseWindows({ k: [['2014-01-01 00:05:00.000000', '2014-01-01 00:10:00.000000']] });
    expect(windowsToRows('k', ts, w.k ?? [])).toEqual([[1, 2]]);
    expect(() => windowsToRows('k', ts, [['2014-01-01 00:06:00', '2014-01-01 00:10:00']])).toThrow(
      NabDataError,
    );
  });

  it('reads anomaly_score by header name, whatever the column order', () => {
    const csv =
      'label,anomaly_score,timestamp,value\n0,0.25,2014-01-01 00:00:00,3\n1,1.0,2014-01-01 00:05:00,4\n';
    expect(parseResultsCsv('x', csv)).toEqual({
      timestamps: ['2014-01-01 00:00:00', '2014-01-01 00:05:00'],
      scores: [0.25, 1],
    });
    expect(() => parseResultsCsv('x', 'timestamp,value\n2014-01-01 00:00:00,3\n')).toThrow(NabDataError);
  });

  it('scores a results file in its own row order, re-resolving windows when it differs', () => {
    const ts = ['a', 'b', 'c', 'd', 'e'];
    const file = toNabFile({ key: 'k', timestamps: ts, values: [1, 2, 3, 4, 5] }, { k: [['c', 'd']] });
    expect(file.windows).toEqual([[2, 3]]);
    expect(withScores(file, [0, 0, 0, 0, 0], ts).windows).toEqual([[2, 3]]);
    expect(withScores(file, [0, 0, 0, 0, 0], ['b', 'a', 'e', 'c', 'd']).windows).toEqual([[3, 4]]);
    expect(() => withScores(file, [0, 0, 0])).toThrow(NabDataError);
  });

  it('builds the published results path', () => {
    expect(resultsRelativePath('numenta', 'realKnownCause/nyc_taxi.csv')).toBe(
      'results/numenta/realKnownCause/numenta_nyc_taxi.csv',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The published reference detectors on the 41 shared NAB files (BENCHMARK.md table).
// ---------------------------------------------------------------------------------------------

const NAB_DIR = defaultNabDir();

interface Expected {
  thresholds: Record<NabProfileName, number>;
  normalised: Record<NabProfileName, number>;
  rawStandard: number;
}

const EXPECTED: Record<string, Expected> = {
  numenta: {
    thresholds: { standard: 0.5421877, reward_low_FP_rate: 0.5751955, reward_low_FN_rate: 0.5421877 },
    normalised: { standard: 68.94, reward_low_FP_rate: 62.19, reward_low_FN_rate: 73.48 },
    rawStandard: 32.583,
  },
  randomCutForest: {
    thresholds: { standard: 0.4539185, reward_low_FP_rate: 0.5751955, reward_low_FN_rate: 0.4480484 },
    normalised: { standard: 49.68, reward_low_FP_rate: 36.08, reward_low_FN_rate: 58.02 },
    rawStandard: -0.555,
  },
  windowedGaussian: {
    thresholds: { standard: 1.0, reward_low_FP_rate: 1.0, reward_low_FN_rate: 1.0 },
    normalised: { standard: 42.58, reward_low_FP_rate: 26.43, reward_low_FN_rate: 49.32 },
    rawStandard: -12.757,
  },
  // The null detector scores every row 0.5; "any" threshold in BENCHMARK.md means any above 0.5.
  null: {
    thresholds: { standard: 1.0, reward_low_FP_rate: 1.0, reward_low_FN_rate: 1.0 },
    normalised: { standard: 0, reward_low_FP_rate: 0, reward_low_FN_rate: 0 },
    rawStandard: -86.0,
  },
};

// NAB's profiles.json is copied into test/fixtures (MIT, test/fixtures/SOURCE.md); the corpus is not.
it('reads the real profiles.json field names', () => {
  const raw: unknown = JSON.parse(readFileSync(path.join(FIXTURES_DIR, 'nab', 'profiles.json'), 'utf8'));
  expect(parseProfiles(raw)).toEqual(NAB_PROFILES);
  expect(readProfiles(path.join(FIXTURES_DIR, 'nab'))).toEqual(NAB_PROFILES);
});

const describeWithNab = describeWithSharedData(
  path.join(NAB_DIR, 'combined_windows.json'),
  'set NAB_DIR to a NAB folder (data/, results/, combined_windows.json), or put it at ../shared/nab',
);

describeWithNab(`published NAB results (${NAB_DIR})`, () => {
  let corpus: NabCorpus;
  let profiles: Record<NabProfileName, NabProfile>;
  const results = new Map<string, ScorableFile[]>();

  beforeAll(() => {
    corpus = loadNabCorpus(NAB_DIR);
    profiles = readProfiles(NAB_DIR);
    for (const d of Object.keys(EXPECTED)) results.set(d, loadDetectorResults(NAB_DIR, d, corpus));
  });

  it('loads 41 files and 86 windows, every window resolved to rows', () => {
    expect(corpus.files).toHaveLength(41);
    expect(corpus.windowCount).toBe(86);
    expect(corpus.files.reduce((n, f) => n + f.windows.length, 0)).toBe(86);
  });

  it("reads the corpus's profiles.json", () => {
    expect(profiles).toEqual(NAB_PROFILES);
  });

  it.each(Object.keys(EXPECTED))('reproduces the BENCHMARK.md scores for %s', (detector) => {
    const exp = EXPECTED[detector]!;
    const files = results.get(detector)!;
    for (const p of NAB_PROFILE_NAMES) {
      const s = scoreCorpus(files, exp.thresholds[p], profiles[p]);
      expect(s.totalWindows).toBe(86);
      expect(Math.abs(normalise(s.raw, corpus.windowCount, profiles[p]) - exp.normalised[p])).toBeLessThan(
        0.01,
      );
      if (p === 'standard') expect(Math.abs(s.raw - exp.rawStandard)).toBeLessThan(0.01);
    }
  });

  it('optimising the threshold on numenta does at least as well as the published threshold', () => {
    const files = results.get('numenta')!;
    for (const p of NAB_PROFILE_NAMES) {
      const published = scoreCorpus(files, EXPECTED.numenta!.thresholds[p], profiles[p]).raw;
      const opt = optimiseThreshold(files, profiles[p]);
      expect(opt.raw).toBeGreaterThanOrEqual(published - 1e-9);
      expect(scoreCorpus(files, opt.threshold, profiles[p]).raw).toBeCloseTo(opt.raw, 6);
    }
  });
});
