// (test helper) speed checks that hold on a loaded machine: instead of a fixed number of seconds, a
// timed step is compared with a reference workload timed just before and after it on the same
// machine, so other jobs slow both alike. The bounds catch a change of complexity, not a slow day.
import { createRng } from '../../shared/domain/random';

/** Seconds to sort 1,000,000 doubles (Float64Array#sort): the reference unit. */
function sortSeconds(): number {
  const rng = createRng(1);
  const values = new Float64Array(1_000_000);
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  const started = performance.now();
  values.sort();
  return (performance.now() - started) / 1000;
}

/**
 * Run `work` and return its result, its seconds and its cost in reference units (its seconds over the
 * slower of two reference sorts, one just before and one just after).
 */
export function timeInReferenceUnits<T>(work: () => T): { result: T; seconds: number; units: number } {
  const before = sortSeconds();
  const started = performance.now();
  const result = work();
  const seconds = (performance.now() - started) / 1000;
  const reference = Math.max(before, sortSeconds());
  return { result, seconds, units: seconds / reference };
}
