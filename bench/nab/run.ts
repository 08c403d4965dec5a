// NAB detection benchmark (BENCHMARK.md of the shared data): replays every series, one point at a
// time and with no look-ahead, through the production detection code (scanSeries → SeriesDetector,
// the same functions and defaults the detect Lambda uses), scores the rows with the NAB v1.1 rules,
// and prints a table beside the published reference detectors, then one row per category.
//   npm run bench:nab [-- --data <dir> --windows <file> --out <dir> --json <file> --detector null]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseMonitorConfig } from '../../shared/monitor-config';
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
import { defaultNabDir, loadDetectorResults, loadNabCorpus } from './nab-data';
import { NAB_PROFILE_NAMES, NAB_PROFILES, normalise, type ScorableFile, scoreCorpus } from './scorer';

const DETECTOR = 'driftSentinel';

/** Published thresholds of the reference detectors (BENCHMARK.md), per profile. */
const REFERENCES: Record<string, Record<(typeof NAB_PROFILE_NAMES)[number], number>> = {
  numenta: { standard: 0.5421877, reward_low_FP_rate: 0.5751955, reward_low_FN_rate: 0.5421877 },
  randomCutForest: { standard: 0.4539185, reward_low_FP_rate: 0.5751955, reward_low_FN_rate: 0.4480484 },
  windowedGaussian: { standard: 1.0, reward_low_FP_rate: 1.0, reward_low_FN_rate: 1.0 },
  null: { standard: 1.0, reward_low_FP_rate: 1.0, reward_low_FN_rate: 1.0 },
};

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    windows: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'string' },
    detector: { type: 'string', default: 'production' },
  },
});
if (values.detector !== 'production' && values.detector !== 'null') {
  console.error('--detector must be production or null');
  process.exit(2);
}
const which = values.detector as 'production' | 'null';
const nabDir = defaultNabDir();
const { dataDir, windowsFile } = nabPaths(nabDir, values.data, values.windows);

// The detect Lambda's defaults: a config with only a placeholder series, every detection setting default.
const detection = parseMonitorConfig({
  series: [{ metric: 'nab', namespace: 'NAB', metricName: 'value' }],
}).detection;

function progress(done: number, total: number, label: string): void {
  if (!process.stderr.isTTY && done !== total && done % 5 !== 0) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(
    `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label.padEnd(50).slice(0, 50)}`,
  );
  if (done === total) process.stderr.write('\n');
}

