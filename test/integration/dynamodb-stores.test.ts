import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { anomalySortKey, DynamoAnomalyStore } from '../../shared/adapters/dynamodb-anomaly-store';
import { DynamoControlStore } from '../../shared/adapters/dynamodb-control-store';
import { DynamoMetricStore } from '../../shared/adapters/dynamodb-metric-store';
import { decide, runDetectors } from '../../shared/domain/anomaly';
import type { MetricPoint } from '../../shared/domain/types';
import { parseMonitorConfig } from '../../shared/monitor-config';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';
import { recordingLog } from '../helpers/logs';
import { NOISY } from '../helpers/series';

const T0 = Date.UTC(2026, 10, 24, 23, 50, 0);
const MIN = 60_000;
let db: TestDynamo;

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => db.close());

const points = (series: string, n: number, start = T0): MetricPoint[] =>
  Array.from({ length: n }, (_, i) => ({ series, ts: start + i * MIN, value: i }));

/**
 * A client in front of dynalite that, for the first `partialCalls` BatchWrites, writes only the first
 * half of the request and returns the rest as UnprocessedItems, as DynamoDB does under throttling.
 */
function throttlingClient(real: DynamoDBDocumentClient, partialCalls: number): DynamoDBDocumentClient {
  let calls = 0;
  return {
    send: async (command: unknown) => {
      if (command instanceof BatchWriteCommand && calls++ < partialCalls) {
        const [table, requests] = Object.entries(command.input.RequestItems ?? {})[0]!;
        const half = Math.ceil(requests.length / 2);
        await real.send(new BatchWriteCommand({ RequestItems: { [table]: requests.slice(0, half) } }));
        return { UnprocessedItems: requests.length > half ? { [table]: requests.slice(half) } : {} };
      }
      return real.send(command as never);
    },
  } as unknown as DynamoDBDocumentClient;
}

