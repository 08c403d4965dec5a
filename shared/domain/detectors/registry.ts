// (domain) name → detector. The pipeline runs the configured set; the benchmark can pick `null`.
import type { Detector } from './detector';
import { iqrDetector } from './iqr';
import { nullDetector } from './null-detector';
import { spikeDetector } from './spike';
import { zscoreDetector } from './zscore';

/** Every detector by name. */
export const DETECTORS = {
  zscore: zscoreDetector,
  iqr: iqrDetector,
  spike: spikeDetector,
  null: nullDetector,
  // biome-ignore lint/suspicious/noExplicitAny: heterogeneous configs; each entry keeps its own type.
} as const satisfies Record<string, Detector<any>>;

/** A known detector name. */
export type DetectorName = keyof typeof DETECTORS;
