import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { anomalySortKey, DynamoAnomalyStore } from '../../shared/adapters/dynamodb-anomaly-store';
import { DynamoControlStore } from '../../shared/adapters/dynamodb-control-store';
import { decide, runDetectors } from '../../shared/domain/anomaly';
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

// DynamoMetricStore (chunked points): test/integration/chunked-point-store.test.ts.

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
