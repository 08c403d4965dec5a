// NAB v1.1 scoring rules (see ../shared/BENCHMARK.md), mirroring numenta/NAB's `nab/sweeper.py`
// (per-row sweep scores, threshold sweep) and `nab/runner.py` (normalisation). Pure functions only:
// file reading lives in ./nab-data.ts.

/** A profile's cost matrix, with NAB's field names (`profiles.json` → `<name>.CostMatrix`). */
export interface CostMatrix {
  /** Reward for a window's best detection (scaled by how early it came). */
  tpWeight: number;
  /** Penalty for a window with no detection. */
  fnWeight: number;
  /** Penalty for a detection outside every window (scaled by distance from the previous window). */
  fpWeight: number;
  /** Present in NAB's profiles but unused by the scorer (true negatives score 0). */
  tnWeight?: number;
}

/** One NAB profile as stored in `profiles.json`. */
export interface NabProfile {
  CostMatrix: CostMatrix;
}

/** The three NAB v1.1 profile names. */
export type NabProfileName = 'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate';

/** Profile names in the order NAB reports them. */
export const NAB_PROFILE_NAMES: readonly NabProfileName[] = [
  'standard',
  'reward_low_FP_rate',
  'reward_low_FN_rate',
];

/** NAB v1.1's `config/profiles.json`, for callers that do not read the file. */
export const NAB_PROFILES: Readonly<Record<NabProfileName, NabProfile>> = {
  standard: { CostMatrix: { tpWeight: 1.0, fnWeight: 1.0, fpWeight: 0.11, tnWeight: 1.0 } },
  reward_low_FP_rate: { CostMatrix: { tpWeight: 1.0, fnWeight: 1.0, fpWeight: 0.22, tnWeight: 1.0 } },
  reward_low_FN_rate: { CostMatrix: { tpWeight: 1.0, fnWeight: 2.0, fpWeight: 0.11, tnWeight: 1.0 } },
};

/** An inclusive window `[left, right]` of row indices into one file. */
export type RowWindow = readonly [left: number, right: number];

/** One file ready to score: per-row anomaly scores and its label windows as row indices. */
export interface ScorableFile {
  /** Corpus-relative name, e.g. `realKnownCause/nyc_taxi.csv` (for reports only). */
  name: string;
  /** Anomaly score per row, oldest first. */
  scores: ArrayLike<number>;
  /** Label windows as inclusive row ranges, ordered and non-overlapping. */
  windows: readonly RowWindow[];
  /** Rows ignored at the start; defaults to {@link probationRows}(scores.length). */
  probationRows?: number;
}

/** Score of one file at one threshold. */
export interface FileScore {
  /** Raw NAB score: tpScore + fnScore + fpScore. */
  raw: number;
  /** Sum of the windows' best-detection rewards. */
  tpScore: number;
  /** −fnWeight per scorable window missed. */
  fnScore: number;
  /** Sum of the (negative) false-positive costs. */
  fpScore: number;
  /** Windows with at least one row after the probationary period (NAB scores only these). */
  windowCount: number;
  /** Scorable windows with a detection. */
  windowsHit: number;
  /** Scorable windows without a detection (false negatives). */
  windowsMissed: number;
  /** Detection rows outside every window, after probation (false positives). */
  fpCount: number;
  /** Detection rows inside windows, after probation. */
  tpRows: number;
}

/** Corpus score at one threshold: per-file scores summed. */
export interface CorpusScore extends FileScore {
  /** Threshold used: a row is a detection when `score >= threshold`. */
  threshold: number;
  /** Every window in the corpus, scorable or not (NAB normalises by this). */
  totalWindows: number;
  /** Per-file breakdown, in input order. */
  files: (FileScore & { name: string })[];
}

/** Result of the threshold sweep. */
export interface OptimisedThreshold {
  /** Best threshold (a distinct score value; 1.1 — NAB's start value — if never firing is best). */
  threshold: number;
  /** Corpus raw score at that threshold. */
  raw: number;
  /** Windows hit at that threshold. */
  windowsHit: number;
  /** False-positive detection rows at that threshold. */
  fpCount: number;
  /** Number of distinct thresholds examined (including "nothing fires"). */
  thresholdsTried: number;
}

