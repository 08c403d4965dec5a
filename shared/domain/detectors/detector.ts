// (domain) what one detector (zscore, spike, level_shift) says about one point, for the explanation.
// The streaming SeriesDetector produces them; turning a verdict into an anomaly is ../anomaly.ts.
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
