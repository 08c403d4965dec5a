// Fault tests of collect against dynalite: a point DynamoDB can never store next to good ones,
// throttling that outlives every retry, and the emulator killed (SIGKILL) in the middle of a run.
// Each asserts that every storable point ends up stored and the watermark never skips one.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTable } from '../../shared/adapters/dynamodb-admin';
import { createDocumentClient, localClientConfig } from '../../shared/adapters/dynamodb-client';
import { DynamoControlStore } from '../../shared/adapters/dynamodb-control-store';
import { DynamoMetricStore } from '../../shared/adapters/dynamodb-metric-store';
import { CONTROL_TABLE, POINTS_TABLE } from '../../shared/adapters/table-schemas';
import type { MetricPoint, SeriesSpec } from '../../shared/domain/types';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';
import type { FetchResult, MetricSource } from '../../shared/ports';
import { COLLECT_JOB, collectMetrics } from '../../shared/use-cases/collect-metrics';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';
import { recordingLog } from '../helpers/logs';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 24, 12);
const noSleep = { sleep: async () => undefined };

const config = parseMonitorConfig({
  series: ['a', 'b', 'c'].map((q) => ({
    metric: 'queue_depth',
    namespace: 'AWS/SQS',
    metricName: 'Depth',
    dimensions: { QueueName: q },
  })),
  collection: { settleMinutes: 0, maxLookbackMinutes: 25 },
});
const series = expandSeries(config);

/** One point a minute per series over [start, end), value from `f` (extra points appended). */
class Source implements MetricSource {
  public constructor(
    private readonly f: (s: SeriesSpec, ts: number) => number = () => 5,
    private readonly extra: MetricPoint[] = [],
  ) {}
  public async fetch(specs: readonly SeriesSpec[], start: number, end: number): Promise<FetchResult> {
    const points: MetricPoint[] = [];
    for (const s of specs)
      for (let ts = Math.ceil(start / MIN) * MIN; ts < end; ts += MIN)
        points.push({ series: s.id, ts, value: this.f(s, ts) });
    return { points: [...points, ...this.extra], skipped: 0, calls: 1, warnings: [] };
  }
}

/** A document client that throws `name` for the point updates `fail` picks (by the chunk item's key). */
function failingUpdates(
  doc: DynamoDBDocumentClient,
  name: string,
  fail: (key: Record<string, unknown>) => boolean,
): DynamoDBDocumentClient {
  return {
    send: async (command: unknown) => {
      if (command instanceof UpdateCommand && fail(command.input.Key ?? {}))
        throw Object.assign(new Error(`Injected ${name}`), { name });
      return doc.send(command as never);
    },
  } as unknown as DynamoDBDocumentClient;
}

async function storedCount(store: DynamoMetricStore, ids: readonly string[], now: number): Promise<number> {
  let n = 0;
  for (const id of ids) n += (await store.queryRange(id, 0, Number.MAX_SAFE_INTEGER, now)).length;
  return n;
}

describe('poison points (dynalite)', () => {
  let db: TestDynamo;
  beforeEach(async () => {
    db = await startDynalite();
  });
  afterEach(async () => db.close());

  const good = (n: number): MetricPoint[] =>
    Array.from({ length: n }, (_, i) => ({ series: 'ok', ts: T0 + i * MIN, value: i }));

  it.each([
    ['a 1e200 value', { series: 'ok', ts: T0 - MIN, value: 1e200 }],
    ['a 2,190-byte series id', { series: 'x'.repeat(2190), ts: T0, value: 1 }],
  ])('the store isolates %s from 24 good points in its batch: 24 stored, 1 rejected', async (_, poison) => {
    const log = recordingLog();
    const store = new DynamoMetricStore({
      client: db.doc,
      tableName: db.tables.points,
      backoff: noSleep,
      log,
    });
    const r = await store.putPoints([...good(12), poison, ...good(24).slice(12)]);
    expect(r.written).toBe(24);
    expect(r.failed).toEqual([]);
    expect(r.rejected).toHaveLength(1);
    expect(r.rejected[0]!.point).toEqual(poison);
    expect(r.rejected[0]!.reason).toMatch(/./);
    expect(await storedCount(store, ['ok'], T0)).toBe(24);
    expect(log.lines.some((l) => l.level === 'error' && l.message.startsWith('PointsRejected'))).toBe(true);
  });

  it('collect stores the neighbours of a poison point, counts it, and moves the watermark to the end', async () => {
    const store = new DynamoMetricStore({ client: db.doc, tableName: db.tables.points, backoff: noSleep });
    const control = new DynamoControlStore({ client: db.doc, tableName: db.tables.control });
    // 3 series × 25 minutes; one of series a's points is 1e200, and a far-too-long series id joins in.
    const poisonTs = T0 - 10 * MIN;
    const source = new Source(
      (s, ts) => (s.id === series[0]!.id && ts === poisonTs ? 1e200 : 7),
      [{ series: 'y'.repeat(2190), ts: T0 - 5 * MIN, value: 1 }],
    );
    const log = recordingLog();
    const deps = {
      source,
      store,
      control,
      clock: { now: () => T0 },
      log,
      series,
      collection: config.collection,
    };
    const r = await collectMetrics(deps, { now: T0 });
    expect(r).toMatchObject({ fetched: 76, written: 74, failed: 0, rejected: 2 });
    expect(r.rejections).toHaveLength(2);
    expect(r.rejections.join('\n')).toMatch(/exceeds/);
    expect(r.rejections.join('\n')).toMatch(/2190 bytes/);
    expect(await storedCount(store, [series[0]!.id], T0)).toBe(24);
    expect(
      await storedCount(
        store,
        series.map((s) => s.id),
        T0,
      ),
    ).toBe(74);
    expect(await control.getWatermark(COLLECT_JOB)).toBe(r.end);
    expect(log.lines.some((l) => l.level === 'error' && l.message.startsWith('PointsRejected'))).toBe(true);
  });

  it('throttling that outlives the retries: counted, the watermark held, re-fetched and stored next run', async () => {
    const throttledId = series[1]!.id;
    let throttle = true;
    const client = failingUpdates(
      db.doc,
      'ProvisionedThroughputExceededException',
      (key) => throttle && key.series === throttledId,
    );
    const store = new DynamoMetricStore({
      client,
      tableName: db.tables.points,
      backoff: { attempts: 3, ...noSleep },
      concurrency: 1,
    });
    const control = new DynamoControlStore({ client: db.doc, tableName: db.tables.control });
    const deps = {
      source: new Source(),
      store,
      control,
      clock: { now: () => T0 },
      log: recordingLog(),
      series,
      collection: config.collection,
    };
    // A previous run's watermark: this run's window starts at it minus the overlap.
    await control.advanceWatermark(COLLECT_JOB, T0 - 10 * MIN);
    const first = await collectMetrics(deps, { now: T0 });
    expect(first.failed).toBeGreaterThan(0);
    expect(first.rejected).toBe(0);
    const held = await control.getWatermark(COLLECT_JOB);
    expect(held === undefined || held < first.end).toBe(true);

    throttle = false;
    const second = await collectMetrics(deps, { now: T0 + MIN });
    expect(second.failed).toBe(0);
    const real = new DynamoMetricStore({ client: db.doc, tableName: db.tables.points });
    // Every minute of the first window and the new one, for every series: nothing lost.
    const expected = series.length * ((second.end - first.start) / MIN);
    expect(
      await storedCount(
        real,
        series.map((s) => s.id),
        T0 + MIN,
      ),
    ).toBe(expected);
    expect(await control.getWatermark(COLLECT_JOB)).toBe(second.end);
  });
});

