// (domain) rolling z-score: how many standard deviations the point lies from the window mean.
import { mean, sampleStandardDeviation } from 'simple-statistics';
import type { Severity } from '../types';
import { abstain, type Detector, type DetectorResult } from './detector';

/** z-score thresholds (absolute z). */
export interface ZScoreConfig {
  /** Fires when |z| exceeds this (seed: 3). */
  readonly threshold: number;
  /** Severity high from here. */
  readonly highAt: number;
  /** Severity critical from here (seed: 4). */
  readonly criticalAt: number;
  /** Fewer window points than this: abstain. */
  readonly minPoints: number;
}

/** Seed defaults (DESIGN §4). */
export const DEFAULT_ZSCORE_CONFIG: ZScoreConfig = {
  threshold: 3,
  highAt: 3.5,
  criticalAt: 4,
  minPoints: 10,
};

/** Score `value` against `window` with a two-sided z-score. */
export function scoreZScore(
  window: readonly number[],
  value: number,
  config: ZScoreConfig = DEFAULT_ZSCORE_CONFIG,
  sensitivity = 1,
): DetectorResult {
  if (!Number.isFinite(value)) return abstain('zscore', 'invalid-value');
  if (window.length < Math.max(2, config.minPoints)) return abstain('zscore', 'insufficient-data');
  const mu = mean(window as number[]);
  const sd = sampleStandardDeviation(window as number[]);
  // A flat window has no scale to measure against: z would be 0/0 or ±∞. No verdict.
  if (!(sd > 0) || !Number.isFinite(sd)) return abstain('zscore', 'constant', mu);
  const z = (value - mu) / sd;
  const threshold = config.threshold * sensitivity;
  const absZ = Math.abs(z);
  const fired = absZ > threshold;
  let severity: Severity | null = null;
  if (fired) {
    if (absZ > config.criticalAt * sensitivity) severity = 'critical';
    else if (absZ > config.highAt * sensitivity) severity = 'high';
    else severity = 'medium';
  }
  return {
    method: 'zscore',
    fired,
    strength: absZ / threshold,
    expectedLow: mu - threshold * sd,
    expectedHigh: mu + threshold * sd,
    baseline: mu,
    deviation: z,
    severity,
  };
}

/** The z-score detector. */
export const zscoreDetector: Detector<ZScoreConfig> = {
  name: 'zscore',
  defaults: DEFAULT_ZSCORE_CONFIG,
  score: scoreZScore,
};
