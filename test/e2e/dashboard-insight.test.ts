// Issue 16 in Debian's Chromium against the real API router (functions/api-routes.ts, the same use cases
// as the Lambda) on the local HTTP server, points in memory, feedback/thresholds/anomalies in dynalite:
// 60 health tiles visible at 1400×900 with a new series "learning until HH:MM"; the series chart's
// expected band equal to the production detector's z-score range at a known anomaly, with its
// explanation on hover; the what-if preview → apply → revert; a 60-day range; alert quality with its
// estimated monthly cost per metric. One browser for all.
// Screenshots: test-output/dashboard/insight-*.png (docs/img/dashboard-health.png, the README's, is a
// copy of insight-health-1400x900.png).

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildDashboard } from '../../dashboard/build';
import { num, time, usd } from '../../dashboard/src/format';
import { sparkGeometry } from '../../dashboard/src/sparkline';
import { createApiRouter } from '../../functions/api-routes';
import { cognitoClaims } from '../../functions/auth';
import { startHttpServer } from '../../infra/local/http-server';
import { DynamoAlertStore } from '../../shared/adapters/dynamodb-alert-store';
import { DynamoFeedbackStore } from '../../shared/adapters/dynamodb-feedback-store';
import { DynamoThresholdStore } from '../../shared/adapters/dynamodb-threshold-store';
import {
  MemoryAnomalyStore,
  MemoryMetricStore,
  MemoryRecentBandStore,
} from '../../shared/adapters/memory-stores';
import type { AlertsResponse, HealthResponse, PointsResponse, PreviewResponse } from '../../shared/api/types';
import { evaluateSeries, evaluateSeriesResumable, scanSeries } from '../../shared/domain/anomaly';
import { estimateMonthlyCost, PRICES_CHECKED } from '../../shared/domain/cost-model';
import { learningUntil } from '../../shared/domain/dashboard';
import { semanticsOf } from '../../shared/domain/detectors/semantics';
import { mergeRecentBands } from '../../shared/domain/recent-band';
import { cycleTimeoutSeconds, planDetect } from '../../shared/domain/series-cost';
import { WHOLE_FLEET } from '../../shared/domain/shards';
import type { MetricPoint, SeriesSpec } from '../../shared/domain/types';
import { parseMonitorConfig } from '../../shared/monitor-config';
import { bandLookbackMs, shardBandReader } from '../../shared/use-cases/dashboard';
import { readStores } from '../helpers/api-deps';
import { launchChromium, waitForView, watchPage } from '../helpers/browser';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';
import { seriesSpec } from '../helpers/series';

jest.setTimeout(120_000);

const SHOTS = resolve(__dirname, '../../test-output/dashboard');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = Math.floor(Date.now() / MIN) * MIN;
/** The known series' spike: the anomaly the band test hovers. */
const SPIKE = NOW - 2 * HOUR;
const NEW_FIRST = NOW - 19 * MIN;

const config = parseMonitorConfig({
  series: [{ metric: 'cpu_percent', namespace: 'N', metricName: 'M' }],
});
const spec = (id: string, metric: string, label: string, tags: Record<string, string>): SeriesSpec =>
  seriesSpec({ id, metric, label, namespace: 'Demo', tags });
const known = spec('Demo/cpu/known', 'cpu_percent', 'api-1 CPU', { host: 'api-1', env: 'prod' });
const fresh = spec('Demo/mem/new-host', 'memory_percent', 'new-host memory', { host: 'new', env: 'prod' });
const others = Array.from({ length: 58 }, (_, i) =>
  spec(
    `Demo/${i % 2 ? 'disk' : 'memory'}/web-${i}`,
    i % 2 ? 'disk_percent' : 'memory_percent',
    `web-${String(i).padStart(2, '0')} ${i % 2 ? 'disk' : 'memory'}`,
    { host: `web-${i}`, env: i % 3 ? 'prod' : 'staging' },
  ),
);
const series = [known, fresh, ...others];

/** A deterministic wiggle: no two runs differ. */
const wiggle = (i: number) => Math.sin(i * 1.7) * 2 + Math.sin(i * 0.31) * 3;

