// (test helper) tests that need data from the sibling `../shared` folder (the NAB corpus): present →
// they run; absent → they skip with one line saying what to point them at; absent with CI=true → they
// fail, because CI has the folder and a silent skip there would hide a lost benchmark.
import { existsSync } from 'node:fs';
import path from 'node:path';

/** `$SHARED_DIR`, else `../shared` next to the project root. */
export const SHARED_DIR = process.env.SHARED_DIR
  ? path.resolve(process.env.SHARED_DIR)
  : path.resolve(__dirname, '../../../shared');

/** The small files unit tests need, copied into the repo (test/fixtures/SOURCE.md). */
export const FIXTURES_DIR = path.resolve(__dirname, '../fixtures');

type Suite = (name: string, fn: () => void) => void;

/**
 * `describe` when `marker` exists; otherwise a skipped suite and one line on stderr, or (CI=true) a
 * suite whose only test fails naming the missing file.
 * @param marker - a file the suite reads, e.g. `<nab dir>/combined_windows.json`
 * @param hint - how to provide it, e.g. `set NAB_DIR to a NAB folder`
 */
export function describeWithSharedData(marker: string, hint: string): Suite {
  if (existsSync(marker)) return describe;
  const message = `${marker} not found; ${hint}`;
  if (process.env.CI === 'true') {
    return (name) =>
      describe(name, () => {
        it('has its ../shared data (required when CI=true)', () => {
          throw new Error(message);
        });
      });
  }
  return (name, fn) => {
    process.stderr.write(`skipped "${name}": ${message}\n`);
    describe.skip(name, fn);
  };
}