/** NAB's probationary fraction of each file. */
export const PROBATION_PERCENT = 0.15;

/** Row label for rows inside the probationary period. */
const PROBATION = -2;
/** Row label for rows outside every window. */
const OUTSIDE = -1;

/**
 * NAB's scaled sigmoid: `2/(1+exp(5y)) − 1`, and exactly −1 when `y > 3`.
 * Positive for y < 0 (inside a window), 0 at y = 0, negative after.
 */
export function scaledSigmoid(y: number): number {
  if (y > 3) return -1;
  return 2 / (1 + Math.exp(5 * y)) - 1;
}

/** `scaledSigmoid(−1)`, the reward of the earliest possible detection before normalising to 1. */
export const MAX_TP = scaledSigmoid(-1);

/** Probationary rows of a file with `rowCount` rows: `min(floor(0.15·N), 0.15·5000 = 750)`. */
export function probationRows(rowCount: number, percent = PROBATION_PERCENT): number {
  return Math.min(Math.floor(percent * rowCount), Math.floor(percent * 5000));
}

/**
 * Per-row, profile-independent sweep data of a file (NAB `calcSweepScore` without the weights).
 * `label[i]` is the window index (0-based, in `windows` order), −1 outside windows, −2 in probation.
 * `unit[i]` is the unweighted contribution if row i fires: `scaledSigmoid(pos)/scaledSigmoid(−1)`
 * in a window (multiply by tpWeight), or the (negative) sigmoid of the distance past the previous
 * window, −1 when none precedes (multiply by fpWeight).
 */
export interface RowSweep {
  label: Int32Array;
  unit: Float64Array;
  /** Which windows have at least one non-probationary row. */
  scorable: boolean[];
}

/**
 * Computes {@link RowSweep} for a file of `rowCount` rows. Windows must be ordered, non-overlapping,
 * inclusive and inside `[0, rowCount)`; anything else throws.
 *
 * A window of width 1 followed by a false positive would divide by zero in NAB (width − 1 = 0);
 * here the distance becomes +∞ and the cost the full −1.
 */
export function sweepRows(rowCount: number, windows: readonly RowWindow[], probation: number): RowSweep {
  validateWindows(rowCount, windows);
  const label = new Int32Array(rowCount).fill(OUTSIDE);
  const unit = new Float64Array(rowCount);
  const scorable = windows.map(() => false);
  let w = 0;
  let prevRight = -1;
  let prevWidth = 0;
  for (let i = 0; i < rowCount; i++) {
    const cur = windows[w];
    if (cur && i >= cur[0] && i <= cur[1]) {
      const width = cur[1] - cur[0] + 1;
      unit[i] = scaledSigmoid(-(cur[1] - i + 1) / width) / MAX_TP;
      label[i] = w;
      if (i >= probation) scorable[w] = true;
      if (i === cur[1]) {
        prevRight = cur[1];
        prevWidth = width;
        w++;
      }
    } else {
      unit[i] = prevRight < 0 ? -1 : scaledSigmoid(Math.abs(i - prevRight) / (prevWidth - 1));
    }
    if (i < probation) label[i] = PROBATION;
  }
  return { label, unit, scorable };
}

function validateWindows(rowCount: number, windows: readonly RowWindow[]): void {
  let prevRight = -1;
  for (const [left, right] of windows) {
    if (
      !Number.isInteger(left) ||
      !Number.isInteger(right) ||
      left > right ||
      left < 0 ||
      right >= rowCount
    ) {
      throw new RangeError(`bad window [${left}, ${right}] for ${rowCount} rows`);
    }
    if (left <= prevRight) throw new RangeError(`windows overlap or are unordered at [${left}, ${right}]`);
    prevRight = right;
  }
}

