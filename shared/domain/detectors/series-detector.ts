// (domain) the streaming detector every code path runs (detect Lambda, local stack, NAB harness):
// one instance per series, fed its points oldest first, one at a time, never looking ahead.
//
// 1. Baseline: the median of the last `windowPoints` values (level model) or, once the series has
//    two days of history and it fits better, the median of the same time of day over the previous
//    `seasonality.days` days (daily model) or, once two weeks exist, of the same time and weekday over
//    the previous `seasonality.weeks` weeks (weekly model). "Fits better" = smaller median absolute
//    residual over the last `windowPoints` points, so a series with no pattern keeps the level model.
// 2. Three detectors judge the point against that baseline, each in robust units:
//    - zscore: residual / (1.4826 · MAD of recent residuals) — a robust z-score;
//    - spike: the step from the previous point / the typical step (level model only: a seasonal
//      series' daily ramps are expected steps);
//    - level_shift: the median of the last `levelShift.points` residuals / the window's IQR-based
//      sigma — a sustained move that single-point tests miss (persistence: M of N by construction).
//      It fires only at a point that is itself on the moved side (at least half as far off): a
//      shift is reported while it is in effect, never at a point already back to normal.
//    Sigmas are robust (MAD); when most residuals are zero (quantised or sparse series, an error
//    count that is almost always 0) they fall back to the 90th percentile, then the mean absolute
//    deviation, so a burst on a normally-zero series is judged instead of ignored. No sigma is
//    below 1 % of the level or the data's resolution (the smallest gap between distinct values in
//    the window): one more event on a count is never many sigmas.
// 3. Surprise, not just distance: each stream (point = max(z, step/2); level shift) keeps the last
//    `historyPoints` of its own raw deviations, and a point is anomalous only when its deviation
//    beats every one of them (a new record for this series) and clears the stream's floor. That
//    adapts to each series' own noise — heavy-tailed, quantised or smooth — without per-series knobs.
//    Older deviations fade rather than drop off a cliff: for `2 · fadePoints` more points they still
//    count, weighted exp(−age / fadePoints). Without that, last week's biggest burst is forgotten
//    the moment it leaves the history and the next ordinary burst becomes a "record".
// 4. Score in [0, 1]: 0.5 exactly at the record, → 1 as the deviation dwarfs the previous maximum;
//    below 0.5 the score is the deviation's rank in the history. After an anomaly the next
//    `refractoryPoints` points are halved (< 0.5) unless they escalate to a worse severity: one
//    incident, one detection — but a weak early record never hides a worse incident behind it.
// Sensitivity s (1 + the metric's feedback adjustment) multiplies every floor, record and severity
// threshold: s = 1.1 is 10% less sensitive.
import type { Severity } from '../types';
import type { DetectorResult } from './detector';
import { abstain } from './detector';
import { FadingMax, type FadingState, medianOf, SortedWindow } from './sorted-window';

/** A severity ladder in a detector's own deviation unit; below `mediumAt` an anomaly is `low`. */
export interface SeverityLadder {
  /** Minimum deviation for any anomaly (the deviation floor). */
  readonly floor: number;
  readonly mediumAt: number;
  readonly highAt: number;
  readonly criticalAt: number;
}

