// (domain) the detector that never fires: the benchmark's baseline (NAB "null" scores 0).
import { abstain, type Detector, type DetectorResult } from './detector';

/** Never fires. */
export function scoreNull(): DetectorResult {
  return { ...abstain('null', 'insufficient-data'), abstained: undefined };
}

/** The null detector. */
export const nullDetector: Detector<Record<string, never>> = { name: 'null', defaults: {}, score: scoreNull };
