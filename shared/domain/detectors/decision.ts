// (domain) the decision rule: how a deviation becomes a score, a severity, and an incident; what the
// detector may learn from a point. Judged against the series' *normal* behaviour: an open incident
// (and the move back from it) is never learned as normal, so the next incident of the same size
// still clears the bar, and the return to the old level is never an anomaly.
import type { Severity } from '../types';
import type { SeverityLadder } from './settings';

/** Highest score of a point that did not fire. */
export const NOT_FIRED = 0.49;
/** While an incident is open, a point at least this many sigmas off on its side keeps it open. */
export const ELEVATED_Z = 2;
/** Elevated points (the fire included) that make an incident sustained, not a one-point blip. */
const CONFIRM_POINTS = 2;
/** Consecutive normal points that close an incident. */
const CLOSE_AFTER = 3;
/** A one-point blip this many times the bar is an incident all the same (never learned as noise). */
const DWARFS = 2;

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };
export function rank(s: Severity): number {
  return SEVERITY_RANK[s];
}
export function worse(a: Severity | null, b: Severity | null): Severity | null {
  if (a === null) return b;
  if (b === null) return a;
  return rank(a) >= rank(b) ? a : b;
}
export function ladder(x: number, l: SeverityLadder, s: number): Severity {
  if (x >= l.criticalAt * s) return 'critical';
  if (x >= l.highAt * s) return 'high';
  if (x >= l.mediumAt * s) return 'medium';
  return 'low';
}

/**
 * Score in [0, 1] of a deviation against the bar it must clear: 0.5 exactly at the bar, → 1 as it
 * dwarfs it; below, half the share of normal deviations at least as large (rank), and never more
 * than NOT_FIRED under the floor.
 */
export function barScore(raw: number, bar: number, floor: number, shareAtLeast: number): number {
  let score: number;
  if (raw >= bar && raw > 0) score = 1 - (0.5 * bar) / raw;
  else score = 0.5 * (1 - shareAtLeast) * Math.min(1, bar > 0 ? raw / bar : 0);
  if (raw < floor) score = Math.min(score, floor > 0 ? (NOT_FIRED * raw) / floor : 0);
  return Math.min(1, Math.max(0, score));
}

/** Plain-JSON state of an {@link IncidentMemory}. */
export interface IncidentState {
  readonly open: boolean;
  readonly dir: number;
  readonly start: number;
  readonly elevated: number;
  readonly normalRun: number;
  readonly accepted: boolean;
  readonly base0: number | null;
  readonly low: number | null;
  readonly high: number | null;
  readonly pending: readonly number[];
  readonly recoveryLow: number | null;
  readonly recoveryHigh: number | null;
  readonly recoveryDir: number;
  readonly recoveryUntil: number;
  readonly lastIncident: number;
}

const orNull = (x: number): number | null => (Number.isFinite(x) ? x : null);
const orNaN = (x: number | null): number => x ?? Number.NaN;

/**
 * The series' current incident (opened by a fire, kept open by elevated points, closed by a few
 * normal ones or accepted as the new normal after `acceptPoints`) and the recovery band it leaves.
 */
export class IncidentMemory {
  open = false;
  /** +1 above, −1 below the baseline. */
  dir = 0;
  start = 0;
  elevated = 0;
  normalRun = 0;
  accepted = false;
  base0 = Number.NaN;
  low = Number.NaN;
  high = Number.NaN;
  /** Deviations of the fire, learned as noise only if it proves a one-point blip. */
  pending: number[] = [];
  recoveryLow = Number.NaN;
  recoveryHigh = Number.NaN;
  recoveryDir = 0;
  recoveryUntil = -1;
  /** Index of the last point inside an incident (the level-shift stream still holds it for a while). */
  lastIncident = Number.NEGATIVE_INFINITY;

  constructor(private readonly acceptPoints: number) {}