/** Everything the detector needs; one global configuration (`detection` in the monitor config). */
export interface DetectorSettings {
  /** Baseline and residual windows, in points. */
  readonly windowPoints: number;
  /** Record history of each stream's deviations, in points: these count in full. */
  readonly historyPoints: number;
  /**
   * Older deviations fade instead of being forgotten: one that left the history `a` points ago
   * still counts as its value × exp(−a / fadePoints), for up to 2 · fadePoints points. 0 = off.
   */
  readonly fadePoints: number;
  /** Points before the first verdict (warm-up). */
  readonly minPoints: number;
  /** After an anomaly, this many points cannot fire again. */
  readonly refractoryPoints: number;
  /**
   * Sigma floor as a fraction of the baseline level: on a quiet series at 50 %, a 0.1-point wiggle is
   * not 10 sigma. 0.01 = deviations are measured in units of at least 1 % of the level.
   */
  readonly minRelativeDeviation: number;
  /** Daily (same time, previous `days` days) and weekly (same time and weekday, previous `weeks` weeks) baselines. */
  readonly seasonality: { readonly enabled: boolean; readonly days: number; readonly weeks: number };
  /** Robust z of the point (|residual| / sigma). */
  readonly zscore: SeverityLadder;
  /** Step from the previous point in typical steps. */
  readonly spike: SeverityLadder;
  /** Median of the last `points` residuals in IQR-sigmas. */
  readonly levelShift: SeverityLadder & { readonly points: number };
}

/** Which baseline a point was judged against. */
export type BaselineModel = 'level' | 'daily' | 'weekly';

/** The detector's verdict on one point. */
export interface Verdict {
  /** Combined anomaly score in [0, 1]; ≥ 0.5 exactly when `fired`. */
  readonly score: number;
  readonly fired: boolean;
  /** Worst severity of the fired detectors, null when nothing fired. */
  readonly severity: Severity | null;
  /** Which baseline the point was judged against. */
  readonly model: BaselineModel | null;
  /** One result per detector (zscore, spike, level_shift), fired or not. */
  readonly results: readonly DetectorResult[];
}

const DAY_MS = 86_400_000;
const MIN_RESIDUALS = 20;
const MAD_TO_SIGMA = 1.4826;
const IQR_TO_SIGMA = 1 / 1.349;
const Q90_TO_SIGMA = 1.6449;
const MEAN_ABS_TO_SIGMA = Math.sqrt(Math.PI / 2);
/** A level shift fires only at a point at least this fraction of the shift off (same side). */
const SHIFT_AGREEMENT = 0.5;
/** Points between refreshes of the resolution (an O(window) scan). */
const RESOLUTION_EVERY = 50;
/** Highest score of a point that did not fire. */
const NOT_FIRED = 0.49;

/**
 * Version of the detector's algorithm and state layout. Bump it whenever a change alters verdicts or
 * the snapshot: checkpoints of another version are discarded (the detector re-warms from the stored
 * points) instead of resuming a stream the new code would have judged differently. A unit test
 * fails when verdicts change and this is not bumped.
 */
export const DETECTOR_VERSION = 2;

/** Everything a detector's verdicts depend on besides the points: settings, period, sensitivity. */
export function detectorFingerprint(
  settings: DetectorSettings,
  periodMs: number,
  sensitivity: number,
): string {
  const { windowPoints, historyPoints, fadePoints, minPoints, refractoryPoints, minRelativeDeviation } =
    settings;
  return JSON.stringify({
    v: DETECTOR_VERSION,
    periodMs,
    sensitivity,
    windowPoints,
    historyPoints,
    fadePoints,
    minPoints,
    refractoryPoints,
    minRelativeDeviation,
    seasonality: settings.seasonality,
    zscore: settings.zscore,
    spike: settings.spike,
    levelShift: settings.levelShift,
  });
}

/**
 * A detector's whole state as plain JSON (a checkpoint another process resumes from). Numbers that
 * JSON cannot hold (NaN, −∞: "not yet") are null.
 */
export interface DetectorSnapshot {
  /** {@link detectorFingerprint} of the detector that took it. */
  readonly fingerprint: string;
  /** Timestamp of the last point fed. */
  readonly lastTs: number;
  /** Window contents, oldest first. */
  readonly windows: {
    readonly level: readonly number[];
    readonly levelResiduals: readonly number[];
    readonly steps: readonly number[];
    readonly pointHistory: readonly number[];
    readonly shiftHistory: readonly number[];
    /** Residuals of each seasonal candidate, in the settings' order (daily, weekly). */
    readonly seasons: readonly (readonly number[])[];
  };
  readonly faded: { readonly point: FadingState | null; readonly shift: FadingState | null };
  readonly recent: readonly number[];
  /** The seasonal look-back: timestamps (the first, then differences) and values. */
  readonly past: { readonly tsDeltas: readonly number[]; readonly values: readonly number[] };
  readonly firstTs: number | null;
  readonly previous: number | null;
  readonly index: number;
  readonly lastFire: number | null;
  readonly lastFireRank: number;
  readonly resolution: number;
  readonly resolutionAt: number | null;
}

