// Alerting benchmark: a week of noisy 1-minute metrics with injected incidents, replayed through the
// production detect + alert use cases (in-memory stores, the real token-bucket arithmetic, a simulated
// clock running the 5-minute schedule). Prints pages sent, what each rule held back, and the most
// messages in any 15-minute window.  Run: npm run bench:alerting [-- --days 7 --seed 42 --pages --shards 1]

import { parseArgs } from 'node:util';
import {
  MemoryAlertStore,
  MemoryAnomalyStore,
  MemoryControlStore,
  MemoryMetricStore,
  MemoryRateLimiter,
} from '../shared/adapters/memory-stores';
import { DetectorCache } from '../shared/domain/detectors/detector-cache';
import { createRng } from '../shared/domain/random';
import { shardsOf } from '../shared/domain/shards';
import { bucketConfigOf } from '../shared/domain/token-bucket';
import type { MetricPoint } from '../shared/domain/types';
import { expandSeries, parseMonitorConfig } from '../shared/monitor-config';
import type { AlertMessage, AlertPublisher, Log } from '../shared/ports';
import { noDataRules } from '../shared/use-cases/raise-no-data';
import { runDetectCycle } from '../shared/use-cases/run-detect-cycle';

const MIN = 60_000;
const { values } = parseArgs({
  options: {
    days: { type: 'string', default: '7' },
    seed: { type: 'string', default: '42' },
    /** List every page (time and subject), to see which are noise. */
    pages: { type: 'boolean', default: false },
    /** Detect shards run side by side each cycle; the pages must not depend on it. */
    shards: { type: 'string', default: '1' },
  },
});
const DAYS = Number(values.days);
const SEED = Number(values.seed);
const SHARDS = Number(values.shards);

const HOSTS = ['web-1', 'web-2', 'web-3', 'worker-1', 'rds-main'];
const METRICS = [
  { metric: 'cpu_percent', base: 35, amp: 15, noise: 4 },
  { metric: 'memory_percent', base: 60, amp: 5, noise: 1.5 },
  { metric: 'request_latency_p95', base: 180, amp: 40, noise: 15 },
  { metric: 'error_rate', base: 4, amp: 2, noise: 1.5 },
];

const config = parseMonitorConfig({
  series: HOSTS.flatMap((host) =>
    METRICS.map((m) => ({
      metric: m.metric,
      namespace: 'Bench',
      metricName: m.metric,
      dimensions: { host },
      label: host,
      tags: { resource: host },
    })),
  ),
});
const series = expandSeries(config);

// Incidents: [label, start minute, duration, hosts, metrics, multiplier]
const T0 = Date.UTC(2026, 10, 16); // a Monday
const incidents = [
  {
    name: 'web-1 CPU runaway (20 min)',
    start: 1 * 1440 + 600,
    minutes: 20,
    hosts: ['web-1'],
    metrics: ['cpu_percent'],
    factor: 2.6,
  },
  {
    name: 'web-2 full outage: all metrics (30 min)',
    start: 2 * 1440 + 840,
    minutes: 30,
    hosts: ['web-2'],
    metrics: METRICS.map((m) => m.metric),
    factor: 3,
  },
  {
    name: 'fleet-wide latency storm (25 min)',
    start: 3 * 1440 + 300,
    minutes: 25,
    hosts: HOSTS,
    metrics: ['request_latency_p95', 'error_rate'],
    factor: 4,
  },
  {
    name: 'rds-main incident inside Sun 02:00 maintenance',
    start: 6 * 1440 + 130,
    minutes: 20,
    hosts: ['rds-main'],
    metrics: ['cpu_percent', 'error_rate'],
    factor: 3,
  },
  {
    name: 'worker-1 error burst (10 min)',
    start: 4 * 1440 + 1000,
    minutes: 10,
    hosts: ['worker-1'],
    metrics: ['error_rate'],
    factor: 5,
  },
];

function generate(): MetricPoint[] {
  // The same seeded PRNG the domain uses: every run of the bench sees the same week.
  const random = createRng(SEED);
  const gauss = () => random.normal(0, 1);
  const points: MetricPoint[] = [];
  for (const s of series) {
    const host = s.dimensions.host!;
    const m = METRICS.find((x) => x.metric === s.metric)!;
    for (let i = 0; i < DAYS * 1440; i++) {
      const ts = T0 + i * MIN;
      const daily = Math.sin((2 * Math.PI * (i % 1440)) / 1440 - Math.PI / 2);
      let value = m.base + m.amp * daily + m.noise * gauss();
      for (const inc of incidents) {
        if (
          i >= inc.start &&
          i < inc.start + inc.minutes &&
          inc.hosts.includes(host) &&
          inc.metrics.includes(s.metric)
        ) {
          value *= inc.factor;
        }
      }
      points.push({ series: s.id, ts, value: Math.max(0, value) });
    }
  }
  return points;
}