  clone(): IncidentMemory {
    return Object.assign(new IncidentMemory(this.acceptPoints), this, { pending: [...this.pending] });
  }

  /** A move back towards the level before the last accepted incident: never an anomaly. */
  isRecovery(index: number, value: number, residual: number): boolean {
    return (
      index <= this.recoveryUntil &&
      residual * this.recoveryDir > 0 &&
      value >= this.recoveryLow &&
      value <= this.recoveryHigh
    );
  }

  /** A fire opens an incident (or escalates the open one). `blip` = the deviations to learn if it stays one point. */
  fire(
    index: number,
    dir: number,
    value: number,
    base: number,
    blip: readonly number[],
    dwarfs: boolean,
  ): void {
    if (this.open) return;
    Object.assign(this, {
      open: true,
      dir,
      start: index,
      elevated: 1,
      normalRun: 0,
      accepted: false,
      base0: base,
      low: value,
      high: value,
      pending: dwarfs ? [] : [...blip],
      lastIncident: index,
    });
  }

  /**
   * Follow the open incident with a point that did not open it; returns the pending blip deviations
   * to learn as noise when the incident closes as a one-point blip.
   */
  follow(index: number, value: number, elevated: boolean, normalBand: readonly [number, number]): number[] {
    if (!this.open) return [];
    if (elevated) {
      this.elevated++;
      this.normalRun = 0;
      this.low = Math.min(this.low, value);
      this.high = Math.max(this.high, value);
      this.lastIncident = index;
      if (this.elevated >= CONFIRM_POINTS) this.pending = [];
    } else if (++this.normalRun >= CLOSE_AFTER) {
      this.open = false;
      const blip = this.pending;
      this.pending = [];
      return blip;
    }
    if (!this.accepted && index - this.start >= this.acceptPoints) {
      // The new normal: the baseline learns it from here, and the way back stays quiet.
      this.accepted = true;
      this.recoveryLow = Math.min(normalBand[0], this.low);
      this.recoveryHigh = Math.max(normalBand[1], this.high);
      this.recoveryDir = -this.dir;
      this.recoveryUntil = index + 4 * this.acceptPoints + 1000;
    }
    return [];
  }

  /** True when the baseline must not learn this point (inside an incident not yet accepted). */
  shieldsBaseline(elevated: boolean): boolean {
    return this.open && !this.accepted && elevated;
  }

  static dwarfs(raw: number, bar: number): boolean {
    return raw >= DWARFS * bar;
  }

  state(): IncidentState {
    return {
      open: this.open,
      dir: this.dir,
      start: this.start,
      elevated: this.elevated,
      normalRun: this.normalRun,
      accepted: this.accepted,
      base0: orNull(this.base0),
      low: orNull(this.low),
      high: orNull(this.high),
      pending: [...this.pending],
      recoveryLow: orNull(this.recoveryLow),
      recoveryHigh: orNull(this.recoveryHigh),
      recoveryDir: this.recoveryDir,
      recoveryUntil: this.recoveryUntil,
      lastIncident: Number.isFinite(this.lastIncident) ? this.lastIncident : -1e15,
    };
  }

  static restore(acceptPoints: number, s: IncidentState): IncidentMemory {
    const m = new IncidentMemory(acceptPoints);
    const ints = [s.start, s.elevated, s.normalRun, s.recoveryUntil, s.lastIncident];
    if (!ints.every(Number.isInteger) || ![-1, 0, 1].includes(s.dir) || ![-1, 0, 1].includes(s.recoveryDir))
      throw new RangeError('incident counters are not counts');
    if (!s.pending.every(Number.isFinite)) throw new RangeError('pending deviations are not finite');
    Object.assign(m, {
      ...s,
      base0: orNaN(s.base0),
      low: orNaN(s.low),
      high: orNaN(s.high),
      pending: [...s.pending],
      recoveryLow: orNaN(s.recoveryLow),
      recoveryHigh: orNaN(s.recoveryHigh),
    });
    return m;
  }
}
