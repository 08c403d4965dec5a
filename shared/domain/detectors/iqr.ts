// (domain) Tukey fences: outside [Q1 − k·IQR, Q3 + k·IQR] is an outlier; robust to the outliers themselves.
import { quantileSorted } from 'simple-statistics';
import { abstain, type Detector, type DetectorResult } from './detector';

/** IQR fence multipliers. */
export interface IqrConfig {
  /** Fires outside Q1 − k·IQR .. Q3 + k·IQR (seed k = 1.5): severity low. */
  readonly multiplier: number;
  /** Beyond the extreme fences (Tukey's 3): severity medium. */
  readonly extremeMultiplier: number;
  readonly minPoints: number;
}

/** Seed defaults (DESIGN §4). */
export const DEFAULT_IQR_CONFIG: IqrConfig = { multiplier: 1.5, extremeMultiplier: 3, minPoints: 10 };

/** Score `value` against the quartiles of `window`. */
export function scoreIqr(
  window: readonly number[],
  value: number,
  config: IqrConfig = DEFAULT_IQR_CONFIG,
  sensitivity = 1,
): DetectorResult {
  if (!Number.isFinite(value)) return abstain('iqr', 'invalid-value');
  if (window.length < Math.max(4, config.minPoints)) return abstain('iqr', 'insufficient-data');
  const sorted = [...window].sort((a, b) => a - b);
  const q1 = quantileSorted(sorted, 0.25);
  const q3 = quantileSorted(sorted, 0.75);
  const median = quantileSorted(sorted, 0.5);
  const iqr = q3 - q1;
  // Over half the window is one value: the fences collapse and every other value would "fire".
  if (!(iqr > 0)) return abstain('iqr', 'constant', median);
  const k = config.multiplier * sensitivity;
  const low = q1 - k * iqr;
  const high = q3 + k * iqr;
  // Distance beyond the nearer quartile, in IQRs: fires above k.
  const beyond = value > q3 ? (value - q3) / iqr : value < q1 ? (q1 - value) / iqr : 0;
  const fired = beyond > k;
  return {
    method: 'iqr',
    fired,
    strength: beyond / k,
    expectedLow: low,
    expectedHigh: high,
    baseline: median,
    deviation: value >= median ? beyond : -beyond,
    severity: fired ? (beyond > config.extremeMultiplier * sensitivity ? 'medium' : 'low') : null,
  };
}

/** The IQR detector. */
export const iqrDetector: Detector<IqrConfig> = {
  name: 'iqr',
  defaults: DEFAULT_IQR_CONFIG,
  score: scoreIqr,
};