const silent: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

async function main(): Promise<void> {
  const started = performance.now();
  const all = generate();
  const byTime = all.sort((a, b) => a.ts - b.ts);
  const store = new MemoryMetricStore();
  const anomalies = new MemoryAnomalyStore();
  const alerts = new MemoryAlertStore();
  await alerts.putWindow({
    id: 'rds-main-sunday-patch',
    tags: { resource: 'rds-main' },
    schedule: { kind: 'weekly', dayOfWeek: 0, startMinute: 120, durationMinutes: 60 },
  });
  const sent: (AlertMessage & { at: number })[] = [];
  let clockNow = T0;
  const publisher: AlertPublisher = {
    publish: async (m) => {
      sent.push({ ...m, at: clockNow });
      return { messageId: `m${sent.length}` };
    },
  };
  const rate = config.alerts.rateLimit;
  const limiter = new MemoryRateLimiter(bucketConfigOf(rate));
  const control = new MemoryControlStore();
  const totals: Record<string, number> = {};
  let p = 0;
  // The production cycle, per shard, all shards at once (as the state machine's Map runs them).
  const shards = shardsOf(SHARDS).map((shard) => ({ shard, detectorCache: new DetectorCache() }));
  for (let now = T0 + 5 * MIN; now <= T0 + DAYS * 1440 * MIN; now += 5 * MIN) {
    clockNow = now;
    const batch: MetricPoint[] = [];
    while (p < byTime.length && byTime[p]!.ts < now) batch.push(byTime[p++]!);
    await store.putPoints(batch);
    const clock = { now: () => now };
    const cycles = await Promise.all(
      shards.map(({ shard, detectorCache }) =>
        runDetectCycle(
          {
            points: store,
            anomalies,
            control,
            alerts,
            limiter,
            publisher,
            deadLetter: { send: async () => undefined },
            clock,
            log: silent,
            config,
            series,
            noDataRules: noDataRules(config),
            detectorCache,
          },
          { shard, now },
        ),
      ),
    );
    for (const r of cycles)
      for (const [k, v] of Object.entries(r.alerts.states)) totals[k] = (totals[k] ?? 0) + v;
  }
  const seconds = (performance.now() - started) / 1000;

  const pages = sent.filter((m) => m.attributes.severity !== 'RESOLVED');
  const resolved = sent.length - pages.length;
  let max15 = 0;
  for (const m of sent)
    max15 = Math.max(max15, sent.filter((x) => x.at >= m.at && x.at < m.at + 15 * MIN).length);
  const recorded = (await anomalies.listRange(0, Number.MAX_SAFE_INTEGER)).length;

  if (values.pages) for (const p of pages) console.log(`${new Date(p.at).toISOString()}  ${p.subject}`);
  const rows: [string, string][] = [
    ['series × days (1-min points)', `${series.length} × ${DAYS} (${all.length.toLocaleString()} points)`],
    ['anomalies recorded', String(recorded)],
    ['pages sent (alert messages)', String(pages.length)],
    ['RESOLVED notices', String(resolved)],
    ['  … folded into a page (grouped)', String(totals.grouped ?? 0)],
    ['  … de-duplicated into an open alert', String(totals.deduplicated ?? 0)],
    ['  … below page level (INFO, recorded only)', String(totals['below-severity'] ?? 0)],
    ['  … suppressed by maintenance window', String(totals.suppressed ?? 0)],
    ['  … rate-limited (carried in the next digest)', String(totals['rate-limited'] ?? 0)],
    ['  … still pending / failed', `${totals.pending ?? 0} / ${totals.failed ?? 0}`],
    [
      'most messages in any 15-minute window',
      `${max15} (bucket: ${rate.capacity}, +${rate.refillTokens}/${rate.refillMinutes} min)`,
    ],
    ['wall time', `${seconds.toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`\nAlerting benchmark (seed ${SEED})\n`);
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  console.log('\nInjected incidents → first page:');
  for (const inc of incidents) {
    const start = T0 + inc.start * MIN;
    // The page must be about the incident: one of its hosts and metrics, above the expected range.
    const hit = pages.find(
      (m) =>
        m.at >= start &&
        m.at <= start + (inc.minutes + 15) * MIN &&
        (
          m.body.anomalies as {
            label: string;
            metric: string;
            value: number;
            expectedRange: (number | null)[];
          }[]
        ).some(
          (a) =>
            inc.hosts.some((h) => a.label.endsWith(` ${h}`)) &&
            inc.metrics.includes(a.metric) &&
            a.value > (a.expectedRange[1] ?? Number.POSITIVE_INFINITY),
        ),
    );
    console.log(
      `  ${inc.name.padEnd(48)} ${hit ? `paged after ${Math.round((hit.at - start) / MIN)} min: ${hit.subject}` : 'no page'}`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
