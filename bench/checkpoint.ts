// Detector checkpoint benchmark: what a persisted checkpoint costs per series (the detect Lambda saves
// one per series about hourly and reads one per series after a cold start), for 1- and 5-minute series
// with their full seasonal look-back (4 weeks), and what it saves: points a cold start reads with and
// without it. Runs the production snapshot/restore and the S3 store's codec (gzipped JSON).
//   npm run bench:checkpoint [-- --weeks 5]
import { parseArgs } from 'node:util';
import { encodeCheckpoint, parseCheckpoint } from '../shared/adapters/checkpoint-codec';
import { memoryPoints } from '../shared/domain/anomaly';
import { SeriesDetector } from '../shared/domain/detectors/series-detector';
import { createRng } from '../shared/domain/random';
import { parseMonitorConfig } from '../shared/monitor-config';
import { markdownTable } from './table';

const { values } = parseArgs({ options: { weeks: { type: 'string', default: '5' } } });
const WEEKS = Number(values.weeks);
const detection = parseMonitorConfig({
  series: [{ metric: 'b', namespace: 'B', metricName: 'b' }],
}).detection;

function time<T>(f: () => T, repeat = 5): { value: T; ms: number } {
  let value = f();
  const started = performance.now();
  for (let i = 0; i < repeat; i++) value = f();
  return { value, ms: (performance.now() - started) / repeat };
}

const rows: string[][] = [];
for (const periodMinutes of [1, 5]) {
  const period = periodMinutes * 60_000;
  const n = Math.round((WEEKS * 7 * 86_400_000) / period);
  const rng = createRng(11);
  const detector = new SeriesDetector(detection, period);
  const perDay = 1440 / periodMinutes;
  for (let i = 0; i < n; i++) {
    detector.push(i * period, 50 + 20 * Math.sin((2 * Math.PI * i) / perDay) + rng.normal(0, 3));
  }
  const snapshot = time(() => detector.snapshot());
  const json = JSON.stringify(snapshot.value);
  const encoded = time(() => encodeCheckpoint(snapshot.value));
  const decoded = time(() => parseCheckpoint(encoded.value, 'bench'));
  const restored = time(() => SeriesDetector.restore(detection, period, 1, decoded.value));
  if (!restored.value) throw new Error('restore refused its own snapshot');
  rows.push([
    `${periodMinutes} min`,
    n.toLocaleString(),
    `${snapshot.value.past.values.length.toLocaleString()}`,
    `${(json.length / 1024).toFixed(0)} KiB`,
    `${(encoded.value.length / 1024).toFixed(0)} KiB`,
    `${(snapshot.ms + encoded.ms).toFixed(1)} ms`,
    `${(decoded.ms + restored.ms).toFixed(1)} ms`,
    `${memoryPoints(detection).toLocaleString()} points (${((memoryPoints(detection) * period) / 86_400_000).toFixed(1)} days)`,
  ]);
}

const header = [
  'period',
  'points streamed',
  'look-back points kept',
  'JSON',
  'stored (gzip)',
  'snapshot + encode',
  'decode + restore',
  'a cold start without it re-reads',
];
console.log(`\nDetector checkpoints after ${WEEKS} weeks of a daily-seasonal series (defaults)\n`);
for (const l of markdownTable(header, rows)) console.log(l);
console.log(
  '\nWith a checkpoint a cold start reads only the points after it (≤ checkpointEveryMinutes of them) and' +
    ' keeps the 4-week seasonal look-back; without one it re-reads the memory above and the weekly baseline' +
    ' waits until the look-back has streamed again.',
);
