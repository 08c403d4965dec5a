// (domain) the detector contract: a config plus a pure scorer (Merlion/NAB style). Deciding what to
// do with the verdicts (combine, record, page) is a separate step in ../anomaly.ts.
import type { Severity } from '../types';

/** Why a detector gave no verdict. */
export type Abstention = 'insufficient-data' | 'invalid-value' | 'no-spread' | 'seasonal';

/** One detector's verdict on one point against its window. */
export interface DetectorResult {
  /** Detector name, e.g. `zscore`. */
  readonly method: string;
  /** True when the point is anomalous by this detector's rule. */
  readonly fired: boolean;
  /**
   * Strength normalised so that 1 is exactly this detector's (adjusted) threshold; 0 when it
   * abstains. Comparable across detectors.
   */
  readonly strength: number;
  /** The range this detector considered normal. */
  readonly expectedLow: number;
  readonly expectedHigh: number;
  /** Centre of the window (mean or median) the deviation is measured from. */
  readonly baseline: number;
  /** Deviation in the detector's own unit: z for z-score, IQRs beyond the fence for IQR, ratio for spike. */
  readonly deviation: number;
  /** Severity when fired, else null. */
  readonly severity: Severity | null;
  /** Set when the detector could not judge the point. */
  readonly abstained?: Abstention;
}

/** A named detector with its defaults. `score` is pure: same inputs, same output. */
export interface Detector<C> {
  readonly name: string;
  readonly defaults: C;
  /**
   * @param window - finite values preceding the point (oldest first)
   * @param value - the point being judged
   * @param config - thresholds
   * @param sensitivity - multiplier on thresholds (1 = as configured; 1.1 = 10% less sensitive)
   */
  score(window: readonly number[], value: number, config: C, sensitivity?: number): DetectorResult;
}

/** A verdict of "no opinion". */
export function abstain(method: string, reason: Abstention, baseline = Number.NaN): DetectorResult {
  return {
    method,
    fired: false,
    strength: 0,
    expectedLow: Number.NaN,
    expectedHigh: Number.NaN,
    baseline,
    deviation: 0,
    severity: null,
    abstained: reason,
  };
}
