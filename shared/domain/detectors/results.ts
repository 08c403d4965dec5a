// (domain) what each scorer says about a point, for the explanation and the dashboard's band: its
// deviation, strength against the bar, and expected range clipped to what the metric can be.
import type { Severity } from '../types';
import type { BaselineModel } from './baseline';
import { ladder } from './decision';
import { abstain, type DetectorResult } from './detector';
import { clipRange, type SeriesSemantics } from './semantics';
import type { DetectorSettings } from './settings';

/** The readings of one point the results are made of (NaN sigmas: that scorer could not judge). */
export interface Readings {
  readonly base: number;
  readonly model: BaselineModel | null;
  readonly value: number;
  readonly step: number;
  readonly sigma: number;
  readonly z: number;
  readonly pointBar: number;
  readonly stepSigma: number;
  readonly stepZ: number;
  readonly shiftSigma: number;
  readonly shift: number;
  readonly shiftBar: number;
  /** The level-shift window is full. */
  readonly shiftReady: boolean;
  readonly zFired: boolean;
  readonly spikeFired: boolean;
  readonly shiftFired: boolean;
  readonly shiftSeverity: Severity | null;
  readonly newRange: {
    readonly fired: boolean;
    readonly score: number;
    readonly severity: Severity;
    readonly low: number;
    readonly high: number;
    readonly excess: number;
  };
}

/** One result per scorer (zscore, spike, level_shift), plus new_range when it fired. */
export function resultsOf(
  r: Readings,
  cfg: DetectorSettings,
  s: number,
  sem: SeriesSemantics,
): DetectorResult[] {
  const previous = r.value - r.step;
  const results: DetectorResult[] = [
    Number.isNaN(r.sigma)
      ? abstain('zscore', r.model === null ? 'insufficient-data' : 'no-spread')
      : result(
          'zscore',
          r.zFired,
          Math.abs(r.z) / r.pointBar,
          // A deviation under the metric's minimum never counts (series-detector's zCounts): the range
          // it judges normal is at least that wide, whatever the spread.
          band(sem, r.base, Math.max(r.pointBar * r.sigma, sem.minDeviation)),
          r.base,
          r.z,
          ladder(Math.abs(r.z), cfg.zscore, s),
        ),
    Number.isNaN(r.stepSigma)
      ? abstain('spike', r.model === null ? 'insufficient-data' : 'seasonal', previous)
      : result(
          'spike',
          r.spikeFired,
          Math.abs(r.stepZ) / (2 * r.pointBar),
          band(sem, previous, Math.max(2 * r.pointBar * r.stepSigma, sem.minDeviation)),
          previous,
          r.stepZ,
          ladder(Math.abs(r.stepZ), cfg.spike, s),
        ),
    Number.isNaN(r.shiftSigma)
      ? abstain('level_shift', r.shiftReady ? 'no-spread' : 'insufficient-data', r.base)
      : result(
          'level_shift',
          r.shiftFired,
          Math.abs(r.shift) / r.shiftBar,
          band(sem, r.base, r.shiftBar * r.shiftSigma),
          r.base,
          r.shift,
          r.shiftSeverity ?? 'low',
        ),
  ];
  const nr = r.newRange;
  if (nr.fired) {
    results.push(
      result(
        'new_range',
        true,
        nr.score * 2,
        clipRange(sem, nr.low, nr.high),
        (nr.low + nr.high) / 2,
        nr.excess,
        nr.severity,
      ),
    );
  }
  return results;
}

function result(
  method: string,
  fired: boolean,
  strength: number,
  [expectedLow, expectedHigh]: [number, number],
  baseline: number,
  deviation: number,
  severity: Severity,
): DetectorResult {
  return {
    method,
    fired,
    strength,
    expectedLow,
    expectedHigh,
    baseline,
    deviation,
    severity: fired ? severity : null,
  };
}

/** centre ± half, clipped to what the metric can be. */
function band(sem: SeriesSemantics, centre: number, half: number): [number, number] {
  return clipRange(sem, centre - half, centre + half);
}