/** A free loopback port (bound and released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** dynalite in its own process, persisted under `path`, so it can be killed with SIGKILL and restarted. */
async function spawnDynalite(path: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('dynalite')({ path: ${JSON.stringify(path)}, createTableMs: 0 })` +
        `.listen(${port}, '127.0.0.1', () => console.log('ready'))`,
    ],
    { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.on('exit', (code) => reject(new Error(`dynalite exited with ${code}`)));
  });
  return child;
}

describe('emulator killed mid-run', () => {
  it('a collect run whose DynamoDB dies half-way loses nothing: the next run stores the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-kill-'));
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    let child = await spawnDynalite(dir, port);
    const raw = new DynamoDBClient(localClientConfig(endpoint));
    const doc = createDocumentClient({ ...localClientConfig(endpoint), maxAttempts: 1 });
    try {
      await ensureTable(raw, POINTS_TABLE, 'points');
      await ensureTable(raw, CONTROL_TABLE, 'control');
      // Kill the emulator (SIGKILL) right after the second point update of the run returns.
      let updates = 0;
      let killed: Promise<unknown> | undefined;
      const client = {
        send: async (command: unknown) => {
          const out = await doc.send(command as never);
          if (command instanceof UpdateCommand && ++updates === 2) {
            const c = child;
            killed = new Promise((resolve) => c.once('exit', resolve));
            c.kill('SIGKILL');
            await killed;
          }
          return out;
        },
      } as unknown as DynamoDBDocumentClient;
      const deps = {
        source: new Source(),
        store: new DynamoMetricStore({
          client,
          tableName: 'points',
          backoff: { attempts: 2, ...noSleep },
          concurrency: 1,
        }),
        control: new DynamoControlStore({ client, tableName: 'control' }),
        clock: { now: () => T0 },
        log: recordingLog(),
        series,
        collection: config.collection,
      };
      // The run either reports failed points or throws on the watermark write: both leave it unmoved.
      const first = await collectMetrics(deps, { now: T0 }).catch((error: unknown) => error);
      expect(killed).toBeDefined();
      if (!(first instanceof Error)) expect((first as { failed: number }).failed).toBeGreaterThan(0);

      child = await spawnDynalite(dir, port);
      const control = new DynamoControlStore({ client: doc, tableName: 'control' });
      const held = await control.getWatermark(COLLECT_JOB);
      expect(held === undefined || held < T0).toBe(true);
      const second = await collectMetrics(
        { ...deps, store: new DynamoMetricStore({ client: doc, tableName: 'points' }), control },
        {
          now: T0,
        },
      );
      expect(second.failed).toBe(0);
      const store = new DynamoMetricStore({ client: doc, tableName: 'points' });
      expect(
        await storedCount(
          store,
          series.map((s) => s.id),
          T0,
        ),
      ).toBe(series.length * 25);
      expect(await control.getWatermark(COLLECT_JOB)).toBe(second.end);
    } finally {
      child.kill('SIGKILL');
      raw.destroy();
      doc.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