describe('DynamoMetricStore (dynalite)', () => {
  it('writes points with a 30-day expiresAt and reads a range back in order', async () => {
    const store = new DynamoMetricStore({ client: db.doc, tableName: db.tables.points });
    const r = await store.putPoints(points('s/range', 60));
    expect(r).toEqual({ written: 60, failed: [], rejected: [] });
    const back = await store.queryRange('s/range', T0 + 10 * MIN, T0 + 19 * MIN, T0);
    expect(back.map((p) => p.value)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    const item = await db.doc.send(
      new GetCommand({ TableName: db.tables.points, Key: { series: 's/range', ts: T0 } }),
    );
    expect(item.Item?.expiresAt).toBe(T0 / 1000 + 30 * 86_400);
  });

  it('is idempotent: the same points twice (and duplicates within one call) are one item each', async () => {
    const store = new DynamoMetricStore({ client: db.doc, tableName: db.tables.points });
    const batch = points('s/idem', 30);
    await store.putPoints([...batch, ...batch]);
    await store.putPoints(batch);
    const scan = await db.doc.send(
      new ScanCommand({
        TableName: db.tables.points,
        FilterExpression: 'series = :s',
        ExpressionAttributeValues: { ':s': 's/idem' },
      }),
    );
    expect(scan.Count).toBe(30);
  });

  it('filters expired items (TTL deletion is lazy)', async () => {
    const store = new DynamoMetricStore({ client: db.doc, tableName: db.tables.points, retentionDays: 1 });
    await store.putPoints(points('s/ttl', 3));
    expect(await store.queryRange('s/ttl', 0, T0 + 10 * MIN, T0)).toHaveLength(3);
    expect(await store.queryRange('s/ttl', 0, T0 + 10 * MIN, T0 + 2 * 86_400_000)).toHaveLength(0);
  });

  it('retries UnprocessedItems with backoff until everything is written', async () => {
    const sleeps: number[] = [];
    const store = new DynamoMetricStore({
      client: throttlingClient(db.doc, 3),
      tableName: db.tables.points,
      backoff: { sleep: async (ms) => void sleeps.push(ms), random: () => 1 },
      concurrency: 1,
    });
    const r = await store.putPoints(points('s/unprocessed', 25));
    expect(r).toEqual({ written: 25, failed: [], rejected: [] });
    expect(sleeps).toEqual([50, 100, 200]);
    const real = new DynamoMetricStore({ client: db.doc, tableName: db.tables.points });
    expect(await real.queryRange('s/unprocessed', 0, Number.MAX_SAFE_INTEGER, T0)).toHaveLength(25);
  });

  it('returns what is still unprocessed after the last attempt, and logs it', async () => {
    const log = recordingLog();
    const store = new DynamoMetricStore({
      client: throttlingClient(db.doc, 1_000),
      tableName: db.tables.points,
      backoff: { attempts: 3, sleep: async () => undefined },
      log,
    });
    const r = await store.putPoints(points('s/failing', 8));
    // 8 → 4 written, 4 → 2, 2 → 1: one point left after three attempts.
    expect(r.written).toBe(7);
    expect(r.failed).toEqual([{ series: 's/failing', ts: T0 + 7 * MIN, value: 7 }]);
    expect(log.lines).toEqual([
      expect.objectContaining({ level: 'warn', message: 'Points not written after retries' }),
    ]);
  });
});

describe('DynamoAnomalyStore (dynalite)', () => {
  const detection = parseMonitorConfig({
    series: [{ metric: 'x', namespace: 'N', metricName: 'M' }],
  }).detection;
  const spec = { id: 'N/M//Average/60', metric: 'x', label: 'x' };
  const anomalyAt = (ts: number, value = 50) =>
    decide(spec, ts, value, runDetectors(NOISY, value, detection))!;

  it('records once per (series, ts); a second record is a no-op that keeps the first item', async () => {
    const store = new DynamoAnomalyStore({ client: db.doc, tableName: db.tables.anomalies });
    const a = anomalyAt(T0);
    const first = await store.record([a], T0);
    expect(first.created).toHaveLength(1);
    const second = await store.record([{ ...a, value: 999 }], T0 + MIN);
    expect(second).toEqual({ created: [], existing: 1, failed: [] });
    const listed = await store.listRange(T0 - MIN, T0 + MIN, T0);
    expect(listed).toHaveLength(1);
    expect(listed[0]!.value).toBe(50);
    expect(listed[0]!.explanation).toBe(a.explanation);
  });

  it('lists across a UTC day boundary, oldest first, and skips malformed items', async () => {
    const log = recordingLog();
    const store = new DynamoAnomalyStore({ client: db.doc, tableName: db.tables.anomalies, log });
    const late = T0 + 20 * MIN; // next UTC day
    await store.record([anomalyAt(late), anomalyAt(T0 + 5 * MIN)], T0);
    await db.doc.send(
      new BatchWriteCommand({
        RequestItems: {
          [db.tables.anomalies]: [
            {
              PutRequest: {
                Item: {
                  day: '2026-11-25',
                  sk: anomalySortKey(T0 + 21 * MIN, 'bad'),
                  series: 'bad',
                  expiresAt: 4e9,
                },
              },
            },
          ],
        },
      }),
    );
    const listed = await store.listRange(T0, T0 + 30 * MIN, T0);
    expect(listed.map((a) => a.ts)).toEqual([T0, T0 + 5 * MIN, late]);
    expect(log.lines.filter((l) => l.message === 'Skipped malformed anomaly item')).toHaveLength(1);
  });
});

describe('DynamoControlStore (dynalite)', () => {
  it('keeps a forward-only watermark, also under concurrent writers', async () => {
    const store = new DynamoControlStore({ client: db.doc, tableName: db.tables.control });
    expect(await store.getWatermark('job-a')).toBeUndefined();
    await Promise.all([5, 3, 9, 1, 7].map((ts) => store.advanceWatermark('job-a', ts)));
    expect(await store.getWatermark('job-a')).toBe(9);
    await store.advanceWatermark('job-a', 2);
    expect(await store.getWatermark('job-a')).toBe(9);
  });
});
