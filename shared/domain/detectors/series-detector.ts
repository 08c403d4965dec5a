// (domain) the streaming detector every code path runs (detect Lambda, local stack, what-if preview,
// NAB harness): one instance per series, fed its points oldest first, one at a time, never looking
// ahead. It composes:
// 1. the baseline (baseline.ts): level median, or a daily / weekly seasonal profile when that fits
//    better, each with its own robust residual scale;
// 2. three scorers in sigma units: zscore (residual / sigma), spike (a step away from the expected
//    value / the typical step; level baseline only), level_shift (median of the last 30 residuals /
//    sigma, reported only at a point on the moved side) — plus the causal new-range rule (a value far
//    beyond everything the series has shown fires even in warm-up or refractory);
// 3. the decision rule (decision.ts): a deviation must clear the bar of the series' *normal*
//    deviations (tail.ts: what the last ~historyPoints normal points reached; incidents and recoveries
//    are never part of it), the operator's direction and minimum deviation (semantics.ts), and the
//    refractory period; an incident stays open while its points are elevated and is accepted as the
//    new normal after acceptPoints, after which the move back is quiet.
// Sensitivity s (1 + the metric's feedback adjustment) multiplies every floor, bar and severity
// threshold: s = 1.1 is 10% less sensitive.
import type { Severity } from '../types';
import { Baseline, type BaselineModel, type Expectation, MODELS } from './baseline';
import { barScore, ELEVATED_Z, IncidentMemory, ladder, NOT_FIRED, rank, worse } from './decision';
import { abstain, type DetectorResult } from './detector';
import { resultsOf } from './results';
import { allows, NEUTRAL_SEMANTICS, type SeriesSemantics, withinBounds } from './semantics';
import { DEFAULT_DETECTOR_SETTINGS, DETECTOR_VERSION, type DetectorSettings } from './settings';
import { type DetectorSnapshot, SnapshotError } from './snapshot';
import { SortedWindow } from './sorted-window';
import { DecayedTail } from './tail';

export type { BaselineModel } from './baseline';
export { DETECTOR_VERSION, type DetectorSettings, memoryPoints, type SeverityLadder } from './settings';
export type { DetectorSnapshot } from './snapshot';
export { SnapshotError } from './snapshot';

/** The detector's verdict on one point. */
export interface Verdict {
  /** Combined anomaly score in [0, 1]; ≥ 0.5 exactly when `fired`. */
  readonly score: number;
  readonly fired: boolean;
  /** Worst severity of the fired detectors, null when nothing fired. */
  readonly severity: Severity | null;
  /** Which baseline the point was judged against. */
  readonly model: BaselineModel | null;
  /** One result per detector (zscore, spike, level_shift, new_range), fired or not. */
  readonly results: readonly DetectorResult[];
  /** True while the series is too young for a full verdict (only the new-range rule judges). */
  readonly learning: boolean;
  /** Points still to come before the first full verdict (0 once judged). */
  readonly warmUpLeft: number;
  /** True when the value was rejected (non-finite, or outside the metric's bounds): not learned. */
  readonly invalid: boolean;
}

/** Everything a detector's verdicts depend on besides the points. */
export function detectorFingerprint(
  settings: DetectorSettings,
  periodMs: number,
  sensitivity: number,
  semantics: SeriesSemantics = NEUTRAL_SEMANTICS,
): string {
  // Only the detector's own settings: detect-level knobs (overlaps, checkpoint cadence) change no verdict.
  const own = Object.fromEntries(
    Object.keys(DEFAULT_DETECTOR_SETTINGS).map((k) => [k, settings[k as keyof DetectorSettings]]),
  );
  return JSON.stringify({ v: DETECTOR_VERSION, periodMs, sensitivity, settings: own, semantics });
}

const orNull = (x: number): number | null => (Number.isFinite(x) ? x : null);
const positiveOrNaN = (x: number): number => (x > 0 && Number.isFinite(x) ? x : Number.NaN);
/** Normal deviations remembered (in fresh-point weight) before the floors are the configured ones. */
const YOUNG_WEIGHT = 300;
/** A level shift fires only at a point at least this fraction of the shift off (same side). */
const SHIFT_AGREEMENT = 0.5;

