// (adapter) --> MetricSource port: CloudWatch GetMetricData, ≤500 queries per call, NextToken pages.
import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import type { MetricPoint, SeriesSpec } from '../domain/types';
import { DependencyError } from '../errors';
import type { FetchResult, MetricSource } from '../ports';

/** GetMetricData accepts at most 500 queries per request. */
export const MAX_QUERIES_PER_CALL = 500;

/** Settings of the CloudWatch source. */
export interface CloudWatchMetricSourceOptions {
  readonly client: CloudWatchClient;
  /** Queries per call. @default 500 */
  readonly batchSize?: number;
}

/** Build the GetMetricData queries for a batch of series; ids are `m<index>` (must match ^[a-z]…). */
export function buildQueries(series: readonly SeriesSpec[]): MetricDataQuery[] {
  return series.map((s, i) => ({
    Id: `m${i}`,
    ReturnData: true,
    MetricStat: {
      Metric: {
        Namespace: s.namespace,
        MetricName: s.metricName,
        Dimensions: Object.entries(s.dimensions)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([Name, Value]) => ({ Name, Value })),
      },
      Period: s.period,
      Stat: s.stat,
    },
  }));
}

/** CloudWatch GetMetricData adapter. */
export class CloudWatchMetricSource implements MetricSource {
  public constructor(private readonly options: CloudWatchMetricSourceOptions) {}

  /**
   * Fetch [start, end) of every series. Results of one query may be split across pages; they are
   * concatenated. Non-finite values are skipped and counted. Errors after the SDK's retries (e.g.
   * throttling) throw DependencyError so the invocation fails and is retried as a whole — nothing is
   * half-written because point writes are idempotent.
   */
  public async fetch(series: readonly SeriesSpec[], start: number, end: number): Promise<FetchResult> {
    const size = Math.min(this.options.batchSize ?? MAX_QUERIES_PER_CALL, MAX_QUERIES_PER_CALL);
    const points: MetricPoint[] = [];
    const warnings: string[] = [];
    let skipped = 0;
    let calls = 0;
    for (let offset = 0; offset < series.length; offset += size) {
      const batch = series.slice(offset, offset + size);
      const queries = buildQueries(batch);
      let nextToken: string | undefined;
      do {
        let results: MetricDataResult[];
        try {
          const out = await this.options.client.send(
            new GetMetricDataCommand({
              MetricDataQueries: queries,
              StartTime: new Date(start),
              EndTime: new Date(end),
              ScanBy: 'TimestampAscending',
              NextToken: nextToken,
            }),
          );
          calls++;
          results = out.MetricDataResults ?? [];
          nextToken = out.NextToken;
          for (const message of out.Messages ?? []) warnings.push(`${message.Code}: ${message.Value}`);
        } catch (cause) {
          throw new DependencyError('CloudWatch GetMetricData failed', { cause });
        }
        for (const result of results) {
          const index = Number((result.Id ?? '').slice(1));
          const spec = batch[index];
          if (!spec) continue;
          if (result.StatusCode === 'InternalError' || result.StatusCode === 'Forbidden') {
            warnings.push(
              `${spec.id}: ${result.StatusCode}${result.Messages?.[0]?.Value ? ` ${result.Messages[0].Value}` : ''}`,
            );
          }
          const timestamps = result.Timestamps ?? [];
          const values = result.Values ?? [];
          for (let i = 0; i < timestamps.length; i++) {
            const ts = timestamps[i]?.getTime();
            const raw = values[i];
            if (ts === undefined || raw === undefined || !Number.isFinite(raw) || !Number.isFinite(ts)) {
              skipped++;
              continue;
            }
            points.push({ series: spec.id, ts, value: raw * spec.scale });
          }
        }
      } while (nextToken);
    }
    return { points, skipped, calls, warnings };
  }
}
