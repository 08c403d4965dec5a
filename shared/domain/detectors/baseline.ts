// (domain) what a series' next value should be: the level (median of the last `windowPoints`
// learned values) plus, once two days / two weeks are seen and it fits better, a daily or weekly
// seasonal profile of the deviation from that level. Each candidate keeps its own residual scale (an
// exponentially weighted mean absolute residual, clipped so one outlier cannot inflate it); the
// candidate with the smallest scale is the baseline. Profiles are summaries (one number per slot of
// the day or week), not raw look-back: a 1-minute series with both needs about 10 KB.
import type { DetectorSettings } from './settings';
import { SortedWindow } from './sorted-window';

type Seasonality = DetectorSettings['seasonality'];

/** Which baseline a point was judged against. */
export type BaselineModel = 'level' | 'daily' | 'weekly';
/** The candidates in the order {@link Expectation.candidates} lists them. */
export const MODELS: readonly BaselineModel[] = ['level', 'daily', 'weekly'];

const DAY_MS = 86_400_000;
const MIN_RESIDUALS = 20;
/** Mean absolute deviation → sigma of a normal distribution. */
const MEAN_ABS_TO_SIGMA = Math.sqrt(Math.PI / 2);
/** Residuals beyond this many sigmas count as this many when the scale learns them. */
const CLIP_SIGMAS = 4;
const IQR_TO_SIGMA = 1 / 1.349;
/** Points between refreshes of the resolution (an O(window) scan). */
const RESOLUTION_EVERY = 50;

/** An exponentially weighted mean absolute residual (a running mean until `horizon` values). */
export interface Scale {
  mean: number;
  n: number;
}

function scaleOf(s: Scale): number {
  return s.n >= MIN_RESIDUALS ? MEAN_ABS_TO_SIGMA * s.mean : Number.NaN;
}

function learnScale(s: Scale, absResidual: number, horizon: number): void {
  const sigma = scaleOf(s);
  const x = Number.isNaN(sigma) ? absResidual : Math.min(absResidual, CLIP_SIGMAS * sigma);
  s.n++;
  s.mean += (x - s.mean) / Math.min(s.n, horizon);
}

function learnFit(s: Scale, absResidual: number, horizon: number): void {
  s.n++;
  s.mean += (absResidual - s.mean) / Math.min(s.n, horizon);
}

/** A seasonal profile: the mean deviation from the level per slot of the cycle. */
export class Profile {
  readonly slots: number;
  readonly values: Float64Array;
  readonly counts: Float64Array;
  /** Residual scale over normal points (what a point is judged in). */
  readonly scale: Scale = { mean: 0, n: 0 };
  /** Mean absolute residual over every point, incidents included (which candidate explains the series). */
  readonly fit: Scale = { mean: 0, n: 0 };
  /** Learning weight cap per slot: about `cycles` cycles' worth of the slot's points. */
  private readonly cap: number;

  constructor(
    readonly name: 'daily' | 'weekly',
    readonly lagMs: number,
    readonly slotMs: number,
    periodMs: number,
    cycles: number,
  ) {
    this.slots = Math.round(lagMs / slotMs);
    this.values = new Float64Array(this.slots);
    this.counts = new Float64Array(this.slots);
    this.cap = Math.max(1, Math.round(slotMs / periodMs)) * cycles;
  }

  /** The profile's value for the slot of ts, NaN while that slot is empty. */
  at(ts: number): number {
    const j = this.slotOf(ts);
    return this.counts[j]! > 0 ? this.values[j]! : Number.NaN;
  }

  private slotOf(ts: number): number {
    return Math.floor((((ts % this.lagMs) + this.lagMs) % this.lagMs) / this.slotMs) % this.slots;
  }

  /**
   * Learn one deviation from the level, clipped to CLIP_SIGMAS around what the slot holds (the first
   * visit of a slot is taken as it is: clipping it to the level would make a sharp daily step take
   * weeks to learn; measured on NAB's artificial daily series, 75.7 → 60.0).
   */
  learn(ts: number, deviation: number, sigma: number): void {
    const j = this.slotOf(ts);
    const c = Math.min(this.counts[j]! + 1, this.cap);
    const v = this.values[j]!;
    const x =
      this.counts[j]! > 0 && sigma > 0
        ? Math.max(v - CLIP_SIGMAS * sigma, Math.min(v + CLIP_SIGMAS * sigma, deviation))
        : deviation;
    this.counts[j] = c;
    this.values[j] = v + (x - v) / c;
  }
}

