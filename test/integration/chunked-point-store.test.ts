// DynamoMetricStore against dynalite: points stored as per-series 30-minute chunk items. Re-runs,
// late points, chunk boundaries, TTL, the one-item-per-point layout it replaced, poison points,
// throttling, the in-flight bound and the write units a collect-sized write costs.
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  CHUNK_MS,
  DynamoMetricStore,
  MAX_POINTS_PER_UPDATE,
} from '../../shared/adapters/dynamodb-metric-store';
import type { MetricPoint } from '../../shared/domain/types';
import { seriesIdOf } from '../../shared/monitor-config';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';
import { recordingLog } from '../helpers/logs';

const MIN = 60_000;
const DAY_S = 86_400;
/** 23:50 UTC: ten minutes before the chunk boundary at midnight. */
const T0 = Date.UTC(2026, 10, 24, 23, 50);
const MIDNIGHT = Date.UTC(2026, 10, 25);
const noSleep = { sleep: async () => undefined };
let db: TestDynamo;

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => db.close());

/** One point a minute from `start`, `n` of them, value = index + `offset`. */
const minutes = (series: string, n: number, start = T0, offset = 0): MetricPoint[] =>
  Array.from({ length: n }, (_, i) => ({ series, ts: start + i * MIN, value: i + offset }));

/** Every stored item of `series`, as DynamoDB holds it. */
async function itemsOf(series: string): Promise<Record<string, unknown>[]> {
  const out = await db.doc.send(
    new QueryCommand({
      TableName: db.tables.points,
      KeyConditionExpression: 'series = :s',
      ExpressionAttributeValues: { ':s': series },
    }),
  );
  return out.Items ?? [];
}

const pointAttributes = (item: Record<string, unknown>): string[] =>
  Object.keys(item).filter((k) => k.startsWith('o'));

/** Stored points of `series` over all time, unexpired at `now`. */
const readAll = (store: DynamoMetricStore, series: string, now = T0) =>
  store.queryRange(series, 0, Number.MAX_SAFE_INTEGER, now);

/**
 * A client in front of dynalite that records every UpdateItem (its input, the capacity DynamoDB
 * reports, the most in flight at once) and throws the error `fault` names for the updates it picks.
 */
function recordingClient(
  fault: (input: UpdateCommandInput, call: number) => string | undefined = () => undefined,
) {
  const updates: UpdateCommandInput[] = [];
  const capacity: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const client = {
    send: async (command: unknown) => {
      if (!(command instanceof UpdateCommand)) return db.doc.send(command as never);
      updates.push(command.input);
      const name = fault(command.input, updates.length);
      if (name !== undefined) throw Object.assign(new Error(`Injected ${name}`), { name });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        const out = await db.doc.send(
          new UpdateCommand({ ...command.input, ReturnConsumedCapacity: 'TOTAL' }),
        );
        capacity.push(out.ConsumedCapacity?.CapacityUnits ?? Number.NaN);
        return out;
      } finally {
        inFlight--;
      }
    },
  } as unknown as DynamoDBDocumentClient;
  return { client, updates, capacity, maxInFlight: () => maxInFlight };
}

