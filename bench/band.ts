// Expected-band benchmark: the series chart's band is recomputed on each request by replaying the stored
// points through the production detector (shared/use-cases/dashboard.ts expectedBand). This times that
// replay for a 1-minute series over chart ranges of 1, 7 and 30 days, each with the look-back the API
// adds before the chart (detector memory and the 28-day weekly baseline), and prints ms per series-day
// replayed. Run: npm run bench:band [-- --runs 3]
import { parseArgs } from 'node:util';
import { createRng } from '../shared/domain/random';
import { parseMonitorConfig } from '../shared/monitor-config';
import { bandLookbackMs, expectedBand } from '../shared/use-cases/dashboard';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const RUNS = Number(values.runs);
const MIN = 60_000;
const DAY = 1440 * MIN;
const TO = Date.UTC(2026, 10, 23);
const detection = parseMonitorConfig({
  series: [{ metric: 'cpu_percent', namespace: 'Bench', metricName: 'cpu' }],
}).detection;
const lookback = bandLookbackMs(detection, MIN);

const rng = createRng(11);
const points: { ts: number; value: number }[] = [];
for (let ts = TO - 30 * DAY - lookback; ts <= TO; ts += MIN) {
  const daily = 20 * Math.sin((2 * Math.PI * (ts % DAY)) / DAY);
  points.push({ ts, value: 50 + daily + rng.normal() * 3 + (rng.next() < 0.001 ? 40 : 0) });
}

console.log(
  `Expected band (1-minute series, look-back ${Math.round(lookback / DAY)} d before the chart, median of ${RUNS} runs)`,
);
console.log('chart range   replayed days   band entries   median ms   ms per series-day replayed');
for (const days of [1, 7, 30]) {
  const from = TO - days * DAY;
  const input = points.filter((p) => p.ts >= from - lookback);
  const times: number[] = [];
  let entries = 0;
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    entries = expectedBand(input, { from, to: TO, maxPoints: 800 }, detection, 1, MIN, days > 1).length;
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const replayed = (TO - from + lookback) / DAY;
  console.log(
    `${String(days).padStart(3)} d        ${replayed.toFixed(1).padStart(6)}          ${String(entries).padStart(6)}     ${median.toFixed(0).padStart(7)}     ${(median / replayed).toFixed(1)}`,
  );
}
