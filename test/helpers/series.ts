// Synthetic series for detector and alerting tests: seeded, so every run sees the same numbers.
import { createRng } from '../../shared/domain/random';

/** `n` values of Gaussian noise around `mean` (seeded). Long enough to warm the detector up by default. */
export function noise(n = 300, mean = 11, sd = 1, seed = 7): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.normal(mean, sd));
}

/** Values as 1-minute points (or `periodMs` apart) from `start`. */
export function asPoints(values: readonly number[], start = Date.UTC(2026, 0, 1), periodMs = 60_000) {
  return values.map((value, i) => ({ ts: start + i * periodMs, value }));
}

/** A warmed-up history for tests that need one verdict on one value (`runDetectors(NOISY, value, …)`). */
export const NOISY: readonly number[] = noise();
