import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoAlertStore, MaintenanceWindowSchema } from '../../shared/adapters/dynamodb-alert-store';
import { DynamoAnomalyStore } from '../../shared/adapters/dynamodb-anomaly-store';
import { DynamoRateLimiter } from '../../shared/adapters/dynamodb-rate-limiter';
import { decide, runDetectors } from '../../shared/domain/anomaly';
import { DEFAULT_BUCKET } from '../../shared/domain/token-bucket';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';
import type { AlertMessage } from '../../shared/ports';
import { publishAlerts } from '../../shared/use-cases/publish-alerts';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';
import { recordingLog } from '../helpers/logs';
import { NOISY } from '../helpers/series';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 24, 12);
let db: TestDynamo;

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => db.close());

describe('DynamoAlertStore (dynalite)', () => {
  it('lists the RESOLVED notices published in a range, kept as long as the data they describe', async () => {
    // Prepare
    const store = new DynamoAlertStore({ client: db.doc, tableName: db.tables.control, retentionDays: 60 });
    const record = (key: string, at: number, status: 'published' | 'attempting' = 'published') =>
      store.putPublish({ key, status, tries: 1, unknowns: 0, members: [], at }, 0);
    await record('resolved#r-early', T0 - 2 * MIN);
    await record('resolved#r-in', T0 + 20 * MIN);
    await record('resolved#r-unsure', T0 + 21 * MIN, 'attempting');
    await record('alert#a-in', T0 + 5 * MIN);
    // Act
    const listed = await store.listResolved(T0, T0 + 60 * MIN);
    // Assess: only published RESOLVED records in range; TTL 60 days for them, 14 for the others
    expect(listed).toEqual([{ alertId: 'r-in', at: T0 + 20 * MIN }]);
    const items = (await db.doc.send(new ScanCommand({ TableName: db.tables.control }))).Items ?? [];
    const ttl = (sk: string) => items.find((i) => i.pk === 'publish' && i.sk === sk)?.expiresAt;
    expect(ttl('resolved#r-in')).toBe(Math.floor((T0 + 20 * MIN) / 1000) + 60 * 86_400);
    expect(ttl('alert#a-in')).toBe(Math.floor((T0 + 5 * MIN) / 1000) + 14 * 86_400);
  });

  it('keeps open alerts, a digest and maintenance windows', async () => {
    const store = new DynamoAlertStore({ client: db.doc, tableName: db.tables.control });
    const alert = {
      dedupKey: 'k1',
      alertId: 'a1',
      series: 's',
      label: 'l',
      metric: 'm',
      openedAt: T0,
      lastSeenAt: T0,
      level: 'CRITICAL' as const,
    };
    await store.putOpen(alert);
    await store.touchOpen('k1', T0 + MIN);
    await store.touchOpen('k1', T0 - MIN);
    await store.touchOpen('missing', T0);
    expect(await store.listOpen()).toEqual([{ ...alert, lastSeenAt: T0 + MIN }]);
    await store.deleteOpen('k1');
    expect(await store.listOpen()).toEqual([]);

    const digest = {
      count: 3,
      since: T0,
      worstLevel: 'WARNING' as const,
      topSeries: [{ label: 'a', count: 3 }],
    };
    await store.setDigest('noc', digest);
    expect(await store.getDigest('noc')).toEqual(digest);
    await store.setDigest('noc', undefined);
    expect(await store.getDigest('noc')).toBeUndefined();

    const window = MaintenanceWindowSchema.parse({
      id: 'rds-main-sunday',
      tags: { resource: 'rds-main' },
      schedule: { kind: 'weekly', dayOfWeek: 0, startMinute: 120, durationMinutes: 60 },
      reason: 'patching',
    });
    await store.putWindow(window);
    expect(await store.listWindows()).toEqual([window]);
    expect(await store.deleteWindow('rds-main-sunday')).toBe(true);
    expect(await store.deleteWindow('rds-main-sunday')).toBe(false);
  });

  it('rejects a malformed maintenance window naming the field', () => {
    const r = MaintenanceWindowSchema.safeParse({
      id: 'x',
      series: 's',
      schedule: { kind: 'weekly', dayOfWeek: 9, startMinute: 0, durationMinutes: 60 },
    });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['schedule', 'dayOfWeek']);
    const none = MaintenanceWindowSchema.safeParse({ id: 'x', schedule: { kind: 'once', start: 2, end: 1 } });
    expect(none.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['schedule.end', 'series']);
  });
});

describe('publishAlerts against dynalite', () => {
  it('records states on the anomaly items and lists only pending ones', async () => {
    const config = parseMonitorConfig({
      series: Array.from({ length: 15 }, (_, i) => ({
        metric: 'cpu_percent',
        namespace: 'N',
        metricName: 'M',
        dimensions: { i: `${i}` },
      })),
    });
    const series = expandSeries(config);
    const anomalies = new DynamoAnomalyStore({ client: db.doc, tableName: db.tables.anomalies });
    const fresh = series.map((s) => decide(s, T0, 90, runDetectors(NOISY, 90, config.detection))!);
    const { created } = await anomalies.record(fresh, T0);
    expect(await anomalies.listPending(T0 - MIN, T0, T0)).toHaveLength(15);
    const sent: AlertMessage[] = [];
    const r = await publishAlerts(
      {
        anomalies,
        alerts: new DynamoAlertStore({ client: db.doc, tableName: db.tables.control }),
        limiter: new DynamoRateLimiter({
          client: db.doc,
          tableName: db.tables.control,
          config: DEFAULT_BUCKET,
        }),
        publisher: {
          publish: async (m) => {
            sent.push(m);
            return { messageId: `m${sent.length}` };
          },
        },
        deadLetter: { send: async () => undefined },
        clock: { now: () => T0 },
        log: recordingLog(),
        series,
        policy: config.alerts,
      },
      { fresh: created, now: T0 },
    );
    expect(r).toMatchObject({
      messagesSent: 10,
      heldBack: 5,
      states: { sent: 10, 'rate-limited': 5 },
      stateWriteFailures: 0,
    });
    expect(await anomalies.listPending(T0 - MIN, T0, T0)).toEqual([]);
    const items = await anomalies.listRange(T0 - MIN, T0, T0);
    expect(items).toHaveLength(15);
  });
});