describe('DynamoMetricStore: chunk items (dynalite)', () => {
  it('writes one item per (series, 30-minute chunk) and reads a range back in order', async () => {
    const store = new DynamoMetricStore({ client: db.doc, tableName: db.tables.points });
    const written = minutes('s/range', 60);
    expect(await store.putPoints(written)).toEqual({ written: 60, failed: [], rejected: [] });
    const back = await store.queryRange('s/range', T0 + 10 * MIN, T0 + 19 * MIN, T0);
    expect(back).toEqual(written.slice(10, 20));
    // 23:50 + 60 minutes covers the chunks of 23:30, 00:00 and 00:30.
    const items = await itemsOf('s/range');
    expect(items.map((i) => i.ts)).toEqual([MIDNIGHT - CHUNK_MS, MIDNIGHT, MIDNIGHT + CHUNK_MS]);
    expect(items.map((i) => pointAttributes(i).length)).toEqual([10, 30, 20]);
    expect(items[1]).toMatchObject({ o0: 10, o60000: 11, o1740000: 39 });
  });

  it('expiresAt is the chunk end + the retention, whichever point wrote it', async () => {
    const store = new DynamoMetricStore({ client: db.doc, tableName: db.tables.points, retentionDays: 7 });
    // The last point of the 23:30 chunk first, its first point later: the TTL does not move.
    await store.putPoints([{ series: 's/ttl-end', ts: MIDNIGHT - MIN, value: 1 }]);
    const [first] = await itemsOf('s/ttl-end');
    await store.putPoints([{ series: 's/ttl-end', ts: MIDNIGHT - CHUNK_MS, value: 2 }]);
    const [second] = await itemsOf('s/ttl-end');
    expect(first!.expiresAt).toBe(MIDNIGHT / 1000 + 7 * DAY_S);
    expect(second!.expiresAt).toBe(MIDNIGHT / 1000 + 7 * DAY_S);
  });

  it('re-runs over an overlap write no duplicate: one item per chunk, one attribute per point', async () => {
    const { client, updates } = recordingClient();
    const store = new DynamoMetricStore({ client, tableName: db.tables.points });
    const hour = minutes('s/rerun', 60, MIDNIGHT);
    // Runs every 5 minutes, each re-writing the 10 minutes before its window (every point 3 times),
    // and one call that holds the same point twice: the last value wins.
    for (let end = 5; end <= 60; end += 5) await store.putPoints(hour.slice(Math.max(0, end - 15), end));
    await store.putPoints([
      { series: 's/rerun', ts: MIDNIGHT + 7 * MIN, value: -1 },
      { series: 's/rerun', ts: MIDNIGHT + 7 * MIN, value: 7 },
    ]);
    const items = await itemsOf('s/rerun');
    expect(items).toHaveLength(2);
    expect(items.map((i) => pointAttributes(i).length)).toEqual([30, 30]);
    expect(await readAll(store, 's/rerun')).toEqual(hour);
    // One update per chunk a call touched: 12 runs, two of them across the boundary at 00:30, plus 1.
    expect(updates).toHaveLength(12 + 2 + 1);
  });

  it('a late point lands in its own old chunk (with that chunk’s TTL) and is read back', async () => {
    const store = new DynamoMetricStore({ client: db.doc, tableName: db.tables.points });
    await store.putPoints(minutes('s/late', 15, MIDNIGHT - CHUNK_MS)); // 23:30–23:44
    await store.putPoints(minutes('s/late', 30, MIDNIGHT)); // 00:00–00:29
    const before = await itemsOf('s/late');
    const late = { series: 's/late', ts: MIDNIGHT - 10 * MIN, value: 99 }; // 23:50, an hour late
    expect(await store.putPoints([late])).toEqual({ written: 1, failed: [], rejected: [] });
    const after = await itemsOf('s/late');
    expect(after).toHaveLength(2);
    expect(after[0]).toEqual({ ...before[0], o1200000: 99 });
    expect(after[1]).toEqual(before[1]);
    expect(await store.queryRange('s/late', late.ts, late.ts, T0)).toEqual([late]);
  });

  it('a read across chunk boundaries returns exactly the points with start <= ts <= end', async () => {
    const store = new DynamoMetricStore({ client: db.doc, tableName: db.tables.points });
    const all = minutes('s/span', 121, MIDNIGHT - 60 * MIN); // 23:00–01:00: five chunks
    await store.putPoints(all);
    const ranges: [number, number][] = [
      [MIDNIGHT - CHUNK_MS, MIDNIGHT + CHUNK_MS], // both ends on a chunk start
      [MIDNIGHT - CHUNK_MS + 1, MIDNIGHT + CHUNK_MS - 1], // just inside them
      [MIDNIGHT - 17 * MIN - 30_000, MIDNIGHT + 41 * MIN + 30_000], // mid-chunk, between points
      [MIDNIGHT + 5 * MIN, MIDNIGHT + 5 * MIN], // one point
      [MIDNIGHT + 5 * MIN + 1, MIDNIGHT + 6 * MIN - 1], // between two points
      [MIDNIGHT - 3 * 60 * MIN, MIDNIGHT + 3 * 60 * MIN], // beyond both ends
      [MIDNIGHT + MIN, MIDNIGHT], // start after end
    ];
    for (const [start, end] of ranges)
      expect({ start, end, points: await store.queryRange('s/span', start, end, T0) }).toEqual({
        start,
        end,
        points: all.filter((p) => p.ts >= start && p.ts <= end),
      });
  });

  it('filters expired chunks (TTL deletion is lazy)', async () => {
    const store = new DynamoMetricStore({ client: db.doc, tableName: db.tables.points, retentionDays: 1 });
    const points = minutes('s/expired', 20); // 23:50–00:09: chunks ending 00:00 and 00:30
    await store.putPoints(points);
    const day = 86_400_000;
    expect(await readAll(store, 's/expired', T0)).toEqual(points);
    expect(await readAll(store, 's/expired', MIDNIGHT + day - 1)).toEqual(points);
    expect(await readAll(store, 's/expired', MIDNIGHT + day)).toEqual(points.slice(10));
    expect(await readAll(store, 's/expired', MIDNIGHT + CHUNK_MS + day)).toEqual([]);
  });

  it('splits a chunk of a 1-second series into updates of at most MAX_POINTS_PER_UPDATE points', async () => {
    const { client, updates } = recordingClient();
    const store = new DynamoMetricStore({ client, tableName: db.tables.points });
    const points = Array.from({ length: CHUNK_MS / 1000 }, (_, i) => ({
      series: 's/1s',
      ts: MIDNIGHT + i * 1000,
      value: i / 7,
    }));
    expect(await store.putPoints(points)).toEqual({ written: points.length, failed: [], rejected: [] });
    expect(updates).toHaveLength(Math.ceil(points.length / MAX_POINTS_PER_UPDATE));
    expect(await itemsOf('s/1s')).toHaveLength(1);
    expect(await readAll(store, 's/1s')).toEqual(points);
  });
});