/** Streaming detector for one series. Feed points in time order with {@link SeriesDetector.push}. */
export class SeriesDetector {
  private baseline: Baseline;
  private pointTail: DecayedTail;
  private shiftTail: DecayedTail;
  /** Deviations of past incidents (their fires): only recurring ones raise the bar. */
  private incidentPoints: DecayedTail;
  private incidentShifts: DecayedTail;
  private incident: IncidentMemory;
  /** Residuals of the last levelShift.points points against each candidate baseline (MODELS order). */
  private recent: SortedWindow[];
  private previous = Number.NaN;
  private index = 0;
  private lastFire = Number.NEGATIVE_INFINITY;
  private lastFireRank = 0;
  private seenLow = Number.POSITIVE_INFINITY;
  private seenHigh = Number.NEGATIVE_INFINITY;
  private lastFed = Number.NEGATIVE_INFINITY;

  /**
   * @param settings - the detection configuration
   * @param periodMs - the series' sampling period (CloudWatch period)
   * @param sensitivity - threshold multiplier (1 + feedback adjustment)
   * @param semantics - direction, minimum deviation and bounds of the series' metric
   */
  constructor(
    private readonly settings: DetectorSettings,
    private readonly periodMs: number,
    private readonly sensitivity = 1,
    private readonly semantics: SeriesSemantics = NEUTRAL_SEMANTICS,
  ) {
    this.baseline = new Baseline(
      settings.windowPoints,
      settings.minRelativeDeviation,
      settings.seasonality,
      periodMs,
    );
    this.pointTail = new DecayedTail(settings.historyPoints);
    this.shiftTail = new DecayedTail(settings.historyPoints);
    this.incidentPoints = new DecayedTail(settings.historyPoints);
    this.incidentShifts = new DecayedTail(settings.historyPoints);
    this.incident = new IncidentMemory(settings.acceptPoints);
    this.recent = MODELS.map(() => new SortedWindow(settings.levelShift.points));
  }

  /** Timestamp of the last point fed (−∞ before any). */
  get lastTs(): number {
    return this.lastFed;
  }

  /** Valid points fed so far. */
  get pointsSeen(): number {
    return this.index;
  }

  /** An independent copy of the whole state: a checkpoint the next detect run resumes from. */
  clone(): SeriesDetector {
    const copy = Object.create(SeriesDetector.prototype) as SeriesDetector;
    Object.assign(copy, this, {
      baseline: this.baseline.clone(),
      pointTail: this.pointTail.clone(),
      shiftTail: this.shiftTail.clone(),
      incidentPoints: this.incidentPoints.clone(),
      incidentShifts: this.incidentShifts.clone(),
      incident: this.incident.clone(),
      recent: this.recent.map((w) => w.clone()),
    });
    return copy;
  }

  /** The whole state as plain JSON, for a checkpoint kept outside this process. */
  snapshot(): DetectorSnapshot {
    return {
      fingerprint: detectorFingerprint(this.settings, this.periodMs, this.sensitivity, this.semantics),
      lastTs: this.lastFed,
      baseline: this.baseline.state(),
      tails: {
        point: this.pointTail.state(),
        shift: this.shiftTail.state(),
        incidentPoint: this.incidentPoints.state(),
        incidentShift: this.incidentShifts.state(),
      },
      incident: this.incident.state(),
      recent: this.recent.map((w) => w.values()),
      previous: orNull(this.previous),
      index: this.index,
      lastFire: orNull(this.lastFire),
      lastFireRank: this.lastFireRank,
      seenLow: orNull(this.seenLow),
      seenHigh: orNull(this.seenHigh),
    };
  }

