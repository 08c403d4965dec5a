// (adapter) --> FeedbackStore port: feedback labels stored on the anomaly items themselves, set with one
// conditional UpdateItem (the anomaly must exist and be unexpired), and the reads tuning and the what-if
// preview need: a week of anomalies with their alert states, one series' labelled anomalies (bySeries
// index), and the anomalies one alert paged.
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { AlertState } from '../domain/alerting';
import type { AnomalyFeedback } from '../domain/feedback';
import { dayKey, daysBetween } from '../domain/time';
import { ConflictError, DependencyError, NotFoundError } from '../errors';
import type { AnomalyRecord, AnomalyRef, FeedbackStore, Log } from '../ports';
import { anomalySortKey, StoredFeedbackSchema } from './dynamodb-anomaly-store';
import { isConditionalCheckFailed, queryAll } from './dynamodb-client';
import { TTL_ATTRIBUTE } from './table-schemas';

/** The anomalies index `listSeries` queries (the API function is granted Query on it). */
export const SERIES_INDEX = 'bySeries';

/** Settings of the feedback store. */
export interface DynamoFeedbackStoreOptions {
  readonly client: DynamoDBDocumentClient;
  /** The anomalies table. */
  readonly tableName: string;
  readonly log?: Log;
}

const RecordSchema = z.object({
  series: z.string().min(1),
  metric: z.string().min(1),
  label: z.string(),
  ts: z.number(),
  value: z.number(),
  level: z.enum(['CRITICAL', 'WARNING', 'INFO']),
  alertState: z.string().default('pending'),
  alertId: z.string().optional(),
  feedback: StoredFeedbackSchema.optional(),
});

/** How far either side of an alert's first anomaly its other anomalies can be (one run's look-back, padded). */
const ALERT_SEARCH_MS = 2 * 86_400_000;

// Every attribute a record needs, through placeholders (several are DynamoDB reserved words).
const NAMES = {
  '#series': 'series',
  '#metric': 'metric',
  '#label': 'label',
  '#ts': 'ts',
  '#value': 'value',
  '#level': 'level',
  '#state': 'alertState',
  '#alert': 'alertId',
  '#f': 'feedback',
  '#e': TTL_ATTRIBUTE,
};
const PROJECTION = '#series, #metric, #label, #ts, #value, #level, #state, #alert, #f';

/** Feedback on anomaly items. */
export class DynamoFeedbackStore implements FeedbackStore {
  public constructor(private readonly options: DynamoFeedbackStoreOptions) {}

