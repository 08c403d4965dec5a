// Detector state benchmark: what one series costs the detect Lambda in heap, in its persisted
// checkpoint, and in CPU — for 1- and 5-minute series with daily and weekly seasonality learned (five
// weeks streamed). Runs the production detector, snapshot/restore and the S3 store's codec.
//   npm run bench:checkpoint [-- --weeks 5 --json <file>]
// Heap is measured on clones of the trained detector (each a deep copy of the whole state) with the
// collector run before and after, so it is the state itself, not the garbage of training; typed
// arrays (off the JS heap) are counted too.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { encodeCheckpoint, parseCheckpoint } from '../shared/adapters/checkpoint-codec';
import { memoryPoints } from '../shared/domain/anomaly';
import { semanticsFor } from '../shared/domain/detectors/semantics';
import { SeriesDetector } from '../shared/domain/detectors/series-detector';
import { createRng } from '../shared/domain/random';
import { parseMonitorConfig } from '../shared/monitor-config';
import { markdownTable } from './table';

const { values } = parseArgs({
  options: {
    weeks: { type: 'string', default: '5' },
    json: { type: 'string' },
    clones: { type: 'string', default: '50' },
  },
});
const WEEKS = Number(values.weeks);
const CLONES = Number(values.clones);
const detection = parseMonitorConfig({
  series: [{ metric: 'b', namespace: 'B', metricName: 'b' }],
}).detection;
const semantics = semanticsFor('requests', 'count');

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function time<T>(f: () => T, repeat = 5): { value: T; ms: number } {
  let value = f();
  const started = performance.now();
  for (let i = 0; i < repeat; i++) value = f();
  return { value, ms: (performance.now() - started) / repeat };
}

interface Row {
  readonly heapBytesPerSeries: number;
  readonly snapshotGzipBytes: number;
  readonly snapshotJsonBytes: number;
  readonly pointsPerSecond: number;
  readonly saveMs: number;
  readonly restoreMs: number;
}

function measure(periodMinutes: number): Row {
  const period = periodMinutes * 60_000;
  const n = Math.round((WEEKS * 7 * 86_400_000) / period);
  const rng = createRng(11);
  const perDay = 1440 / periodMinutes;
  const points = Array.from({ length: n }, (_, i) => {
    const weekend = Math.floor(i / perDay) % 7 >= 5 ? 0.6 : 1;
    return 200 + weekend * 80 * Math.sin((2 * Math.PI * i) / perDay) + rng.normal(0, 5);
  });
  // CPU time (not wall time) of streaming the whole series, the median of three runs after a
  // warm-up run (the JIT's first pass is not what a warm Lambda sees).
  const stream = () => {
    const d = new SeriesDetector(detection, period, 1, semantics);
    const started = process.cpuUsage();
    for (let i = 0; i < n; i++) d.push(i * period, points[i]!);
    const cpu = process.cpuUsage(started);
    return { d, seconds: (cpu.user + cpu.system) / 1e6 };
  };
  stream();
  const runs = [stream(), stream(), stream()];
  const detector = runs[0]!.d;
  const median = runs.map((r) => r.seconds).sort((a, b) => a - b)[1]!;
  const pointsPerSecond = n / median;

  // Typed arrays live outside the JS heap (arrayBuffers): both count against the Lambda's memory.
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  gc();
  const before = used();
  const clones = Array.from({ length: CLONES }, () => detector.clone());
  gc();
  const heapBytesPerSeries = (used() - before) / clones.length;

  const snapshot = time(() => detector.snapshot());
  const encoded = time(() => encodeCheckpoint(snapshot.value));
  const decoded = time(() => parseCheckpoint(encoded.value, 'bench'));
  const restored = time(() => SeriesDetector.restore(detection, period, 1, decoded.value, semantics));
  if (!restored.value) throw new Error('restore refused its own snapshot');
  return {
    heapBytesPerSeries: Math.round(heapBytesPerSeries),
    snapshotGzipBytes: encoded.value.length,
    snapshotJsonBytes: JSON.stringify(snapshot.value).length,
    pointsPerSecond: Math.round(pointsPerSecond),
    saveMs: snapshot.ms + encoded.ms,
    restoreMs: decoded.ms + restored.ms,
  };
}

const oneMinute = measure(1);
const fiveMinute = measure(5);
const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
const rows = [
  ['1 min', oneMinute],
  ['5 min', fiveMinute],
].map(([label, r]) => {
  const x = r as Row;
  return [
    label as string,
    kib(x.heapBytesPerSeries),
    kib(x.snapshotJsonBytes),
    kib(x.snapshotGzipBytes),
    x.pointsPerSecond.toLocaleString(),
    `${x.saveMs.toFixed(2)} ms`,
    `${x.restoreMs.toFixed(2)} ms`,
  ];
});
const header = [
  'period',
  'heap per series',
  'JSON',
  'stored (gzip)',
  'points/s (one core)',
  'snapshot + encode',
  'decode + restore',
];
console.log(
  `\nDetector state after ${WEEKS} weeks of a daily + weekly seasonal series (defaults, ${CLONES} clones)\n`,
);
for (const l of markdownTable(header, rows)) console.log(l);
console.log(
  `\nBudget (issue 12): ≤ 64 KiB heap and ≤ 32 KiB gzipped per 1-minute series, ≥ 100,000 points/s.` +
    ` A cold start without a checkpoint re-reads ${memoryPoints(detection).toLocaleString()} points.`,
);
if (values.json) {
  writeFileSync(
    values.json,
    `${JSON.stringify({ date: new Date().toISOString(), weeks: WEEKS, oneMinute, fiveMinute }, null, 2)}\n`,
  );
}