function knownPoints(): MetricPoint[] {
  const out: MetricPoint[] = [];
  // Hourly for 45 days back (what a 60-day range shows), then every minute for the last 3 days.
  for (let ts = NOW - 45 * DAY; ts < NOW - 3 * DAY; ts += HOUR) out.push({ series: known.id, ts, value: 40 });
  for (let ts = NOW - 3 * DAY, i = 0; ts <= NOW; ts += MIN, i++) {
    out.push({ series: known.id, ts, value: ts === SPIKE ? 95 : 40 + wiggle(i) });
  }
  return out;
}

let db: TestDynamo;
let dist: string;
let browser: Browser;
let server: Awaited<ReturnType<typeof startHttpServer>>;
let page: Page;
let points: MetricPoint[];
let spikeExplanation = '';
let limitedTs = 0;
const recentBands = new MemoryRecentBandStore();
const recordedTs = new Set<number>();

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), 'ds-insight-'));
  mkdirSync(SHOTS, { recursive: true });
  const [dynamo, , chromium] = await Promise.all([
    startDynalite(),
    buildDashboard({ outDir: dist }),
    launchChromium(),
  ]);
  db = dynamo;
  browser = chromium;
  const store = new MemoryMetricStore();
  points = knownPoints();
  await store.putPoints(points);
  await store.putPoints(
    Array.from({ length: 20 }, (_, i) => ({
      series: fresh.id,
      ts: NEW_FIRST + i * MIN,
      value: 30 + wiggle(i),
    })),
  );
  for (const [k, s] of others.entries()) {
    await store.putPoints(
      Array.from({ length: 90 }, (_, i) => ({
        series: s.id,
        ts: NOW - (89 - i) * MIN,
        // Distinct levels a % metric can take (its bounds are 0–100).
        value: 30 + (k % 50) + wiggle(i),
      })),
    );
  }
  // The anomalies detect would have recorded for the known series: the production detector over its points.
  const anomalies = evaluateSeries(known, points, NOW - 3 * DAY, NOW, config.detection);
  spikeExplanation = anomalies.find((a) => a.ts === SPIKE)?.explanation ?? '';
  for (const a of anomalies) recordedTs.add(a.ts);
  const timeline = readStores(db);
  await timeline.timeline.record(anomalies, Date.now());
  // Alerting's outcome for two of them: the spike paged; another anomaly was held back by the rate limit.
  limitedTs = anomalies.find((a) => a.ts !== SPIKE)?.ts ?? 0;
  await timeline.timeline.setAlertStates(
    [
      { series: known.id, ts: SPIKE, state: 'sent', alertId: `cpu_percent-above-0123456789abcdef-${SPIKE}` },
      ...(limitedTs
        ? [{ series: known.id, ts: limitedTs, state: 'rate-limited' as const, reason: 'budget' }]
        : []),
    ],
    Date.now(),
  );
  const log = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };
  const alerts = new DynamoAlertStore({ client: db.doc, tableName: db.tables.control });
  // The band detect kept in its last cycles: the production detector's range at each point of the last
  // hour, judged in one stream (test/integration/recent-band.test.ts shows the cycle keeps exactly that).
  const kept = new Map(
    await Promise.all(
      series.map(async (s) => {
        const stored = await store.queryRange(s.id, NOW - 4 * DAY, NOW);
        return [
          s.id,
          evaluateSeriesResumable(s, stored, NOW - HOUR + 1, NOW, config.detection).band,
        ] as const;
      }),
    ),
  );
  await recentBands.save(WHOLE_FLEET, mergeRecentBands(undefined, kept, new Set(kept.keys()), NOW));
  // The page's RESOLVED notice went out 25 minutes after the spike.
  await alerts.putPublish(
    {
      key: `resolved#cpu_percent-above-0123456789abcdef-${SPIKE}`,
      status: 'published',
      tries: 1,
      unknowns: 0,
      members: [],
      at: SPIKE + 25 * MIN,
    },
    0,
  );
  server = await startHttpServer(0, {
    siteDir: dist,
    series,
    store,
    anomalies: new MemoryAnomalyStore(),
    clock: { now: () => Date.now() },
    alerts,
    publisher: { list: () => [] },
    api: createApiRouter({
      config,
      series,
      store,
      feedback: new DynamoFeedbackStore({ client: db.doc, tableName: db.tables.anomalies }),
      thresholds: new DynamoThresholdStore({ client: db.doc, tableName: db.tables.control }),
      alerts,
      ...timeline,
      keptBands: shardBandReader(recentBands, [WHOLE_FLEET]),
      clock: { now: () => Date.now() },
      log,
      authenticate: cognitoClaims(),
    }),
    auth: { mode: 'none', user: 'local:e2e' },
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, timezoneId: 'UTC' });
  page = await context.newPage();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await db?.close();
  if (dist) rmSync(dist, { recursive: true, force: true });
});

