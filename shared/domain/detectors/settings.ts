// (domain) the detector's settings, their defaults (the one place they are written: the monitor
// config's zod schema takes them from here), and the fingerprint a checkpoint is matched by.

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
  /** Level baseline (median) window, in points. */
  readonly windowPoints: number;
  /**
   * Memory of the series' normal deviations, in points: each deviation counts with weight
   * exp(−age / historyPoints). Incidents are never part of it.
   */
  readonly historyPoints: number;
  /**
   * The bar an anomaly must clear is the deviation that this much remembered weight reaches
   * (a fresh deviation weighs 1): 0.2 ≈ "larger than every normal deviation of the last
   * historyPoints · ln 5 points", with older ones still counting, faded.
   */
  readonly tailWeight: number;
  /**
   * Past incidents raise the bar only when they recur: to the deviation that this much weight of
   * incidents (same decay) reached. 1 = a repeat pages until the weights of earlier
   * incidents of that size add up to one (about two within historyPoints / 2 points).
   */
  readonly recurrenceWeight: number;
  /** Points before the first full verdict (the new-range rule judges from `newRange.minPoints`). */
  readonly minPoints: number;
  /** After an anomaly, this many points cannot fire again unless the incident escalates. */
  readonly refractoryPoints: number;
  /**
   * An incident still open after this many points is the series' new normal: the baseline learns
   * it, and the move back to the old level stays quiet.
   */
  readonly acceptPoints: number;
  /** Sigma floor as a fraction of the baseline level: on a quiet series at 50 %, a 0.1 wiggle is not 10 sigma. */
  readonly minRelativeDeviation: number;
  /** Daily and weekly seasonal profiles, learned over about `days` days / `weeks` weeks. */
  readonly seasonality: { readonly enabled: boolean; readonly days: number; readonly weeks: number };
  /**
   * The causal new-range rule: a value beyond everything the series has shown by more than
   * `factor` × the range it has shown is an anomaly, from the `minPoints`-th point on, in warm-up
   * and refractory alike.
   */
  readonly newRange: { readonly factor: number; readonly minPoints: number };
  /** Robust z of the point (|residual| / sigma). */
  readonly zscore: SeverityLadder;
  /** Step from the previous point in typical steps. */
  readonly spike: SeverityLadder;
  /** Median of the last `points` residuals in sigmas. */
  readonly levelShift: SeverityLadder & { readonly points: number };
}

/** The defaults, measured with `npm run bench:nab` (leave-one-category-out, docs/detector.md). */
export const DEFAULT_DETECTOR_SETTINGS: DetectorSettings = {
  windowPoints: 1000,
  historyPoints: 12_000,
  tailWeight: 0.2,
  recurrenceWeight: 1,
  minPoints: 60,
  refractoryPoints: 100,
  acceptPoints: 120,
  minRelativeDeviation: 0.01,
  seasonality: { enabled: true, days: 7, weeks: 4 },
  newRange: { factor: 1, minPoints: 10 },
  zscore: { floor: 3, mediumAt: 5, highAt: 7, criticalAt: 10 },
  spike: { floor: 6, mediumAt: 10, highAt: 14, criticalAt: 20 },
  levelShift: { floor: 2, mediumAt: 3, highAt: 5, criticalAt: 8, points: 30 },
};

/**
 * Version of the detector's algorithm and state layout. Bump it whenever a change alters verdicts or
 * the snapshot: checkpoints of another version are discarded (the detector re-warms) instead of
 * resuming a stream the new code would judge differently. A unit test fails when verdicts change
 * and this is not bumped.
 */
export const DETECTOR_VERSION = 3;

/**
 * Points of history a cold start without a checkpoint reads to re-warm: the level window and one
 * history horizon (older deviations weigh < 1/e). Approximate by design: a checkpoint resumes exactly.
 */
export function memoryPoints(settings: DetectorSettings): number {
  return settings.windowPoints + settings.historyPoints + settings.refractoryPoints;
}