/** A snapshot that does not fit the detector restoring it. */
export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

const orNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Points of memory a verdict depends on (besides seasonal look-back): what detect must read first. */
export function memoryPoints(settings: DetectorSettings): number {
  return (
    2 * settings.windowPoints + settings.historyPoints + 2 * settings.fadePoints + settings.refractoryPoints
  );
}

function ladder(x: number, l: SeverityLadder, s: number): Severity {
  if (x >= l.criticalAt * s) return 'critical';
  if (x >= l.highAt * s) return 'high';
  if (x >= l.mediumAt * s) return 'medium';
  return 'low';
}

function positiveOrNaN(x: number): number {
  return x > 0 && Number.isFinite(x) ? x : Number.NaN;
}

/** Sigma from a window of absolute deviations. */
function robustSigma(absDeviations: SortedWindow): number {
  const mad = MAD_TO_SIGMA * absDeviations.quantile(0.5);
  if (mad > 0) return mad;
  // More than half the deviations are zero (quantised or sparse series): the MAD says "no spread"
  // when there is some. Fall back to the 90th percentile, scaled to a normal sigma…
  const q90 = absDeviations.quantile(0.9) / Q90_TO_SIGMA;
  if (q90 > 0) return q90;
  // … and when more than 90 % are zero (an error count that is almost always 0), to the mean
  // absolute deviation: any spread at all gives a scale, so the burst that matters is judged.
  return MEAN_ABS_TO_SIGMA * absDeviations.mean();
}

/** Record score of `raw` against `history` (see header, step 4). */
function recordScore(
  raw: number,
  history: SortedWindow,
  faded: FadingMax | undefined,
  floor: number,
  s: number,
): { score: number; bar: number } {
  const prevMax = Math.max(0, history.max(), faded?.max() ?? 0);
  const bar = s * Math.max(prevMax, floor);
  let score: number;
  if (raw > s * prevMax) score = raw > 0 ? 1 - (0.5 * s * prevMax) / raw : 0;
  // Under the bar: the share of the history (and the bar itself) at least as large.
  else score = 0.5 * (1 - (history.countAtLeast(raw / s) + 1) / (history.size + 1));
  // Under the floor: never an anomaly, whatever the history says.
  if (raw < s * floor) score = Math.min(score, (0.49 * raw) / (s * floor));
  return { score: Math.min(1, Math.max(0, score)), bar };
}

/** Streaming detector for one series. Feed points in time order with {@link SeriesDetector.push}. */
export class SeriesDetector {
  private readonly level: SortedWindow;
  private readonly levelResiduals: SortedWindow;
  /** Seasonal candidates (daily, weekly) with their residual histories. */
  private readonly seasons: {
    name: 'daily' | 'weekly';
    lagMs: number;
    count: number;
    residuals: SortedWindow;
  }[];
  private readonly steps: SortedWindow;
  private readonly pointHistory: SortedWindow;
  private readonly shiftHistory: SortedWindow;
  /** Deviations that left the histories, fading (see DetectorSettings.fadePoints). */
  private readonly pointFaded: FadingMax | undefined;
  private readonly shiftFaded: FadingMax | undefined;
  private readonly recent: number[] = [];
  /** (ts, value) of the last `seasonality.days` days, oldest first, for the seasonal baseline. */
  private readonly pastTs: number[] = [];
  private readonly pastValues: number[] = [];
  private pastStart = 0;
  private firstTs = Number.NaN;
  private previous = Number.NaN;
  private index = 0;
  private lastFire = Number.NEGATIVE_INFINITY;
  private lastFireRank = 0;
  /** The data's resolution (see push), refreshed every RESOLUTION_EVERY points. */
  private resolution = 0;
  private resolutionAt = Number.NEGATIVE_INFINITY;
  private lastFed = Number.NEGATIVE_INFINITY;