function scoreSweep(
  scores: ArrayLike<number>,
  sweep: RowSweep,
  threshold: number,
  cost: CostMatrix,
): FileScore {
  const best = sweep.scorable.map(() => Number.NEGATIVE_INFINITY);
  let fpScore = 0;
  let fpCount = 0;
  let tpRows = 0;
  const { label, unit } = sweep;
  for (let i = 0; i < label.length; i++) {
    const l = label[i]!;
    if (l === PROBATION || !(scores[i]! >= threshold)) continue;
    if (l === OUTSIDE) {
      fpScore += unit[i]! * cost.fpWeight;
      fpCount++;
    } else {
      tpRows++;
      const v = unit[i]! * cost.tpWeight;
      if (v > best[l]!) best[l] = v;
    }
  }
  let tpScore = 0;
  let fnScore = 0;
  let windowCount = 0;
  let windowsHit = 0;
  for (let k = 0; k < best.length; k++) {
    if (!sweep.scorable[k]) continue;
    windowCount++;
    // NAB keeps max(−fnWeight, best detection); a detection inside a window is always > 0 > −fnWeight.
    if (best[k]! > -cost.fnWeight) {
      tpScore += best[k]!;
      windowsHit++;
    } else {
      fnScore -= cost.fnWeight;
    }
  }
  return {
    raw: tpScore + fnScore + fpScore,
    tpScore,
    fnScore,
    fpScore,
    windowCount,
    windowsHit,
    windowsMissed: windowCount - windowsHit,
    fpCount,
    tpRows,
  };
}

/**
 * Scores one file at `threshold` (a row fires when `score >= threshold`) under `profile`.
 *
 * Per NAB v1.1: rows before `probation` are ignored; each window scores its best (= earliest)
 * detection `tp·S(−(right−i+1)/w)/S(−1)` or −fn; each detection outside windows costs
 * `fp·S(|i−prevRight|/(prevWidth−1))`, or −fp before the first window. A window lying wholly
 * inside the probationary period is not scored at all (NAB's sweeper never sees it).
 */
export function scoreFile(
  scores: ArrayLike<number>,
  windows: readonly RowWindow[],
  threshold: number,
  profile: NabProfile,
  probation: number = probationRows(scores.length),
): FileScore {
  return scoreSweep(scores, sweepRows(scores.length, windows, probation), threshold, profile.CostMatrix);
}

/** Scores every file at one corpus-wide threshold and sums the results. */
export function scoreCorpus(
  files: readonly ScorableFile[],
  threshold: number,
  profile: NabProfile,
): CorpusScore {
  const total: CorpusScore = {
    threshold,
    raw: 0,
    tpScore: 0,
    fnScore: 0,
    fpScore: 0,
    windowCount: 0,
    totalWindows: 0,
    windowsHit: 0,
    windowsMissed: 0,
    fpCount: 0,
    tpRows: 0,
    files: [],
  };
  for (const f of files) {
    const s = scoreFile(
      f.scores,
      f.windows,
      threshold,
      profile,
      f.probationRows ?? probationRows(f.scores.length),
    );
    total.raw += s.raw;
    total.tpScore += s.tpScore;
    total.fnScore += s.fnScore;
    total.fpScore += s.fpScore;
    total.windowCount += s.windowCount;
    total.totalWindows += f.windows.length;
    total.windowsHit += s.windowsHit;
    total.windowsMissed += s.windowsMissed;
    total.fpCount += s.fpCount;
    total.tpRows += s.tpRows;
    total.files.push({ name: f.name, ...s });
  }
  return total;
}

/**
 * NAB's normalised score: `100·(raw − rawNull)/(tp·windows − rawNull)` with `rawNull = −fn·windows`,
 * so the detector that never fires scores 0 and a perfect one 100. `windowCount` is every label
 * window in the corpus (NAB counts them from `combined_windows.json`).
 */
export function normalise(raw: number, windowCount: number, profile: NabProfile): number {
  const { tpWeight, fnWeight } = profile.CostMatrix;
  const rawNull = -fnWeight * windowCount;
  const perfect = tpWeight * windowCount;
  return (100 * (raw - rawNull)) / (perfect - rawNull);
}