  /** Set or clear the feedback; returns the item as it was. */
  public async setFeedback(
    ref: AnomalyRef,
    feedback: AnomalyFeedback | undefined,
    now: number,
    expected?: AnomalyFeedback | null,
  ): Promise<AnomalyRecord> {
    const values: Record<string, unknown> = { ':now': Math.floor(now / 1000) };
    const names: Record<string, string> = { '#f': 'feedback', '#e': TTL_ATTRIBUTE, '#sk': 'sk' };
    const conditions = ['attribute_exists(#sk)', '#e > :now'];
    if (expected === null) conditions.push('attribute_not_exists(#f)');
    else if (expected !== undefined) {
      Object.assign(names, { '#at': 'at', '#by': 'by', '#label': 'label' });
      Object.assign(values, { ':xat': expected.at, ':xby': expected.by, ':xlabel': expected.label });
      conditions.push('#f.#at = :xat AND #f.#by = :xby AND #f.#label = :xlabel');
    }
    if (feedback !== undefined) values[':f'] = { ...feedback };
    let old: Record<string, unknown> | undefined;
    try {
      const out = await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { day: dayKey(ref.ts), sk: anomalySortKey(ref.ts, ref.series) },
          UpdateExpression: feedback === undefined ? 'REMOVE #f' : 'SET #f = :f',
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_OLD',
        }),
      );
      old = out.Attributes;
    } catch (error) {
      if (isConditionalCheckFailed(error)) {
        if (expected !== undefined) {
          throw new ConflictError('The anomaly was marked again meanwhile', { field: 'ts', cause: error });
        }
        throw new NotFoundError(
          `No anomaly of series ${ref.series} at ${new Date(ref.ts).toISOString()} (or it has expired)`,
          { field: 'ts', cause: error },
        );
      }
      throw new DependencyError('Writing anomaly feedback failed', { cause: error });
    }
    const parsed = RecordSchema.safeParse(old);
    if (!parsed.success) {
      throw new DependencyError(`Anomaly item ${ref.series} @ ${ref.ts} is malformed`, {
        cause: parsed.error,
      });
    }
    return toRecord(parsed.data);
  }

  /** Every unexpired anomaly with start <= ts < end. */
  public async listRange(start: number, end: number, now: number): Promise<AnomalyRecord[]> {
    const out: AnomalyRecord[] = [];
    if (end <= start) return out;
    for (const day of daysBetween(start, end - 1)) {
      out.push(
        ...(await this.query(`anomalies of ${day}`, {
          KeyConditionExpression: '#d = :d AND #sk BETWEEN :a AND :b',
          FilterExpression: '#e > :now',
          ExpressionAttributeNames: { ...NAMES, '#d': 'day', '#sk': 'sk' },
          ExpressionAttributeValues: {
            ':d': day,
            ':a': anomalySortKey(start, ''),
            ':b': anomalySortKey(end - 1, '\uffff'),
            ':now': Math.floor(now / 1000),
          },
        })),
      );
    }
    return out;
  }

  /** One series' anomalies with start <= ts <= end, through the bySeries index. */
  public async listSeries(
    series: string,
    start: number,
    end: number,
    now: number,
    options: { readonly labelledOnly?: boolean } = {},
  ): Promise<AnomalyRecord[]> {
    return this.query(`anomalies of ${series}`, {
      IndexName: SERIES_INDEX,
      KeyConditionExpression: '#series = :s AND #ts BETWEEN :a AND :b',
      FilterExpression: options.labelledOnly ? '#e > :now AND attribute_exists(#f)' : '#e > :now',
      ExpressionAttributeNames: NAMES,
      ExpressionAttributeValues: { ':s': series, ':a': start, ':b': end, ':now': Math.floor(now / 1000) },
    });
  }

  /** The anomalies alert `alertId` paged, searched within two days either side of its first anomaly. */
  public async listAlert(alertId: string, firstTs: number, now: number): Promise<AnomalyRecord[]> {
    const out: AnomalyRecord[] = [];
    const end = Math.min(now, firstTs + ALERT_SEARCH_MS);
    for (const day of daysBetween(firstTs - ALERT_SEARCH_MS, Math.max(end, firstTs))) {
      out.push(
        ...(await this.query(`anomalies of ${day}`, {
          KeyConditionExpression: '#d = :d',
          FilterExpression: '#e > :now AND #alert = :id',
          ExpressionAttributeNames: { ...NAMES, '#d': 'day' },
          ExpressionAttributeValues: { ':d': day, ':id': alertId, ':now': Math.floor(now / 1000) },
        })),
      );
    }
    return out.sort((a, b) => a.ts - b.ts || a.series.localeCompare(b.series));
  }

  private async query(
    what: string,
    input: {
      IndexName?: string;
      KeyConditionExpression: string;
      FilterExpression: string;
      ExpressionAttributeNames: Record<string, string>;
      ExpressionAttributeValues: Record<string, unknown>;
    },
  ): Promise<AnomalyRecord[]> {
    let items: Record<string, unknown>[];
    try {
      items = await queryAll(this.options.client, {
        TableName: this.options.tableName,
        ProjectionExpression: PROJECTION,
        ...input,
      });
    } catch (cause) {
      throw new DependencyError(`Query of ${what} failed`, { cause });
    }
    const out: AnomalyRecord[] = [];
    for (const item of items) {
      const parsed = RecordSchema.safeParse(item);
      if (parsed.success) out.push(toRecord(parsed.data));
      else this.options.log?.warn('Skipped malformed anomaly item', { series: item.series, ts: item.ts });
    }
    return out;
  }
}

function toRecord(item: z.output<typeof RecordSchema>): AnomalyRecord {
  return {
    series: item.series,
    ts: item.ts,
    metric: item.metric,
    label: item.label,
    level: item.level,
    value: item.value,
    alertState: item.alertState as AlertState,
    ...(item.alertId !== undefined ? { alertId: item.alertId } : {}),
    ...(item.feedback !== undefined ? { feedback: item.feedback } : {}),
  };
}