const api = async <T>(path: string): Promise<T> =>
  (await (await fetch(new URL(path, server.url))).json()) as T;

describe('dashboard insight (issue 16)', () => {
  it('shows 60 tiles without scrolling at 1400×900, a new series learning until its warm-up ends', async () => {
    // Prepare / Act
    const problems = watchPage(page);
    await page.goto(server.url);
    await waitForView(page, 'health', 30_000);

    // Assess: every tile inside the viewport
    const boxes = await page.$$eval('.tile', (tiles) => tiles.map((t) => t.getBoundingClientRect().bottom));
    expect(boxes).toHaveLength(60);
    expect(Math.max(...boxes)).toBeLessThanOrEqual(900);
    const tile = page.locator(`.tile[data-series="${fresh.id}"]`);
    expect(await tile.getAttribute('data-state')).toBe('learning');
    const until = learningUntil(NEW_FIRST, 60_000);
    expect((await tile.locator('.tile-state').textContent())?.trim()).toBe(
      `Learning until ${time(until, Date.now(), 'UTC')}`,
    );
    await page.screenshot({ path: join(SHOTS, 'insight-health-1400x900.png') });

    // Filter by state, then expand the explanation
    await page.selectOption('#health-state', 'learning');
    expect(await page.$$eval('.tile', (t) => t.length)).toBe(1);
    await tile.locator('.tile-toggle').click();
    expect(await tile.locator('.tile-more').textContent()).toContain('learning');
    await page.selectOption('#health-state', '');
    expect(problems.errors).toEqual([]);
  });

  it("draws each tile's sparkline over the band detect kept; a learning series has none yet", async () => {
    // Act
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/health'));
    await page.goto(server.url);
    const health = (await (await answer).json()) as HealthResponse;
    await waitForView(page, 'health', 30_000);

    // Assess: the API serves the kept band; a point outside it is one detect recorded as an anomaly
    const tile = health.series.find((s) => s.id === known.id)!;
    expect(tile.sparklineBand.length).toBeGreaterThan(50);
    const outside = tile.sparkline
      .filter((p) => {
        const b = tile.sparklineBand.find((x) => x.ts === p.ts);
        return b !== undefined && (p.value < b.low || p.value > b.high);
      })
      .map((p) => p.ts);
    expect(outside.filter((ts) => !recordedTs.has(ts))).toEqual([]);
    expect(outside.length).toBeLessThan(tile.sparkline.length / 10);
    expect(health.series.find((s) => s.id === fresh.id)!.sparklineBand).toEqual([]);
    // …and the tile draws it on the line's scale, behind the line; the learning tile draws none
    const drawn = await page.$$eval(`.tile[data-series="${known.id}"] polygon.spark-band`, (ps) =>
      ps.map((p) => p.getAttribute('points')),
    );
    expect(drawn).toEqual(sparkGeometry(tile.sparkline, tile.sparklineBand, 120, 32).band);
    expect(drawn).toHaveLength(1);
    expect(await page.$$(`.tile[data-series="${fresh.id}"] polygon.spark-band`)).toHaveLength(0);
    await page
      .locator(`.tile[data-series="${known.id}"]`)
      .screenshot({ path: join(SHOTS, 'insight-tile-band.png') });
  });

  it("draws the expected band of a known series: the production detector's z-score range at its anomaly", async () => {
    // Act: the link the timeline and the alerts use
    const answer = page.waitForResponse((r) => r.url().includes('/points?') && r.url().includes('band=true'));
    await page.goto(`${server.url}#/anomalies?series=${encodeURIComponent(known.id)}&at=${SPIKE}`);
    const from = Number(new URL((await answer).url()).searchParams.get('from'));
    await waitForView(page, 'anomalies', 30_000);
    // The line is drawn first, then again with the band.
    await page.waitForSelector('.chart[data-band]:not([data-band="loading"])', { timeout: 60_000 });
    await page.waitForSelector('.chart-tip:not([hidden]) [data-tip="expected"]');

    // Prepare the expectation independently of the API: the production detector over the stored
    // points from where the server starts reading (its memory and seasonal look-back before the chart)
    const readFrom = from - bandLookbackMs(config.detection, 60_000);
    let expected: { low: number; high: number } | undefined;
    scanSeries(
      points.filter((p) => p.ts >= readFrom),
      SPIKE,
      SPIKE,
      config.detection,
      1,
      60_000,
      (p, v) => {
        const z = v.results.find((r) => r.method === 'zscore')!;
        if (p.ts === SPIKE) expected = { low: z.expectedLow, high: z.expectedHigh };
      },
      { semantics: semanticsOf(known) },
    );
    expect(expected).toBeDefined();
    expect(spikeExplanation).not.toBe('');

    // Assess: the hover at the linked anomaly says value, expected range and explanation
    const tipText = async (sel: string) => (await page.textContent(`.chart-tip ${sel}`))?.trim();
    expect(await tipText('[data-tip="expected"]')).toBe(
      `expected ${num(expected!.low)} % – ${num(expected!.high)} %`,
    );
    expect(await tipText('[data-tip="value"]')).toBe('value 95 %');
    expect(await tipText('[data-tip="anomaly"]')).toContain(spikeExplanation);
    expect(Number(await page.getAttribute('.chart', 'data-band'))).toBeGreaterThan(300);
    await page.screenshot({ path: join(SHOTS, 'insight-band.png') });
  });

  it('shows a 60-day range: the API serves it downsampled, with the band, from the oldest stored point', async () => {
    // Act
    const answer = page.waitForResponse((r) => r.url().includes('/points?') && r.url().includes('band=true'));
    await page.goto(`${server.url}#/anomalies?series=${encodeURIComponent(known.id)}&range=60d`);
    const res = await answer;
    await page.waitForSelector('.chart canvas');

    // Assess
    expect(res.status()).toBe(200);
    const body = (await res.json()) as PointsResponse;
    expect(body.to - body.from).toBe(60 * DAY);
    expect(body.downsampled).toBe(true);
    expect(body.points[0]!.ts).toBeLessThanOrEqual(NOW - 44 * DAY);
    expect(body.band!.length).toBeGreaterThan(0);
    expect(await page.$eval('#f-range', (s) => (s as HTMLSelectElement).value)).toBe('60d');
    await page.screenshot({ path: join(SHOTS, 'insight-60-days.png') });
  });

  it('previews an adjustment over 30 days, applies it, and reverts it from the history', async () => {
    // Prepare
    await page.goto(`${server.url}#/settings`);
    await waitForView(page, 'settings', 30_000);
    const direct = await api<PreviewResponse>('/api/thresholds/cpu_percent/preview?adjustment=0.2');

    // Act: preview
    await page.selectOption('#wi-metric', 'cpu_percent');
    await page.fill('#wi-adjustment', '0.2');
    await page.click('#wi-preview');
    await page.waitForSelector('.what-if-table');

    // Assess: the numbers the API gives for the same question, and a bar per day
    const cell = (row: string, side: string) =>
      page.textContent(`.what-if-table tr[data-row="${row}"] td[data-side="${side}"]`);
    expect(await cell('Pages (alert messages)', 'current')).toBe(String(direct.current.pages));
    expect(await cell('Pages (alert messages)', 'proposed')).toBe(String(direct.proposed.pages));
    expect(await cell('Anomalies recorded', 'current')).toBe(String(direct.current.anomalies));
    expect(await page.$$eval('.pages-chart rect.bar-current', (r) => r.length)).toBe(direct.daily.length);
    await page.screenshot({ path: join(SHOTS, 'insight-what-if.png') });

    // Act: apply
    await page.fill('#wi-reason', 'e2e: quieter');
    await page.click('#wi-apply');
    await page.waitForSelector('text=Applied cpu_percent: 0% → +20%');
    expect((await api<{ adjustment: number }>('/api/thresholds/cpu_percent')).adjustment).toBe(0.2);

    // Act: revert the change just made, from the history
    const row = page.locator('tr[data-change]', { hasText: 'e2e: quieter' });
    await row.locator('button', { hasText: 'Revert' }).click();
    await row.locator('form button[type="submit"]').click();
    await page.waitForSelector('text=Reverted cpu_percent: +20% → 0%.');

    // Assess
    expect((await api<{ adjustment: number }>('/api/thresholds/cpu_percent')).adjustment).toBe(0);
  });

  it('shows alert quality from the seeded alert states and a confirmed label', async () => {
    // Prepare: staff confirm the paged spike
    const mark = await fetch(new URL('/api/anomalies/feedback', server.url), {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ series: known.id, ts: SPIKE, label: 'confirmed' }),
    });
    expect(mark.status).toBe(200);

    // Act
    await page.goto(`${server.url}#/alerts?range=30d`);
    await waitForView(page, 'alerts', 30_000);

    // Assess: one page carrying one anomaly, confirmed; one held back by the rate limit
    const cell = async (q: string) =>
      (await page.textContent(`tr[data-quality="cpu_percent"] td[data-q="${q}"]`))?.trim();
    expect(await cell('pages')).toBe('1');
    expect(await cell('anomaliesPerPage')).toBe('1.0');
    expect(await cell('precision')).toMatch(/^100(\.0)?\s?%1 confirmed, 0 false$/);
    expect(await cell('rateLimited')).toBe(limitedTs ? '1' : '0');
    // 1 page in 30 days: 0.2 a week.
    expect(await cell('pagesPerWeek')).toBe((7 / 30).toFixed(1));
    expect(await cell('medianToResolved')).toBe('25 min1 of 1 resolved');
    // The cost estimate: the API's, which is the configured fleet at the plan the stack would deploy.
    const plan = planDetect(
      series,
      config.alerts.groupBy,
      cycleTimeoutSeconds(config.schedules.collectEveryMinutes).detect,
    );
    const expected = estimateMonthlyCost({
      series: series.length,
      shards: plan.count,
      memoryMb: plan.memoryMb,
      collectEveryMinutes: config.schedules.collectEveryMinutes,
      checkpointEveryMinutes: config.detection.checkpointEveryMinutes,
      retentionDays: config.retentionDays,
    });
    const { cost } = await api<AlertsResponse>('/api/alerts');
    expect(cost).toMatchObject({ series: series.length, shards: plan.count, memoryMb: plan.memoryMb });
    expect(cost!.perSeriesUsd).toBeCloseTo(expected.perSeriesUsd, 12);
    const cpuSeries = series.filter((s) => s.metric === 'cpu_percent').length;
    expect(await cell('estimatedMonthlyUsd')).toBe(usd(cpuSeries * expected.perSeriesUsd));
    expect((await page.textContent('tr[data-quality="all"] td[data-q="estimatedMonthlyUsd"]'))?.trim()).toBe(
      usd(expected.fleetUsd),
    );
    expect(await page.locator('th', { hasText: 'Est. cost / month' }).count()).toBe(1);
    const caption = (await page.textContent('[data-cost-caption]'))?.trim() ?? '';
    expect(caption).toContain(`≈ ${usd(expected.perSeriesUsd)} per series-month`);
    expect(caption).toContain(
      `list prices checked ${PRICES_CHECKED}, from bench:scale's measured request rates`,
    );
    expect(caption).toContain(`${series.length} series on ${plan.count} shard`);
    // The confirmed alert offers "Undo"; there is nothing else to undo.
    expect(await page.locator('tr[data-alert] button', { hasText: 'Undo' }).count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'insight-alert-quality.png'), fullPage: true });
  });
});