function main(): void {
  const started = performance.now();
  const harness = loadHarnessFiles(dataDir, windowsFile);
  const files: ScorableFile[] = [];
  let rows = 0;
  const detectStarted = performance.now();
  harness.forEach((file, i) => {
    const scores = scoreFile(file, detection, which);
    rows += scores.length;
    files.push(scorable(file, scores));
    if (values.out) {
      const [sub, name] = file.key.split('/') as [string, string];
      const dir = path.join(values.out, DETECTOR, sub);
      mkdirSync(dir, { recursive: true });
      const inWindow = (r: number) => file.nab.windows.some(([a, b]) => r >= a && r <= b);
      const lines = ['timestamp,value,anomaly_score,label'];
      file.nab.timestamps.forEach((t, r) => {
        lines.push(`${t},${file.nab.values[r]},${scores[r]},${inWindow(r) ? 1 : 0}`);
      });
      writeFileSync(path.join(dir, `${DETECTOR}_${name}`), `${lines.join('\n')}\n`);
    }
    progress(i + 1, harness.length, file.key);
  });
  const detectSeconds = (performance.now() - detectStarted) / 1000;
  const windowCount = files.reduce((n, f) => n + f.windows.length, 0);

  const best = bestScores(files);
  const thresholds = {
    standard: best.standard.threshold,
    reward_low_FP_rate: best.reward_low_FP_rate.threshold,
    reward_low_FN_rate: best.reward_low_FN_rate.threshold,
  };
  // Per category at the corpus-wide thresholds (never a threshold per category).
  const categories: Record<string, Record<string, number>> = {};
  const categoryRows: string[][] = [];
  for (const category of categoriesOf(harness)) {
    const subset = files.filter((_, i) => harness[i]!.category === category);
    const windows = subset.reduce((n, f) => n + f.windows.length, 0);
    const at = scoresAt(subset, thresholds);
    categories[category] = {
      files: subset.length,
      windows,
      ...Object.fromEntries(NAB_PROFILE_NAMES.map((p) => [p, windows > 0 ? at[p].score : Number.NaN])),
      falsePositives: at.standard.falsePositives,
      windowsHit: at.standard.windowsHit,
    };
    const cell = (p: (typeof NAB_PROFILE_NAMES)[number]) => (windows > 0 ? at[p].score.toFixed(2) : '–');
    categoryRows.push([
      category,
      String(subset.length),
      cell('standard'),
      cell('reward_low_FP_rate'),
      cell('reward_low_FN_rate'),
      `${at.standard.windowsHit}/${windows}`,
      String(at.standard.falsePositives),
    ]);
  }
  const summary: Record<string, unknown> = {
    detector: which === 'null' ? 'null' : DETECTOR,
    date: new Date().toISOString(),
    rows,
    files: files.length,
    windows: windowCount,
    ...Object.fromEntries(
      NAB_PROFILE_NAMES.map((p) => [
        p,
        {
          score: best[p].score,
          raw: best[p].raw,
          threshold: best[p].threshold,
          windowsHit: best[p].windowsHit,
          falsePositives: best[p].falsePositives,
        },
      ]),
    ),
    categories,
  };
  const table: string[][] = [];
  const ours = NAB_PROFILE_NAMES.map((p) => best[p]);
  const seconds = (performance.now() - started) / 1000;
  summary.seconds = seconds;
  const fmt = (x: number) => x.toFixed(2);
  table.push([
    which === 'null' ? 'null detector (this repo)' : `${DETECTOR} (this repo)`,
    fmt(ours[0]!.score),
    fmt(ours[1]!.score),
    fmt(ours[2]!.score),
    `${ours[0]!.windowsHit}/${windowCount}`,
    String(ours[0]!.falsePositives),
    ours[0]!.threshold.toFixed(4),
  ]);

  // References with their published thresholds, when the published results are there.
  if (!values.data && !values.windows) {
    const corpus = loadNabCorpus(nabDir);
    for (const [detector, thresholds] of Object.entries(REFERENCES)) {
      const ref = loadDetectorResults(nabDir, detector, corpus);
      const cells = NAB_PROFILE_NAMES.map((p) => {
        const c = scoreCorpus(ref, thresholds[p], NAB_PROFILES[p]);
        return {
          score: normalise(c.raw, corpus.windowCount, NAB_PROFILES[p]),
          hit: c.windowsHit,
          fp: c.fpCount,
        };
      });
      table.push([
        detector,
        fmt(cells[0]!.score),
        fmt(cells[1]!.score),
        fmt(cells[2]!.score),
        `${cells[0]!.hit}/${corpus.windowCount}`,
        String(cells[0]!.fp),
        thresholds.standard.toFixed(4),
      ]);
    }
  }

  const header = [
    'detector',
    'standard',
    'reward_low_FP',
    'reward_low_FN',
    'windows hit',
    'FP rows',
    'threshold (std)',
  ];
  console.log(`\nNAB (${files.length} files, ${rows.toLocaleString()} rows, ${windowCount} windows)\n`);
  for (const l of markdownTable(header, table)) console.log(l);
  console.log('\nPer category, at the corpus-wide thresholds above\n');
  const categoryHeader = [
    'category',
    'files',
    'standard',
    'reward_low_FP',
    'reward_low_FN',
    'windows hit',
    'FP rows',
  ];
  for (const l of markdownTable(categoryHeader, categoryRows)) console.log(l);
  console.log(
    `\nDetection ${detectSeconds.toFixed(1)} s (${Math.round(rows / detectSeconds).toLocaleString()} rows/s), total ${seconds.toFixed(1)} s.` +
      ' Our threshold is swept per profile over the whole corpus (one threshold, never per file);' +
      ' references use their published thresholds.',
  );
  if (values.json) writeFileSync(values.json, `${JSON.stringify(summary, null, 2)}\n`);
}

main();