/** What the baseline expects of the point at `ts`. */
export interface Expectation {
  /** The chosen candidate, null until the level has enough points. */
  readonly model: BaselineModel | null;
  /** Expected value (NaN when not ready). */
  readonly base: number;
  /** The chosen candidate's residual sigma (before the floor; NaN when not ready). */
  readonly sigma: number;
  /** Sigma floor: a fraction of the level, and the data's resolution. */
  readonly floor: number;
  /** Sigma of a sustained move: the spread of the level window's values, or the seasonal sigma. */
  readonly shiftSigma: number;
  /** Sigma of a step between consecutive points (NaN until known). */
  readonly stepSigma: number;
  /** Every candidate's expected value (NaN where it cannot say yet): level, then daily, weekly. */
  readonly candidates: readonly number[];
}

/** Plain-JSON state of a {@link Baseline}. */
export interface BaselineState {
  readonly level: readonly number[];
  readonly levelScale: Scale;
  readonly levelFit: Scale;
  readonly stepScale: Scale;
  readonly profiles: readonly {
    readonly values: readonly number[];
    readonly counts: readonly number[];
    readonly scale: Scale;
    readonly fit: Scale;
  }[];
  readonly firstTs: number | null;
  readonly resolution: number;
  readonly sinceResolution: number;
}

export class Baseline {
  private level: SortedWindow;
  private levelScale: Scale = { mean: 0, n: 0 };
  private levelFit: Scale = { mean: 0, n: 0 };
  private stepScale: Scale = { mean: 0, n: 0 };
  private readonly profiles: Profile[];
  private firstTs = Number.NaN;
  private resolution = 0;
  private sinceResolution = RESOLUTION_EVERY;
  /** Candidate expectations of the current point, kept from expect() for learn(). */
  private levelNow = Number.NaN;
  private readonly profileNow: number[];

  constructor(
    private readonly windowPoints: number,
    private readonly minRelativeDeviation: number,
    private readonly seasonality: Seasonality,
    private readonly periodMs: number,
  ) {
    this.level = new SortedWindow(windowPoints);
    const seasonal = seasonality.enabled && DAY_MS / periodMs >= 4;
    const slot = (minMs: number) => Math.max(periodMs, minMs);
    this.profiles = !seasonal
      ? []
      : [
          new Profile('daily', DAY_MS, slot(5 * 60_000), periodMs, seasonality.days),
          ...(seasonality.weeks >= 2
            ? [new Profile('weekly', 7 * DAY_MS, slot(30 * 60_000), periodMs, seasonality.weeks)]
            : []),
        ];
    this.profileNow = this.profiles.map(() => Number.NaN);
  }

  /** Learned values in the level window. */
  get size(): number {
    return this.level.size;
  }

  clone(): Baseline {
    return Baseline.restore(
      this.windowPoints,
      this.minRelativeDeviation,
      this.seasonality,
      this.periodMs,
      this.state(),
    );
  }

  expect(ts: number): Expectation {
    if (Number.isNaN(this.firstTs)) this.firstTs = ts;
    const ready = this.level.size >= MIN_RESIDUALS;
    const level = ready ? this.level.quantile(0.5) : Number.NaN;
    this.levelNow = level;
    if (this.sinceResolution >= RESOLUTION_EVERY) {
      this.resolution = this.level.minGap() || 0;
      this.sinceResolution = 0;
    }
    const floor = Math.max(this.minRelativeDeviation * Math.abs(level || 0), this.resolution);
    let model: BaselineModel | null = ready ? 'level' : null;
    let base = level;
    let best = this.levelFit.mean;
    let sigma = scaleOf(this.levelScale);
    this.profiles.forEach((p, k) => {
      const offset = ready && ts - this.firstTs >= 2 * p.lagMs ? p.at(ts) : Number.NaN;
      this.profileNow[k] = offset;
      if (!Number.isNaN(offset) && p.scale.n >= MIN_RESIDUALS && p.fit.mean < best) {
        model = p.name;
        base = level + offset;
        best = p.fit.mean;
        sigma = scaleOf(p.scale);
      }
    });
    const spread = IQR_TO_SIGMA * (this.level.quantile(0.75) - this.level.quantile(0.25));
    return {
      model,
      base,
      sigma,
      floor,
      shiftSigma: model === 'level' ? spread || sigma : sigma,
      stepSigma: scaleOf(this.stepScale),
      candidates: [level, ...this.profileNow.map((offset) => level + offset)],
    };
  }