describe('DynamoMetricStore: items of the one-item-per-point layout (dynalite)', () => {
  it('reads them until they expire, once each, the chunk value winning for a point in both', async () => {
    const legacy = (ts: number, v: number, expiresAt = ts / 1000 + 30 * DAY_S) => ({
      PutRequest: { Item: { series: 's/legacy', ts, v, expiresAt } },
    });
    await db.doc.send(
      new BatchWriteCommand({
        RequestItems: {
          [db.tables.points]: [
            legacy(T0 - 11 * MIN, -1, T0 / 1000 - 1), // 23:39, already expired
            ...Array.from({ length: 10 }, (_, i) => legacy(T0 - 10 * MIN + i * MIN, 1000 + i)), // 23:40–23:49
            legacy(MIDNIGHT, 2000), // the same key as the 00:00 chunk item
          ],
        },
      }),
    );
    const store = new DynamoMetricStore({ client: db.doc, tableName: db.tables.points });
    expect(await readAll(store, 's/legacy')).toEqual([
      ...Array.from({ length: 10 }, (_, i) => ({
        series: 's/legacy',
        ts: T0 - 10 * MIN + i * MIN,
        value: 1000 + i,
      })),
      { series: 's/legacy', ts: MIDNIGHT, value: 2000 },
    ]);
    // The upgraded stack's first run re-writes 23:45–00:05 as chunks.
    const rewritten = minutes('s/legacy', 21, T0 - 5 * MIN, 500);
    await store.putPoints(rewritten);
    expect(await store.queryRange('s/legacy', MIDNIGHT - CHUNK_MS, MIDNIGHT + CHUNK_MS, T0)).toEqual([
      ...Array.from({ length: 5 }, (_, i) => ({
        series: 's/legacy',
        ts: T0 - 10 * MIN + i * MIN,
        value: 1000 + i,
      })),
      ...rewritten,
    ]);
    expect(await store.queryRange('s/legacy', T0 - 7 * MIN, T0 - 7 * MIN, T0)).toEqual([
      { series: 's/legacy', ts: T0 - 7 * MIN, value: 1003 },
    ]);
  });
});

