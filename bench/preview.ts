// What-if preview benchmark: 30 days of 1-minute points for N series of one metric (daily cycle,
// Gaussian noise, a burst every ~3 h), previewed at +20% through the production preview use case
// (two full detect + alert replays). Prints the wall time the API Lambda would spend on it.
// Run: npm run bench:preview [-- --series 5 --days 30]
import { parseArgs } from 'node:util';
import { MemoryAlertStore, MemoryMetricStore } from '../shared/adapters/memory-stores';
import { DEFAULT_TUNING_POLICY, initialThresholdState } from '../shared/domain/feedback';
import { createRng } from '../shared/domain/random';
import type { MetricPoint } from '../shared/domain/types';
import { expandSeries, parseMonitorConfig } from '../shared/monitor-config';
import type { FeedbackStore, ThresholdStore } from '../shared/ports';
import { previewAdjustment } from '../shared/use-cases/preview-adjustment';

const { values } = parseArgs({
  options: { series: { type: 'string', default: '5' }, days: { type: 'string', default: '30' } },
});
const N = Number(values.series);
const DAYS = Number(values.days);
const MIN = 60_000;
const TO = Date.UTC(2026, 10, 23);

const config = parseMonitorConfig({
  series: Array.from({ length: N }, (_, i) => ({
    metric: 'cpu_percent',
    namespace: 'Bench',
    metricName: 'cpu',
    dimensions: { host: `web-${i + 1}` },
    label: `web-${i + 1}`,
    tags: { resource: `web-${i + 1}` },
  })),
});
const series = expandSeries(config);

// Nothing labelled and no adjustment stored: the replays are what is measured.
const noLabels: FeedbackStore = {
  setFeedback: () => Promise.reject(new Error('read-only benchmark')),
  listRange: async () => [],
  listSeries: async () => [],
  listAlert: async () => [],
};
const zero = {
  get: async (metric: string) => initialThresholdState(metric),
} as unknown as ThresholdStore;

async function main(): Promise<void> {
  const rng = createRng(42);
  const points: MetricPoint[] = [];
  for (const s of series) {
    for (let ts = TO - DAYS * 1440 * MIN - 2 * 3_600_000; ts <= TO; ts += MIN) {
      const minute = ts / MIN;
      let value = 40 + 10 * Math.sin((2 * Math.PI * (minute % 1440)) / 1440) + rng.normal(0, 3);
      if (minute % 173 < 6) value += [8, 11, 14, 20, 35][Math.floor(minute / 173) % 5]!;
      points.push({ series: s.id, ts, value });
    }
  }
  const store = new MemoryMetricStore();
  await store.putPoints(points);
  const started = performance.now();
  const r = await previewAdjustment(
    {
      store,
      feedback: noLabels,
      thresholds: zero,
      alerts: new MemoryAlertStore(),
      series,
      detection: config.detection,
      alertPolicy: config.alerts,
      detectEveryMinutes: config.schedules.detectEveryMinutes,
      policy: DEFAULT_TUNING_POLICY,
      days: DAYS,
      clock: { now: () => TO },
    },
    { metric: 'cpu_percent', adjustment: 0.2 },
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `What-if preview: ${N} series × ${DAYS} days (${r.points.toLocaleString()} points), 0% vs +20%`,
  );
  console.log(`  current : ${r.current.pages} pages, ${r.current.anomalies} anomalies`);
  console.log(`  proposed: ${r.proposed.pages} pages, ${r.proposed.anomalies} anomalies`);
  console.log(`  wall time ${seconds.toFixed(2)} s (both replays, points already in memory)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