  /**
   * @param settings - the detection configuration
   * @param periodMs - the series' sampling period (CloudWatch period); seasonal look-ups match ±period/2
   * @param sensitivity - threshold multiplier (1 + feedback adjustment)
   */
  constructor(
    private readonly settings: DetectorSettings,
    private readonly periodMs: number,
    private readonly sensitivity = 1,
  ) {
    const w = settings.windowPoints;
    this.level = new SortedWindow(w);
    this.levelResiduals = new SortedWindow(w);
    const sz = settings.seasonality;
    this.seasons = !sz.enabled
      ? []
      : [
          { name: 'daily', lagMs: DAY_MS, count: sz.days, residuals: new SortedWindow(w) },
          ...(sz.weeks >= 2
            ? [
                {
                  name: 'weekly' as const,
                  lagMs: 7 * DAY_MS,
                  count: sz.weeks,
                  residuals: new SortedWindow(w),
                },
              ]
            : []),
        ];
    this.steps = new SortedWindow(w);
    this.pointHistory = new SortedWindow(settings.historyPoints);
    this.shiftHistory = new SortedWindow(settings.historyPoints);
    const fade = settings.fadePoints;
    this.pointFaded = fade > 0 ? new FadingMax(2 * fade, fade) : undefined;
    this.shiftFaded = fade > 0 ? new FadingMax(2 * fade, fade) : undefined;
  }

  /** Timestamp of the last point fed (−∞ before any). */
  get lastTs(): number {
    return this.lastFed;
  }

  /** An independent copy of the whole state: a checkpoint the next detect run resumes from. */
  clone(): SeriesDetector {
    const copy = Object.create(SeriesDetector.prototype) as SeriesDetector;
    Object.assign(copy, this, {
      level: this.level.clone(),
      levelResiduals: this.levelResiduals.clone(),
      seasons: this.seasons.map((x) => ({ ...x, residuals: x.residuals.clone() })),
      steps: this.steps.clone(),
      pointHistory: this.pointHistory.clone(),
      shiftHistory: this.shiftHistory.clone(),
      pointFaded: this.pointFaded?.clone(),
      shiftFaded: this.shiftFaded?.clone(),
      recent: [...this.recent],
      pastTs: this.pastTs.slice(this.pastStart),
      pastValues: this.pastValues.slice(this.pastStart),
      pastStart: 0,
    });
    return copy;
  }

  /** The whole state as plain JSON, for a checkpoint kept outside this process. */
  snapshot(): DetectorSnapshot {
    const ts = this.pastTs.slice(this.pastStart);
    return {
      fingerprint: detectorFingerprint(this.settings, this.periodMs, this.sensitivity),
      lastTs: this.lastFed,
      windows: {
        level: this.level.values(),
        levelResiduals: this.levelResiduals.values(),
        steps: this.steps.values(),
        pointHistory: this.pointHistory.values(),
        shiftHistory: this.shiftHistory.values(),
        seasons: this.seasons.map((x) => x.residuals.values()),
      },
      faded: { point: this.pointFaded?.state() ?? null, shift: this.shiftFaded?.state() ?? null },
      recent: [...this.recent],
      past: {
        tsDeltas: ts.map((t, i) => (i === 0 ? t : t - ts[i - 1]!)),
        values: this.pastValues.slice(this.pastStart),
      },
      firstTs: orNull(this.firstTs),
      previous: orNull(this.previous),
      index: this.index,
      lastFire: orNull(this.lastFire),
      lastFireRank: this.lastFireRank,
      resolution: this.resolution,
      resolutionAt: orNull(this.resolutionAt),
    };
  }

