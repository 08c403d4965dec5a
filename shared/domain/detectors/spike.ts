// (domain) spike: the point is a multiple of the window's typical (median) level. Catches sudden
// bursts on noisy, positive series where the standard deviation is itself inflated.
import { median as medianOf } from 'simple-statistics';
import { abstain, type Detector, type DetectorResult } from './detector';

/** Spike ratio threshold. */
export interface SpikeConfig {
  /** Fires when value > ratio × median(window) (seed: 3); spikes are critical (DESIGN §4). */
  readonly ratio: number;
  readonly minPoints: number;
}

/** Seed defaults (DESIGN §4). */
export const DEFAULT_SPIKE_CONFIG: SpikeConfig = { ratio: 3, minPoints: 10 };

/** Score `value` as a multiple of the window median. Only defined for a positive baseline. */
export function scoreSpike(
  window: readonly number[],
  value: number,
  config: SpikeConfig = DEFAULT_SPIKE_CONFIG,
  sensitivity = 1,
): DetectorResult {
  if (!Number.isFinite(value)) return abstain('spike', 'invalid-value');
  if (window.length < Math.max(1, config.minPoints)) return abstain('spike', 'insufficient-data');
  const baseline = medianOf(window as number[]);
  // A ratio to zero or to a negative level means nothing; z-score and IQR judge those series.
  if (!(baseline > 0)) return abstain('spike', 'non-positive-baseline', baseline);
  const ratio = value / baseline;
  // Sensitivity scales the excess over 1×: ratio 3 at +10% becomes 3.2, not 3.3.
  const threshold = 1 + (config.ratio - 1) * sensitivity;
  const fired = ratio > threshold;
  return {
    method: 'spike',
    fired,
    strength: Math.max(0, (ratio - 1) / (threshold - 1)),
    expectedLow: 0,
    expectedHigh: threshold * baseline,
    baseline,
    deviation: ratio,
    severity: fired ? 'critical' : null,
  };
}

/** The spike detector. */
export const spikeDetector: Detector<SpikeConfig> = {
  name: 'spike',
  defaults: DEFAULT_SPIKE_CONFIG,
  score: scoreSpike,
};
