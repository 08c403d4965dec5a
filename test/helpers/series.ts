// Synthetic series for detector and alerting tests: seeded, so every run sees the same numbers.
import { createRng } from '../../shared/domain/random';
import type { SeriesSpec } from '../../shared/domain/types';

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

/** A configured 1-minute `%` series (Average, no dimensions) for tests; `fields` override the defaults. */
export function seriesSpec(fields: Pick<SeriesSpec, 'id' | 'metric'> & Partial<SeriesSpec>): SeriesSpec {
  return {
    label: `${fields.metric} ${fields.id}`,
    namespace: 'N',
    metricName: fields.metric,
    dimensions: {},
    stat: 'Average',
    period: 60,
    scale: 1,
    unit: '%',
    tags: {},
    ...fields,
  };
}