  /**
   * A detector in the state of `snapshot`, or undefined when it was taken by another detector
   * (other settings, period, sensitivity, semantics or {@link DETECTOR_VERSION}).
   * @throws SnapshotError when the snapshot is malformed (lengths, counts, non-finite values)
   */
  static restore(
    settings: DetectorSettings,
    periodMs: number,
    sensitivity: number,
    snapshot: DetectorSnapshot,
    semantics: SeriesSemantics = NEUTRAL_SEMANTICS,
  ): SeriesDetector | undefined {
    if (snapshot.fingerprint !== detectorFingerprint(settings, periodMs, sensitivity, semantics))
      return undefined;
    const d = new SeriesDetector(settings, periodMs, sensitivity, semantics);
    try {
      if (snapshot.recent.length !== MODELS.length || !snapshot.recent.every((r) => r.every(Number.isFinite)))
        throw new RangeError('recent residuals do not fit');
      if (
        !(Number.isInteger(snapshot.index) && snapshot.index >= 0) ||
        !(
          Number.isInteger(snapshot.lastFireRank) &&
          snapshot.lastFireRank >= 0 &&
          snapshot.lastFireRank <= 3
        ) ||
        !Number.isFinite(snapshot.lastTs)
      )
        throw new RangeError('counters are not counts');
      Object.assign(d, {
        baseline: Baseline.restore(
          settings.windowPoints,
          settings.minRelativeDeviation,
          settings.seasonality,
          periodMs,
          snapshot.baseline,
        ),
        pointTail: DecayedTail.restore(settings.historyPoints, snapshot.tails.point),
        shiftTail: DecayedTail.restore(settings.historyPoints, snapshot.tails.shift),
        incidentPoints: DecayedTail.restore(settings.historyPoints, snapshot.tails.incidentPoint),
        incidentShifts: DecayedTail.restore(settings.historyPoints, snapshot.tails.incidentShift),
        incident: IncidentMemory.restore(settings.acceptPoints, snapshot.incident),
        recent: MODELS.map((_, k) => SortedWindow.of(settings.levelShift.points, snapshot.recent[k] ?? [])),
        previous: snapshot.previous ?? Number.NaN,
        index: snapshot.index,
        lastFire: snapshot.lastFire ?? Number.NEGATIVE_INFINITY,
        lastFireRank: snapshot.lastFireRank,
        seenLow: snapshot.seenLow ?? Number.POSITIVE_INFINITY,
        seenHigh: snapshot.seenHigh ?? Number.NEGATIVE_INFINITY,
        lastFed: snapshot.lastTs,
      });
    } catch (error) {
      throw new SnapshotError(`Detector snapshot does not fit: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return d;
  }

  /**
   * Judge a point against everything before it, then remember it. Invalid values are rejected.
   * `learn` false (a maintenance window): judged, but nothing of it is learned as normal, and it
   * opens no incident.
   */
  push(ts: number, value: number, learn = true): Verdict {
    if (!Number.isFinite(value) || !Number.isFinite(ts) || !withinBounds(this.semantics, value))
      return INVALID;
    const cfg = this.settings;
    const s = this.sensitivity;
    const sem = this.semantics;
    const e = this.baseline.expect(ts);
    const warm = this.index >= cfg.minPoints;

    // 1. Raw deviations, each only on the side the operator cares about and above the minimum move.
    const residual = value - e.base;
    const sigma = positiveOrNaN(Math.max(e.sigma, e.floor));
    const z = Number.isNaN(sigma) ? 0 : residual / sigma;
    const step = value - this.previous;
    const stepSigma = e.model === 'level' ? positiveOrNaN(Math.max(e.stepSigma, e.floor)) : Number.NaN;
    const stepZ = Number.isNaN(stepSigma) || !Number.isFinite(step) ? 0 : step / stepSigma;
    const big = sem.minDeviation;
    const zCounts = allows(sem, residual) && Math.abs(residual) >= big;
    // A step counts only when it moves away from the expected value (a step back is a recovery).
    const stepCounts = zCounts && step * residual > 0 && Math.abs(step) >= big;
    const pointRaw = Math.max(zCounts ? Math.abs(z) : 0, stepCounts ? Math.abs(stepZ) / 2 : 0);
    const spikeLed = stepCounts && Math.abs(stepZ) / 2 > Math.abs(z);

    const { shift, shiftSigma, shiftInEffect, recent } = this.levelShift(e, value, residual, learn);
    const shiftRaw = Math.abs(shift);

    // 2. Scores against the bar of normal deviations.
    const recovering = this.incident.isRecovery(this.index, value, residual);
    const { pointBar, shiftBar } = this.bars();
    let pointScore = 0;
    let shiftScore = 0;
    if (warm && !recovering) {
      pointScore = barScore(pointRaw, pointBar, cfg.zscore.floor * s, this.pointTail.shareAtLeast(pointRaw));
      const r = barScore(shiftRaw, shiftBar, cfg.levelShift.floor * s, this.shiftTail.shareAtLeast(shiftRaw));
      shiftScore = shiftInEffect ? r : Math.min(r, NOT_FIRED);
    }
    const newRange = this.newRange(value);

    // 3. Severity, refractory, incidents.
    const pointSeverity =
      pointScore >= 0.5
        ? worse(
            zCounts ? ladder(Math.abs(z), cfg.zscore, s) : null,
            stepCounts ? ladder(Math.abs(stepZ), cfg.spike, s) : null,
          )
        : null;
    const shiftSeverity = shiftScore >= 0.5 ? ladder(shiftRaw, cfg.levelShift, s) : null;
    const rangeSeverity: Severity | null = newRange.fired ? worse(pointSeverity, newRange.severity) : null;
    const candidate = worse(worse(pointSeverity, shiftSeverity), rangeSeverity);
    let score = Math.max(pointScore, shiftScore);
    const held = this.index - this.lastFire < cfg.refractoryPoints || this.incident.open;
    const escalates = this.lastFireRank === 0 && candidate !== null && rank(candidate) > 0;
    if (held && !escalates) score *= 0.5;
    if (newRange.fired) score = Math.max(score, newRange.score);
    const fired = score >= 0.5;

    // 4. What may be learned as normal.
    if (learn)
      this.remember({
        ts,
        value,
        step,
        e,
        fired,
        candidate,
        residual,
        z,
        sigma,
        pointRaw,
        shiftRaw,
        pointBar,
        recovering,
        shiftReady: recent.size === cfg.levelShift.points,
      });
    else {
      this.previous = value;
      this.lastFed = ts;
    }

    // 5. Results, for the explanation.
    const shiftFired = fired && shiftSeverity !== null;
    const results = resultsOf(
      {
        base: e.base,
        model: e.model,
        value,
        step,
        sigma,
        z,
        pointBar,
        stepSigma,
        stepZ,
        shiftSigma,
        shift,
        shiftBar,
        shiftReady: recent.size === cfg.levelShift.points,
        zFired: fired && pointSeverity !== null && !spikeLed,
        spikeFired: fired && pointSeverity !== null && spikeLed,
        shiftFired,
        shiftSeverity,
        newRange,
      },
      cfg,
      s,
      sem,
    );
    const severity = fired
      ? worse(
          worse(
            pointSeverity !== null && score >= 0.5 ? pointSeverity : null,
            shiftFired ? shiftSeverity : null,
          ),
          rangeSeverity,
        )
      : null;
    return {
      score,
      fired,
      severity: fired ? (severity ?? 'low') : null,
      model: e.model,
      results,
      learning: !warm,
      warmUpLeft: Math.max(0, cfg.minPoints - this.index),
      invalid: false,
    };
  }

  /**
   * The level-shift reading: the median of the chosen baseline's recent residuals in sigmas, and
   * whether this point is on the moved side. Each candidate baseline keeps its own recent residuals
   * (residuals against another baseline are not comparable).
   */
  private levelShift(e: Expectation, value: number, residual: number, learn: boolean) {
    const cfg = this.settings;
    const sem = this.semantics;
    if (learn)
      e.candidates.forEach((base, k) => {
        if (Number.isFinite(base)) this.recent[k]!.push(value - base);
      });
    const recent = this.recent[e.model === null ? 0 : MODELS.indexOf(e.model)]!;
    let shift = 0;
    let shiftSigma = Number.NaN;
    let shiftInEffect = false;
    if (Number.isFinite(residual) && recent.size === cfg.levelShift.points) {
      shiftSigma = positiveOrNaN(Math.max(e.shiftSigma, e.floor));
      const moved = recent.quantile(0.5);
      if (!Number.isNaN(shiftSigma)) shift = moved / shiftSigma;
      shiftInEffect =
        residual * moved > 0 &&
        Math.abs(residual) >= SHIFT_AGREEMENT * Math.abs(moved) &&
        allows(sem, moved) &&
        Math.abs(moved) >= sem.minDeviation;
    }
    return { shift, shiftSigma, shiftInEffect, recent };
  }

  /**
   * The bars a point and a level shift must clear: what normal deviations reached, or what past
   * incidents reached often enough to be the series' behaviour (a second or third incident of one
   * size still pages). A young series has seen few normal deviations, so the largest of them
   * understates its tail: its floors start doubled and relax as YOUNG_WEIGHT points of memory build up.
   */
  private bars(): { pointBar: number; shiftBar: number } {
    const cfg = this.settings;
    const young = 1 + Math.max(0, 1 - this.pointTail.weight / YOUNG_WEIGHT);
    const bar = (floor: number, normal: DecayedTail, incidents: DecayedTail) =>
      Math.max(floor * young, normal.bar(cfg.tailWeight), incidents.bar(cfg.recurrenceWeight)) *
      this.sensitivity;
    return {
      pointBar: bar(cfg.zscore.floor, this.pointTail, this.incidentPoints),
      shiftBar: bar(cfg.levelShift.floor, this.shiftTail, this.incidentShifts),
    };
  }

  /** Learn a judged point: incidents, the baseline and the memory of normal deviations. */
  private remember(p: {
    ts: number;
    value: number;
    step: number;
    e: Expectation;
    fired: boolean;
    candidate: Severity | null;
    residual: number;
    z: number;
    sigma: number;
    pointRaw: number;
    shiftRaw: number;
    pointBar: number;
    recovering: boolean;
    shiftReady: boolean;
  }): void {
    const {
      ts,
      value,
      step,
      e,
      fired,
      candidate,
      residual,
      z,
      sigma,
      pointRaw,
      shiftRaw,
      pointBar,
      recovering,
    } = p;
    const cfg = this.settings;
    const s = this.sensitivity;
    const big = this.semantics.minDeviation;
    if (fired) {
      this.lastFire = this.index;
      this.lastFireRank = rank(candidate ?? 'low');
    }
    const dir = Math.sign(Number.isFinite(residual) && residual !== 0 ? residual : value - this.seenHigh);
    const elevated =
      fired || (this.incident.open && this.incident.dir * z >= ELEVATED_Z * s && Math.abs(residual) >= big);
    if (fired) {
      this.incidentPoints.push(pointRaw);
      this.incidentShifts.push(shiftRaw);
    } else {
      this.incidentPoints.tick();
      this.incidentShifts.tick();
    }
    if (fired && !this.incident.open) {
      this.incident.fire(
        this.index,
        dir,
        value,
        e.base,
        [pointRaw, shiftRaw],
        IncidentMemory.dwarfs(pointRaw, pointBar),
      );
    } else {
      const band: [number, number] = [
        e.base - cfg.zscore.floor * s * (sigma || 0),
        e.base + cfg.zscore.floor * s * (sigma || 0),
      ];
      const blip = this.incident.follow(this.index, value, elevated, band);
      if (blip.length === 2) {
        this.pointTail.push(blip[0]!);
        this.shiftTail.push(blip[1]!);
      }
    }
    const inIncident = this.incident.open && elevated;
    this.baseline.learn(
      ts,
      value,
      step,
      !(this.incident.shieldsBaseline(elevated) || (fired && !this.incident.accepted)),
    );
    const normal = !inIncident && !recovering && Number.isFinite(residual);
    if (normal) this.pointTail.push(pointRaw);
    else this.pointTail.tick();
    // The level-shift stream still carries the incident's residuals for `points` more points.
    if (normal && p.shiftReady && this.index - this.incident.lastIncident > cfg.levelShift.points)
      this.shiftTail.push(shiftRaw);
    else this.shiftTail.tick();
    this.seenLow = Math.min(this.seenLow, value);
    this.seenHigh = Math.max(this.seenHigh, value);
    this.previous = value;
    this.lastFed = ts;
    this.index++;
  }

  /** The causal new-range rule: far beyond everything seen, on a side that matters. */
  private newRange(value: number): {
    fired: boolean;
    score: number;
    severity: Severity;
    low: number;
    high: number;
    excess: number;
  } {
    const cfg = this.settings.newRange;
    const shown = this.seenHigh - this.seenLow;
    const none = {
      fired: false,
      score: 0,
      severity: 'low' as Severity,
      low: this.seenLow,
      high: this.seenHigh,
      excess: 0,
    };
    if (this.index < cfg.minPoints || !Number.isFinite(shown)) return none;
    // Far beyond: by the configured share of the range shown, and never by less than the minimum
    // move or 1 % of the largest magnitude seen (a flat series has no range to measure against).
    const magnitude = Math.max(Math.abs(this.seenLow), Math.abs(this.seenHigh));
    const margin = Math.max(
      cfg.factor * this.sensitivity * shown,
      this.semantics.minDeviation,
      0.01 * magnitude,
    );
    if (!(margin > 0)) return none;
    const low = this.seenLow - margin;
    const high = this.seenHigh + margin;
    const beyond = value > high ? value - this.seenHigh : value < low ? value - this.seenLow : 0;
    if (beyond === 0 || !allows(this.semantics, beyond)) return { ...none, low, high };
    const excess = Math.abs(beyond) / margin;
    return {
      fired: true,
      score: Math.min(1, 1 - 0.5 / excess),
      // Barely beyond the range of a young series is worth recording, not a page.
      severity: excess >= 4 ? 'high' : excess >= 2 ? 'medium' : 'low',
      low,
      high,
      excess,
    };
  }
}

const INVALID: Verdict = {
  score: 0,
  fired: false,
  severity: null,
  model: null,
  results: [
    abstain('zscore', 'invalid-value'),
    abstain('spike', 'invalid-value'),
    abstain('level_shift', 'invalid-value'),
  ],
  learning: false,
  warmUpLeft: 0,
  invalid: true,
};

/** A detector that never fires (the harness's floor: what "no detection" scores). */
export class NullDetector {
  push(_ts: number, value: number): Verdict {
    return Number.isFinite(value) ? { ...INVALID, invalid: false } : INVALID;
  }
}

export type { Expectation };
