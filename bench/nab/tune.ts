// Leave-one-category-out tuning on the shared NAB files: for each category, the detector settings
// (from a small grid over the knobs that matter) and the threshold are chosen on the OTHER categories
// only, then that category is scored with them — an estimate of how the defaults do on data they were
// not tuned on. Prints the held-out score of each category, the whole corpus scored that way, and which
// grid point each fold chose (the defaults should be what most folds choose).
//   npm run bench:nab-tune [-- --json <file>]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type MonitorConfigInput, parseMonitorConfig } from '../../shared/monitor-config';
import { markdownTable } from '../table';
import {
  bestScores,
  categoriesOf,
  loadHarnessFiles,
  nabPaths,
  scorable,
  scoreFile,
  scoresAt,
} from './harness';
import { defaultNabDir } from './nab-data';
import { NAB_PROFILE_NAMES, NAB_PROFILES, type NabProfileName, normalise, type ScorableFile } from './scorer';

const { values } = parseArgs({ options: { json: { type: 'string' } } });
type Knobs = NonNullable<MonitorConfigInput['detection']>;
const GRID: Knobs[] = [];
for (const historyPoints of [2000, 4000, 8000, 12_000])
  for (const tailWeight of [0.1, 0.2, 0.5])
    for (const recurrenceWeight of [1, 1.5, 2]) GRID.push({ historyPoints, tailWeight, recurrenceWeight });

const { dataDir, windowsFile } = nabPaths(defaultNabDir());
const harness = loadHarnessFiles(dataDir, windowsFile);
const categories = categoriesOf(harness);
const started = performance.now();
const scored: ScorableFile[][] = GRID.map((knobs, g) => {
  const detection = parseMonitorConfig({
    series: [{ metric: 'nab', namespace: 'NAB', metricName: 'value' }],
    detection: knobs,
  }).detection;
  process.stderr.write(`\r${g + 1}/${GRID.length} ${JSON.stringify(knobs)}`.padEnd(90));
  return harness.map((f) => scorable(f, scoreFile(f, detection, 'production')));
});
process.stderr.write('\n');

const heldOutRaw: Record<NabProfileName, number> = {
  standard: 0,
  reward_low_FP_rate: 0,
  reward_low_FN_rate: 0,
};
const folds: Record<string, unknown> = {};
const rows: string[][] = [];
let totalWindows = 0;
for (const category of categories) {
  const train = (files: ScorableFile[]) => files.filter((_, i) => harness[i]!.category !== category);
  const test = (files: ScorableFile[]) => files.filter((_, i) => harness[i]!.category === category);
  const windows = test(scored[0]!).reduce((n, f) => n + f.windows.length, 0);
  totalWindows += windows;
  const scores: Record<string, number> = {};
  const chosen: Record<string, Knobs> = {};
  for (const profile of NAB_PROFILE_NAMES) {
    // The grid point and threshold that do best on the other categories, for this profile.
    let bestG = 0;
    let bestTrain = Number.NEGATIVE_INFINITY;
    let threshold = 1;
    GRID.forEach((_, g) => {
      const b = bestScores(train(scored[g]!))[profile];
      if (b.raw > bestTrain) {
        bestTrain = b.raw;
        bestG = g;
        threshold = b.threshold;
      }
    });
    const at = scoresAt(test(scored[bestG]!), {
      standard: threshold,
      reward_low_FP_rate: threshold,
      reward_low_FN_rate: threshold,
    })[profile];
    heldOutRaw[profile] += at.raw;
    scores[profile] = windows > 0 ? at.score : Number.NaN;
    chosen[profile] = GRID[bestG]!;
  }
  folds[category] = { windows, ...scores, chosen };
  const cell = (p: NabProfileName) => (windows > 0 ? scores[p]!.toFixed(2) : '–');
  rows.push([
    category,
    String(windows),
    cell('standard'),
    cell('reward_low_FP_rate'),
    cell('reward_low_FN_rate'),
    JSON.stringify(chosen.standard),
  ]);
}
const overall = Object.fromEntries(
  NAB_PROFILE_NAMES.map((p) => [p, normalise(heldOutRaw[p], totalWindows, NAB_PROFILES[p])]),
) as Record<NabProfileName, number>;
rows.push([
  '**all, held out**',
  String(totalWindows),
  overall.standard.toFixed(2),
  overall.reward_low_FP_rate.toFixed(2),
  overall.reward_low_FN_rate.toFixed(2),
  '',
]);
console.log(
  `\nLeave-one-category-out over ${GRID.length} settings (${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
);
const header = [
  'held-out category',
  'windows',
  'standard',
  'reward_low_FP',
  'reward_low_FN',
  'chosen on the others (standard)',
];
for (const l of markdownTable(header, rows)) console.log(l);
if (values.json)
  writeFileSync(
    values.json,
    `${JSON.stringify({ date: new Date().toISOString(), grid: GRID, folds, overall }, null, 2)}\n`,
  );