  /**
   * Learn the point just judged by expect() (step: from the previous point, NaN when none). Inside an
   * incident (`normal` false) only the seasonal profiles learn, clipped: something that recurs at the
   * same time every day becomes the pattern within about `days` days; the level and the scales stay
   * as they were, so the way back from the incident is judged against the level before it.
   */
  learn(ts: number, value: number, step: number, normal = true): void {
    const level = this.levelNow;
    if (!Number.isNaN(level)) {
      learnFit(this.levelFit, Math.abs(value - level), this.windowPoints);
      learnScale(this.levelScale, Math.abs(value - level), this.windowPoints);
      const levelSigma = scaleOf(this.levelScale);
      this.profiles.forEach((p, k) => {
        const offset = this.profileNow[k]!;
        if (!Number.isNaN(offset)) {
          learnFit(p.fit, Math.abs(value - level - offset), this.windowPoints);
          learnScale(p.scale, Math.abs(value - level - offset), this.windowPoints);
        }
        p.learn(ts, value - level, scaleOf(p.scale) || levelSigma);
      });
    }
    if (Number.isFinite(step)) learnScale(this.stepScale, Math.abs(step), this.windowPoints);
    if (normal) this.level.push(value);
    this.sinceResolution++;
  }

  state(): BaselineState {
    return {
      level: this.level.values(),
      levelScale: { ...this.levelScale },
      levelFit: { ...this.levelFit },
      stepScale: { ...this.stepScale },
      profiles: this.profiles.map((p) => ({
        values: Array.from(p.values),
        counts: Array.from(p.counts),
        scale: { ...p.scale },
        fit: { ...p.fit },
      })),
      firstTs: Number.isNaN(this.firstTs) ? null : this.firstTs,
      resolution: this.resolution,
      sinceResolution: this.sinceResolution,
    };
  }

  static restore(
    windowPoints: number,
    minRelativeDeviation: number,
    seasonality: Seasonality,
    periodMs: number,
    s: BaselineState,
  ): Baseline {
    const b = new Baseline(windowPoints, minRelativeDeviation, seasonality, periodMs);
    if (s.profiles.length !== b.profiles.length) throw new RangeError('wrong number of seasonal profiles');
    const scale = (x: Scale): Scale => {
      if (!(Number.isInteger(x.n) && x.n >= 0 && Number.isFinite(x.mean) && x.mean >= 0))
        throw new RangeError('a residual scale is not a scale');
      return { ...x };
    };
    b.level = SortedWindow.of(windowPoints, s.level);
    b.levelScale = scale(s.levelScale);
    b.levelFit = scale(s.levelFit);
    b.stepScale = scale(s.stepScale);
    s.profiles.forEach((ps, k) => {
      const p = b.profiles[k]!;
      if (ps.values.length !== p.slots || ps.counts.length !== p.slots)
        throw new RangeError(`the ${p.name} profile has the wrong number of slots`);
      if (!ps.values.every(Number.isFinite) || !ps.counts.every((c) => Number.isFinite(c) && c >= 0))
        throw new RangeError(`the ${p.name} profile holds non-finite values`);
      p.values.set(ps.values);
      p.counts.set(ps.counts);
      Object.assign(p.scale, scale(ps.scale));
      Object.assign(p.fit, scale(ps.fit));
    });
    if (!(Number.isFinite(s.resolution) && s.resolution >= 0))
      throw new RangeError('resolution is not a size');
    b.firstTs = s.firstTs ?? Number.NaN;
    b.resolution = s.resolution;
    b.sinceResolution = s.sinceResolution;
    return b;
  }
}
