import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { CloudWatchMetricSource } from '../../shared/adapters/cloudwatch-metric-source';
import { DependencyError } from '../../shared/errors';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';

const cw = mockClient(CloudWatchClient);
const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const MIN = 60_000;

function seriesOf(n: number) {
  return expandSeries(
    parseMonitorConfig({
      series: Array.from({ length: n }, (_, i) => ({
        metric: 'cpu_percent',
        namespace: 'AWS/EC2',
        metricName: 'CPUUtilization',
        dimensions: { InstanceId: `i-${i}` },
        ...(i === 0 ? { scale: 2 } : {}),
      })),
    }),
  );
}

beforeEach(() => cw.reset());

describe('CloudWatchMetricSource', () => {
  it('sends one exact GetMetricData request and maps results, scale and skips', async () => {
    const series = seriesOf(2);
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        {
          Id: 'm0',
          StatusCode: 'Complete',
          Timestamps: [new Date(T0), new Date(T0 + MIN)],
          Values: [10, 20],
        },
        {
          Id: 'm1',
          StatusCode: 'Complete',
          Timestamps: [new Date(T0), new Date(T0 + MIN)],
          Values: [Number.NaN, 5],
        },
      ],
    });
    const source = new CloudWatchMetricSource({ client: new CloudWatchClient({ region: 'us-east-1' }) });
    const r = await source.fetch(series, T0, T0 + 5 * MIN);
    expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
    expect(cw).toHaveReceivedCommandWith(GetMetricDataCommand, {
      StartTime: new Date(T0),
      EndTime: new Date(T0 + 5 * MIN),
      ScanBy: 'TimestampAscending',
      NextToken: undefined,
      MetricDataQueries: [
        {
          Id: 'm0',
          ReturnData: true,
          MetricStat: {
            Metric: {
              Namespace: 'AWS/EC2',
              MetricName: 'CPUUtilization',
              Dimensions: [{ Name: 'InstanceId', Value: 'i-0' }],
            },
            Period: 60,
            Stat: 'Average',
          },
        },
        {
          Id: 'm1',
          ReturnData: true,
          MetricStat: {
            Metric: {
              Namespace: 'AWS/EC2',
              MetricName: 'CPUUtilization',
              Dimensions: [{ Name: 'InstanceId', Value: 'i-1' }],
            },
            Period: 60,
            Stat: 'Average',
          },
        },
      ],
    });
    expect(r.points).toEqual([
      { series: series[0]!.id, ts: T0, value: 20 },
      { series: series[0]!.id, ts: T0 + MIN, value: 40 },
      { series: series[1]!.id, ts: T0 + MIN, value: 5 },
    ]);
    expect(r.skipped).toBe(1);
    expect(r.calls).toBe(1);
  });

  it('follows NextToken and concatenates a query split across pages', async () => {
    const series = seriesOf(1);
    cw.on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [{ Id: 'm0', StatusCode: 'PartialData', Timestamps: [new Date(T0)], Values: [1] }],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'm0', StatusCode: 'Complete', Timestamps: [new Date(T0 + MIN)], Values: [2] },
        ],
      });
    const r = await new CloudWatchMetricSource({
      client: new CloudWatchClient({ region: 'us-east-1' }),
    }).fetch(series, T0, T0 + 2 * MIN);
    expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, 2);
    expect(cw.commandCalls(GetMetricDataCommand)[1]!.args[0].input.NextToken).toBe('page-2');
    expect(r.points.map((p) => p.value)).toEqual([2, 4]);
    expect(r.calls).toBe(2);
  });

  it('batches at most 500 queries per call', async () => {
    // More than one config may hold (1,000 series): the source batches whatever it is given.
    const many = seriesOf(1);
    const series = Array.from({ length: 1201 }, (_, i) => ({
      ...many[0]!,
      id: `AWS/EC2/CPUUtilization/InstanceId=i-${i}/Average/60`,
      dimensions: { InstanceId: `i-${i}` },
    }));
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    await new CloudWatchMetricSource({ client: new CloudWatchClient({ region: 'us-east-1' }) }).fetch(
      series,
      T0,
      T0 + MIN,
    );
    const sizes = cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input.MetricDataQueries?.length);
    expect(sizes).toEqual([500, 500, 201]);
    const third = cw.commandCalls(GetMetricDataCommand)[2]!.args[0].input.MetricDataQueries!;
    expect(third[0]!.MetricStat!.Metric!.Dimensions).toEqual([{ Name: 'InstanceId', Value: 'i-1000' }]);
  });

  it('reports per-series errors as warnings and wraps a throttled call in DependencyError', async () => {
    const series = seriesOf(1);
    cw.on(GetMetricDataCommand).resolvesOnce({
      MetricDataResults: [
        { Id: 'm0', StatusCode: 'Forbidden', Messages: [{ Code: 'Forbidden', Value: 'no access' }] },
      ],
    });
    const source = new CloudWatchMetricSource({
      client: new CloudWatchClient({ region: 'us-east-1', maxAttempts: 1 }),
    });
    const r = await source.fetch(series, T0, T0 + MIN);
    expect(r.warnings).toEqual([`${series[0]!.id}: Forbidden no access`]);
    cw.on(GetMetricDataCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    await expect(source.fetch(series, T0, T0 + MIN)).rejects.toBeInstanceOf(DependencyError);
  });
});