/**
 * Finds the corpus-wide threshold with the best raw score, like NAB's sweeper: every scorable row
 * of every file is sorted by anomaly score, descending, and activated one distinct score at a
 * time while the score is kept up to date incrementally (false positives add their cost, a
 * window keeps its best detection). O(R log R) for R rows. Ties keep the highest threshold,
 * as NAB's `max()` over the descending list does. NaN scores never fire.
 */
export function optimiseThreshold(files: readonly ScorableFile[], profile: NabProfile): OptimisedThreshold {
  const cost = profile.CostMatrix;
  let rows = 0;
  for (const f of files) rows += f.scores.length;
  const score = new Float64Array(rows);
  const gain = new Float64Array(rows);
  const win = new Int32Array(rows); // global window id, or −1 for a false positive
  let n = 0;
  let windowBase = 0;
  let scorableWindows = 0;
  let maxScore = Number.NEGATIVE_INFINITY;
  for (const f of files) {
    const sweep = sweepRows(f.scores.length, f.windows, f.probationRows ?? probationRows(f.scores.length));
    for (const ok of sweep.scorable) if (ok) scorableWindows++;
    for (let i = 0; i < sweep.label.length; i++) {
      const l = sweep.label[i]!;
      const s = f.scores[i]!;
      if (l === PROBATION || Number.isNaN(s)) continue;
      score[n] = s;
      if (l === OUTSIDE) {
        gain[n] = sweep.unit[i]! * cost.fpWeight;
        win[n] = -1;
      } else {
        gain[n] = sweep.unit[i]! * cost.tpWeight;
        win[n] = windowBase + l;
      }
      if (s > maxScore) maxScore = s;
      n++;
    }
    windowBase += f.windows.length;
  }
  const order = new Uint32Array(n);
  for (let k = 0; k < n; k++) order[k] = k;
  order.sort((a, b) => score[b]! - score[a]!);

  const best = new Float64Array(windowBase).fill(-cost.fnWeight);
  let raw = 0;
  raw -= cost.fnWeight * scorableWindows;
  let hit = 0;
  let fp = 0;
  const result: OptimisedThreshold = {
    threshold: maxScore < 1.1 ? 1.1 : Number.POSITIVE_INFINITY,
    raw,
    windowsHit: 0,
    fpCount: 0,
    thresholdsTried: 1,
  };
  let k = 0;
  while (k < n) {
    const t = score[order[k]!]!;
    for (; k < n && score[order[k]!] === t; k++) {
      const r = order[k]!;
      const w = win[r]!;
      if (w < 0) {
        raw += gain[r]!;
        fp++;
      } else if (gain[r]! > best[w]!) {
        if (best[w] === -cost.fnWeight) hit++;
        raw += gain[r]! - best[w]!;
        best[w] = gain[r]!;
      }
    }
    result.thresholdsTried++;
    if (raw > result.raw) {
      result.threshold = t;
      result.raw = raw;
      result.windowsHit = hit;
      result.fpCount = fp;
    }
  }
  return result;
}

/** Validates a parsed `profiles.json` and returns the three NAB profiles. */
export function parseProfiles(json: unknown): Record<NabProfileName, NabProfile> {
  if (typeof json !== 'object' || json === null) throw new TypeError('profiles.json: not an object');
  const out = {} as Record<NabProfileName, NabProfile>;
  for (const name of NAB_PROFILE_NAMES) {
    const cm = (json as Record<string, { CostMatrix?: Record<string, unknown> } | undefined>)[name]
      ?.CostMatrix;
    const num = (k: string): number => {
      const v = cm?.[k];
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new TypeError(`profiles.json: ${name}.CostMatrix.${k}`);
      return v;
    };
    out[name] = {
      CostMatrix: { tpWeight: num('tpWeight'), fnWeight: num('fnWeight'), fpWeight: num('fpWeight') },
    };
    if (typeof cm?.tnWeight === 'number') out[name].CostMatrix.tnWeight = cm.tnWeight;
  }
  return out;
}
