// NAB detection benchmark (../shared/BENCHMARK.md): replays every series, one point at a time and with
// no look-ahead, through the production detection code (scanSeries → SeriesDetector, the
// same functions and defaults the detect Lambda uses), scores the rows with the NAB v1.1 rules, and
// prints a table beside the published reference detectors.
//   npm run bench:nab [-- --data <dir> --windows <file> --out <dir> --json <file>]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { medianSpacingSeconds, parseReplayTimestamp } from '../../shared/adapters/csv-replay-source';
import { scanSeries } from '../../shared/domain/anomaly';
import { parseMonitorConfig } from '../../shared/monitor-config';
import { markdownTable } from '../table';
import {
  defaultNabDir,
  listKeysIn,
  loadDetectorResults,
  loadNabCorpus,
  parseWindows,
  readSeriesIn,
  toNabFile,
  withScores,
} from './nab-data';
import {
  NAB_PROFILE_NAMES,
  NAB_PROFILES,
  type NabProfileName,
  normalise,
  optimiseThreshold,
  type ScorableFile,
  scoreCorpus,
} from './scorer';

const DETECTOR = 'driftSentinel';

/** Published thresholds of the reference detectors (BENCHMARK.md), per profile. */
const REFERENCES: Record<string, Record<NabProfileName, number>> = {
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
  },
});
const nabDir = defaultNabDir();
const dataDir = path.resolve(values.data ?? path.join(nabDir, 'data'));
const windowsFile = path.resolve(values.windows ?? path.join(nabDir, 'combined_windows.json'));

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
  const windows = parseWindows(JSON.parse(readFileSync(windowsFile, 'utf8')));
  const keys = listKeysIn(dataDir);
  const files: ScorableFile[] = [];
  let rows = 0;
  keys.forEach((key, i) => {
    const nabFile = toNabFile(readSeriesIn(dataDir, key), windows);
    const points = nabFile.timestamps.map((t, j) => ({
      ts: parseReplayTimestamp(t) ?? Number.NaN,
      value: nabFile.values[j]!,
    }));
    const scores = new Array<number>(points.length).fill(0);
    // scanSeries visits the row objects themselves; a row it skips (non-finite, none in NAB) keeps 0.
    const index = new Map(points.map((p, k) => [p, k]));
    // The series' period as `npm start -- --replay` derives it: the median sampling interval.
    const periodMs = (medianSpacingSeconds(points.map((p) => p.ts)) ?? 60) * 1000;
    scanSeries(
      points,
      Number.NEGATIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      detection,
      1,
      periodMs,
      (p, verdict) => {
        const k = index.get(p);
        if (k !== undefined) scores[k] = verdict.score;
      },
    );
    rows += points.length;
    files.push(withScores(nabFile, scores));
    if (values.out) {
      const [sub, name] = key.split('/') as [string, string];
      const dir = path.join(values.out, DETECTOR, sub);
      mkdirSync(dir, { recursive: true });
      const inWindow = (r: number) => nabFile.windows.some(([a, b]) => r >= a && r <= b);
      const lines = ['timestamp,value,anomaly_score,label'];
      nabFile.timestamps.forEach((t, r) => {
        lines.push(`${t},${nabFile.values[r]},${scores[r]},${inWindow(r) ? 1 : 0}`);
      });
      writeFileSync(path.join(dir, `${DETECTOR}_${name}`), `${lines.join('\n')}\n`);
    }
    progress(i + 1, keys.length, key);
  });
  const detectSeconds = (performance.now() - started) / 1000;
  const windowCount = Object.values(windows).reduce((n, w) => n + w.length, 0);

  const summary: Record<string, unknown> = {
    detector: DETECTOR,
    rows,
    files: files.length,
    windows: windowCount,
  };
  const table: string[][] = [];
  const ours: Record<string, number[]> = {};
  for (const name of NAB_PROFILE_NAMES) {
    const profile = NAB_PROFILES[name];
    const best = optimiseThreshold(files, profile);
    const score = normalise(best.raw, windowCount, profile);
    ours[name] = [score, best.raw, best.threshold, best.windowsHit, best.fpCount];
    summary[name] = {
      score,
      raw: best.raw,
      threshold: best.threshold,
      windowsHit: best.windowsHit,
      falsePositives: best.fpCount,
    };
  }
  const seconds = (performance.now() - started) / 1000;
  summary.seconds = seconds;
  const fmt = (x: number) => x.toFixed(2);
  table.push([
    `${DETECTOR} (this repo)`,
    fmt(ours.standard![0]!),
    fmt(ours.reward_low_FP_rate![0]!),
    fmt(ours.reward_low_FN_rate![0]!),
    `${ours.standard![3]}/${windowCount}`,
    String(ours.standard![4]),
    ours.standard![2]!.toFixed(4),
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
  console.log(
    `\nDetection ${detectSeconds.toFixed(1)} s (${Math.round(rows / detectSeconds).toLocaleString()} rows/s), total ${seconds.toFixed(1)} s.` +
      ' Our threshold is swept per profile over the whole corpus (one threshold, never per file);' +
      ' references use their published thresholds.',
  );
  if (values.json) writeFileSync(values.json, `${JSON.stringify(summary, null, 2)}\n`);
}

main();