describe('DynamoMetricStore: faults (dynalite)', () => {
  it('rejects bad values, isolating one DynamoDB refuses from its chunk; the neighbours land', async () => {
    const log = recordingLog();
    // 4.25 stands for a point DynamoDB refuses as invalid (the checks before writing let none through).
    const { client, updates } = recordingClient((input) =>
      Object.values(input.ExpressionAttributeValues ?? {}).includes(4.25) ? 'ValidationException' : undefined,
    );
    const store = new DynamoMetricStore({ client, tableName: db.tables.points, backoff: noSleep, log });
    const good = minutes('s/poison', 30, MIDNIGHT);
    const tooBig = { series: 's/poison', ts: MIDNIGHT + 10 * MIN, value: 1e200 };
    const refused = { series: 's/poison', ts: MIDNIGHT + 20 * MIN, value: 4.25 };
    const neighbours = good.filter((p) => p.ts !== tooBig.ts && p.ts !== refused.ts);
    const r = await store.putPoints([...neighbours, tooBig, refused]);
    expect(r.written).toBe(28);
    expect(r.failed).toEqual([]);
    expect(r.rejected).toEqual([
      { point: tooBig, reason: expect.stringMatching(/exceeds/) },
      { point: refused, reason: 'Injected ValidationException' },
    ]);
    expect(await readAll(store, 's/poison')).toEqual(neighbours);
    // The refused chunk update, then its 29 points one by one.
    expect(updates).toHaveLength(1 + 29);
    expect(log.lines.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([
      'PointsRejected: values out of the storable range were not written',
      'PointsRejected: DynamoDB refused points as invalid; the rest were written',
    ]);
  });

  it('retries a throttled update with backoff until it is written', async () => {
    const sleeps: number[] = [];
    const { client, updates } = recordingClient((_, call) =>
      call <= 3 ? 'ProvisionedThroughputExceededException' : undefined,
    );
    const store = new DynamoMetricStore({
      client,
      tableName: db.tables.points,
      backoff: { sleep: async (ms) => void sleeps.push(ms), random: () => 1 },
      concurrency: 1,
    });
    const points = minutes('s/throttled-once', 10, MIDNIGHT);
    expect(await store.putPoints(points)).toEqual({ written: 10, failed: [], rejected: [] });
    expect(sleeps).toEqual([50, 100, 200]);
    expect(updates).toHaveLength(4);
    expect(await readAll(store, 's/throttled-once')).toEqual(points);
  });

  it('returns the points of a chunk still throttled after the last attempt in `failed`, and logs it', async () => {
    const log = recordingLog();
    const { client } = recordingClient((input) =>
      input.Key?.ts === MIDNIGHT ? 'ProvisionedThroughputExceededException' : undefined,
    );
    const store = new DynamoMetricStore({
      client,
      tableName: db.tables.points,
      backoff: { attempts: 3, ...noSleep },
      log,
    });
    const points = minutes('s/throttled', 20); // 23:50–00:09
    const r = await store.putPoints(points);
    expect(r).toEqual({ written: 10, failed: points.slice(10), rejected: [] });
    expect(log.lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: 'Points not written after retries',
        extra: expect.objectContaining({
          count: 10,
          error: 'Injected ProvisionedThroughputExceededException',
        }),
      }),
    ]);
    const real = new DynamoMetricStore({ client: db.doc, tableName: db.tables.points });
    expect(await readAll(real, 's/throttled')).toEqual(points.slice(0, 10));
    // The next run writes them: nothing was dropped.
    await real.putPoints(r.failed);
    expect(await readAll(real, 's/throttled')).toEqual(points);
  });

  it('keeps at most `concurrency` updates in flight', async () => {
    const { client, updates, maxInFlight } = recordingClient();
    const store = new DynamoMetricStore({ client, tableName: db.tables.points, concurrency: 2 });
    const points = Array.from({ length: 8 }, (_, s) => minutes(`s/fan-${s}`, 5, MIDNIGHT)).flat();
    expect((await store.putPoints(points)).written).toBe(40);
    expect(updates).toHaveLength(8);
    expect(maxInFlight()).toBeLessThanOrEqual(2);
  });
});

describe('DynamoMetricStore: write cost (dynalite reports ConsumedCapacity by DynamoDB’s size rules)', () => {
  it('an hour of a 1-minute series in 12 collect-sized calls: 12 UpdateItems, 1 WCU each', async () => {
    const { client, updates, capacity } = recordingClient();
    const store = new DynamoMetricStore({ client, tableName: db.tables.points });
    const series = seriesIdOf(
      'AWS/EC2',
      'CPUUtilization',
      { InstanceId: 'i-0123456789abcdef0' },
      'Average',
      60,
    );
    // Full-precision doubles: the largest number attributes a value can give.
    const hour = Array.from({ length: 60 }, (_, i) => ({
      series,
      ts: MIDNIGHT + i * MIN,
      value: 40 + 10 * Math.sin(i / 7) + i / 3,
    }));
    for (let i = 0; i < 60; i += 5) await store.putPoints(hour.slice(i, i + 5));
    expect(updates).toHaveLength(12);
    // A full chunk (30 points) stays under 1 KB: every update is 1 write unit (one item per point: 60).
    expect(capacity).toEqual(Array.from({ length: 12 }, () => 1));
    expect(await readAll(store, series)).toEqual(hour);
  });
});
