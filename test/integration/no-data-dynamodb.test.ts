// The no-data step against the real DynamoDB stores (dynalite): points read back, the NO_DATA anomaly
// (no expected range: NaN bounds stored as null) recorded once per silence and listed as pending.
import { DynamoAnomalyStore } from '../../shared/adapters/dynamodb-anomaly-store';
import { DynamoMetricStore } from '../../shared/adapters/dynamodb-metric-store';
import { isNoData } from '../../shared/domain/no-data';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';
import { noDataRules, raiseNoDataAlerts } from '../../shared/use-cases/raise-no-data';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';
import { recordingLog } from '../helpers/logs';

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 1, 12);
let db: TestDynamo;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => db.close());

it('records one NO_DATA anomaly per silence in DynamoDB and lists it as pending', async () => {
  // Prepare
  const config = parseMonitorConfig({
    series: [
      {
        metric: 'cpu_percent',
        namespace: 'AWS/EC2',
        metricName: 'CPUUtilization',
        dimensions: { InstanceId: 'i-1' },
        noData: { afterMinutes: 10, severity: 'CRITICAL' },
      },
    ],
  });
  const series = expandSeries(config);
  const points = new DynamoMetricStore({ client: db.doc, tableName: db.tables.points });
  const anomalies = new DynamoAnomalyStore({ client: db.doc, tableName: db.tables.anomalies });
  const id = series[0]!.id;
  await points.putPoints(Array.from({ length: 30 }, (_, i) => ({ series: id, ts: T0 - i * MIN, value: 5 })));
  const deps = { points, anomalies, series, rules: noDataRules(config), log: recordingLog() };
  // Act
  const before = await raiseNoDataAlerts(deps, { now: T0 + 9 * MIN });
  const first = await raiseNoDataAlerts(deps, { now: T0 + 10 * MIN });
  const again = await raiseNoDataAlerts(deps, { now: T0 + 30 * MIN });
  // Assess
  expect(before).toEqual({ raised: [], silent: [], failed: [] });
  expect(first.raised.map((a) => [a.series, a.ts, a.level])).toEqual([[id, T0 + 10 * MIN, 'CRITICAL']]);
  expect(again).toEqual({ raised: [], silent: [id], failed: [] });
  const pending = await anomalies.listPending(T0, T0 + 60 * MIN, T0 + 30 * MIN);
  expect(pending).toHaveLength(1);
  expect(isNoData(pending[0]!)).toBe(true);
  expect(pending[0]).toMatchObject({
    value: 10,
    unit: 'min',
    expectedLow: Number.NaN,
    expectedHigh: Number.NaN,
  });
});