  /**
   * A detector in the state of `snapshot`, or undefined when it was taken by another detector
   * (other settings, period, sensitivity or {@link DETECTOR_VERSION}): resuming that would judge the
   * next points by rules they were not meant for.
   * @throws SnapshotError when the snapshot is malformed (lengths, order, non-finite values)
   */
  static restore(
    settings: DetectorSettings,
    periodMs: number,
    sensitivity: number,
    snapshot: DetectorSnapshot,
  ): SeriesDetector | undefined {
    if (snapshot.fingerprint !== detectorFingerprint(settings, periodMs, sensitivity)) return undefined;
    const d = new SeriesDetector(settings, periodMs, sensitivity);
    try {
      const w = snapshot.windows;
      if (w.seasons.length !== d.seasons.length) throw new RangeError('wrong number of seasonal windows');
      const fill = (target: SortedWindow, values: readonly number[]) =>
        SortedWindow.of(target.capacity, values);
      const faded = (f: FadingMax | undefined, state: FadingState | null) => {
        if ((f === undefined) !== (state === null)) throw new RangeError('fading memory present in one only');
        return f && state ? FadingMax.restore(f.capacity, f.tau, state) : undefined;
      };
      const ts: number[] = [];
      snapshot.past.tsDeltas.forEach((delta, i) => {
        ts.push(i === 0 ? delta : ts[i - 1]! + delta);
      });
      const past = snapshot.past.values;
      const finite = (xs: readonly number[]) => xs.every(Number.isFinite);
      if (
        ts.length !== past.length ||
        !finite(ts) ||
        !finite(past) ||
        ts.some((t, i) => i > 0 && t <= ts[i - 1]!)
      )
        throw new RangeError('seasonal look-back is not an increasing series of finite points');
      if (snapshot.recent.length > settings.levelShift.points || !finite(snapshot.recent))
        throw new RangeError('recent residuals do not fit');
      const ints = [snapshot.index, snapshot.lastFireRank];
      if (
        !ints.every((x) => Number.isInteger(x) && x >= 0) ||
        snapshot.lastFireRank > 3 ||
        !Number.isFinite(snapshot.lastTs) ||
        !(Number.isFinite(snapshot.resolution) && snapshot.resolution >= 0)
      )
        throw new RangeError('counters are not counts');
      Object.assign(d, {
        level: fill(d.level, w.level),
        levelResiduals: fill(d.levelResiduals, w.levelResiduals),
        steps: fill(d.steps, w.steps),
        pointHistory: fill(d.pointHistory, w.pointHistory),
        shiftHistory: fill(d.shiftHistory, w.shiftHistory),
        seasons: d.seasons.map((x, k) => ({ ...x, residuals: fill(x.residuals, w.seasons[k]!) })),
        pointFaded: faded(d.pointFaded, snapshot.faded.point),
        shiftFaded: faded(d.shiftFaded, snapshot.faded.shift),
        recent: [...snapshot.recent],
        pastTs: ts,
        pastValues: [...past],
        pastStart: 0,
        firstTs: snapshot.firstTs ?? Number.NaN,
        previous: snapshot.previous ?? Number.NaN,
        index: snapshot.index,
        lastFire: snapshot.lastFire ?? Number.NEGATIVE_INFINITY,
        lastFireRank: snapshot.lastFireRank,
        resolution: snapshot.resolution,
        resolutionAt: snapshot.resolutionAt ?? Number.NEGATIVE_INFINITY,
        lastFed: snapshot.lastTs,
      });
    } catch (error) {
      throw new SnapshotError(`Detector snapshot does not fit: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return d;
  }

  /** Judge a point against everything before it, then remember it. Non-finite values are rejected. */
  push(ts: number, value: number): Verdict {
    if (!Number.isFinite(value) || !Number.isFinite(ts)) {
      return { score: 0, fired: false, severity: null, model: null, results: ABSTAIN_INVALID };
    }
    const cfg = this.settings;
    const s = this.sensitivity;
    if (Number.isNaN(this.firstTs)) this.firstTs = ts;
    const ready = this.level.size >= MIN_RESIDUALS;
    const level = ready ? Math.abs(this.level.quantile(0.5)) : 0;
    // Sigma floor: 1 % of the level, and the data's resolution (the smallest gap between distinct
    // values in the window): on a count, one more event is never "many sigmas" however rare events are.
    if (this.index >= this.resolutionAt + RESOLUTION_EVERY) {
      this.resolution = this.level.minGap() || 0;
      this.resolutionAt = this.index;
    }
    const floor = Math.max(cfg.minRelativeDeviation * level, this.resolution);

    // 1. Baselines and residuals.
    const levelBase = ready ? this.level.quantile(0.5) : Number.NaN;
    const levelRes = value - levelBase;
    const levelMad = this.levelResiduals.quantile(0.5);
    // Seasonal candidates: each needs its own residual history and must fit better than the level.
    const seasonalRes: number[] = [];
    let chosen = -1;
    let bestMad = levelMad;
    let seasonalBase = Number.NaN;
    this.seasons.forEach((season, k) => {
      const base = this.seasonalBaseline(ts, season.lagMs, season.count);
      seasonalRes.push(value - base);
      const mad = season.residuals.quantile(0.5);
      if (!Number.isNaN(base) && season.residuals.size >= MIN_RESIDUALS && mad < bestMad) {
        chosen = k;
        bestMad = mad;
        seasonalBase = base;
      }
    });
    const useSeasonal = chosen >= 0;
    const baseline = useSeasonal ? seasonalBase : levelBase;
    const residual = useSeasonal ? seasonalRes[chosen]! : levelRes;
    // The chosen baseline's residual spread: the point's sigma, and the level shift's on a seasonal one.
    const residualSigma = robustSigma(useSeasonal ? this.seasons[chosen]!.residuals : this.levelResiduals);

    // 2. Raw deviations.
    let z = 0;
    let sigma = Number.NaN;
    let stepZ = 0;
    let stepSigma = Number.NaN;
    const step = value - this.previous;
    if (ready && this.levelResiduals.size > 0) {
      // No spread at all (a flat window at level 0): there is no scale to judge against — no verdict.
      sigma = positiveOrNaN(Math.max(residualSigma, floor));
      if (!Number.isNaN(sigma)) z = residual / sigma;
      if (!useSeasonal && this.steps.size >= MIN_RESIDUALS && Number.isFinite(step)) {
        stepSigma = positiveOrNaN(Math.max(robustSigma(this.steps), floor));
        if (!Number.isNaN(stepSigma)) stepZ = step / stepSigma;
      }
    }
    const pointRaw = Math.max(Math.abs(z), Math.abs(stepZ) / 2);

    let shift = 0;
    let shiftInEffect = false;
    let shiftSigma = Number.NaN;
    const warm = this.level.size >= cfg.minPoints;
    if (warm && Number.isFinite(residual)) {
      this.recent.push(residual);
      if (this.recent.length > cfg.levelShift.points) this.recent.shift();
      if (this.recent.length === cfg.levelShift.points) {
        const scale = useSeasonal
          ? residualSigma
          : // The IQR collapses on quantised series too: same fallback as the point sigma.
            IQR_TO_SIGMA * (this.level.quantile(0.75) - this.level.quantile(0.25)) || residualSigma;
        shiftSigma = positiveOrNaN(Math.max(scale, floor));
        if (!Number.isNaN(shiftSigma)) {
          const moved = medianOf(this.recent);
          shift = moved / shiftSigma;
          // A shift is reported only while it is in effect: this point is on the moved side, at
          // least half as far off as the recent median (not a point already back to normal).
          shiftInEffect = residual * moved > 0 && Math.abs(residual) >= SHIFT_AGREEMENT * Math.abs(moved);
        }
      }
    }

    // 3-4. Surprise against each stream's own history, refractory.
    let pointScore = 0;
    let pointBar = Number.NaN;
    if (this.pointHistory.size >= cfg.minPoints) {
      const r = recordScore(pointRaw, this.pointHistory, this.pointFaded, cfg.zscore.floor, s);
      pointScore = r.score;
      pointBar = r.bar;
    }
    let shiftScore = 0;
    let shiftBar = Number.NaN;
    if (this.shiftHistory.size >= cfg.minPoints) {
      const r = recordScore(Math.abs(shift), this.shiftHistory, this.shiftFaded, cfg.levelShift.floor, s);
      // Its history still learns the deviation; only the verdict waits for a point that agrees.
      shiftScore = shiftInEffect ? r.score : Math.min(r.score, NOT_FIRED);
      shiftBar = r.bar;
    }
    // Severity of what would fire (each detector on its own ladder).
    const spikeLed = Math.abs(stepZ) / 2 > Math.abs(z);
    // A point anomaly is as severe as the worse of its two readings (distance and jump).
    const pointSeverity =
      pointScore >= 0.5
        ? worse(ladder(Math.abs(z), cfg.zscore, s), ladder(Math.abs(stepZ), cfg.spike, s))
        : null;
    const shiftSeverity = shiftScore >= 0.5 ? ladder(Math.abs(shift), cfg.levelShift, s) : null;
    const candidate = worse(pointSeverity, shiftSeverity);

    // Refractory: the incident already fired; only an escalation to a worse severity fires again.
    let score = Math.max(pointScore, shiftScore);
    const refractory = this.index - this.lastFire < cfg.refractoryPoints;
    if (refractory && !(this.lastFireRank === 0 && candidate !== null && rank(candidate) > 0)) score *= 0.5;
    const fired = score >= 0.5;
    if (fired) {
      this.lastFire = this.index;
      this.lastFireRank = rank(candidate ?? 'low');
    }

    // Results, for the explanation.
    const pointFired = fired && pointSeverity !== null;
    const shiftFired = fired && shiftSeverity !== null;
    const pointThreshold = Number.isNaN(pointBar) ? cfg.zscore.floor * s : pointBar;
    const shiftThreshold = Number.isNaN(shiftBar) ? cfg.levelShift.floor * s : shiftBar;
    const results: DetectorResult[] = [
      Number.isNaN(sigma)
        ? abstain('zscore', ready ? 'no-spread' : 'insufficient-data')
        : {
            method: 'zscore',
            fired: pointFired && !spikeLed,
            strength: Math.abs(z) / pointThreshold,
            expectedLow: baseline - pointThreshold * sigma,
            expectedHigh: baseline + pointThreshold * sigma,
            baseline,
            deviation: z,
            severity: pointFired && !spikeLed ? ladder(Math.abs(z), cfg.zscore, s) : null,
          },
      Number.isNaN(stepSigma)
        ? abstain('spike', useSeasonal ? 'seasonal' : 'insufficient-data', this.previous)
        : {
            method: 'spike',
            fired: pointFired && spikeLed,
            strength: Math.abs(stepZ) / (2 * pointThreshold),
            expectedLow: this.previous - 2 * pointThreshold * stepSigma,
            expectedHigh: this.previous + 2 * pointThreshold * stepSigma,
            baseline: this.previous,
            deviation: stepZ,
            severity: pointFired && spikeLed ? ladder(Math.abs(stepZ), cfg.spike, s) : null,
          },
      Number.isNaN(shiftSigma)
        ? abstain(
            'level_shift',
            warm && this.recent.length === cfg.levelShift.points ? 'no-spread' : 'insufficient-data',
            baseline,
          )
        : {
            method: 'level_shift',
            fired: shiftFired,
            strength: Math.abs(shift) / shiftThreshold,
            expectedLow: baseline - shiftThreshold * shiftSigma,
            expectedHigh: baseline + shiftThreshold * shiftSigma,
            baseline,
            deviation: shift,
            severity: shiftFired ? shiftSeverity : null,
          },
    ];
    const severity = fired
      ? worse(pointFired ? pointSeverity : null, shiftFired ? shiftSeverity : null)
      : null;

    // Remember.
    fadeOut(this.pointFaded, this.pointHistory.push(pointRaw));
    if (warm) fadeOut(this.shiftFaded, this.shiftHistory.push(Math.abs(shift)));
    if (Number.isFinite(levelRes)) this.levelResiduals.push(Math.abs(levelRes));
    this.seasons.forEach((season, k) => {
      const r = seasonalRes[k]!;
      if (Number.isFinite(r)) season.residuals.push(Math.abs(r));
    });
    if (Number.isFinite(step)) this.steps.push(Math.abs(step));
    this.level.push(value);
    this.remember(ts, value);
    this.previous = value;
    this.lastFed = ts;
    this.index++;
    return {
      score,
      fired,
      severity,
      model: ready ? (useSeasonal ? this.seasons[chosen]!.name : 'level') : null,
      results,
    };
  }

  /** Median of the values one, two … `count` lags back (NaN until two lags of history exist). */
  private seasonalBaseline(ts: number, lagMs: number, count: number): number {
    if (DAY_MS / this.periodMs < 4 || ts - this.firstTs < 2 * lagMs) return Number.NaN;
    const same: number[] = [];
    const tolerance = this.periodMs / 2;
    for (let k = 1; k <= count; k++) {
      const v = this.valueNear(ts - k * lagMs, tolerance);
      if (v !== undefined) same.push(v);
    }
    return same.length >= 2 ? medianOf(same) : Number.NaN;
  }

  private valueNear(target: number, tolerance: number): number | undefined {
    let lo = this.pastStart;
    let hi = this.pastTs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.pastTs[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    let best: number | undefined;
    let bestGap = tolerance;
    for (const j of [lo - 1, lo]) {
      if (j < this.pastStart || j >= this.pastTs.length) continue;
      const gap = Math.abs(this.pastTs[j]! - target);
      if (gap <= bestGap) {
        bestGap = gap;
        best = this.pastValues[j];
      }
    }
    return best;
  }

  private remember(ts: number, value: number): void {
    if (this.seasons.length === 0) return;
    this.pastTs.push(ts);
    this.pastValues.push(value);
    const horizon = ts - Math.max(0, ...this.seasons.map((x) => x.lagMs * x.count)) - this.periodMs;
    while (this.pastStart < this.pastTs.length && this.pastTs[this.pastStart]! < horizon) this.pastStart++;
    // Compact now and then so memory stays bounded by the look-back.
    if (this.pastStart > 4096 && this.pastStart * 2 > this.pastTs.length) {
      this.pastTs.splice(0, this.pastStart);
      this.pastValues.splice(0, this.pastStart);
      this.pastStart = 0;
    }
  }
}

/** A deviation that just left a record history goes on, fading. */
function fadeOut(faded: FadingMax | undefined, evicted: number): void {
  if (faded && !Number.isNaN(evicted)) faded.push(evicted);
}

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };
function rank(s: Severity): number {
  return SEVERITY_RANK[s];
}
function worse(a: Severity | null, b: Severity | null): Severity | null {
  if (a === null) return b;
  if (b === null) return a;
  return rank(a) >= rank(b) ? a : b;
}

const ABSTAIN_INVALID: readonly DetectorResult[] = [
  abstain('zscore', 'invalid-value'),
  abstain('spike', 'invalid-value'),
  abstain('level_shift', 'invalid-value'),
];
