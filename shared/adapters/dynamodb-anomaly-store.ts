// (adapter) --> AnomalyStore and AnomalyTimelineStore ports: anomalies partitioned by UTC day, one item per
// (series, ts), with their alert state and staff feedback; the dashboard reads the timeline newest first.
import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { mapLimit } from '../async';
import type { AlertState } from '../domain/alerting';
import type { Anomaly } from '../domain/anomaly';
import { newerFirst } from '../domain/dashboard';
import { FEEDBACK_LABELS } from '../domain/feedback';
import { dayKey, daysBetween } from '../domain/time';
import { DependencyError, messageOf } from '../errors';
import type {
  AlertStateUpdate,
  AnomalyDetail,
  AnomalyStore,
  AnomalyTimelineStore,
  Log,
  RecordResult,
  TimelineQuery,
} from '../ports';
import { isConditionalCheckFailed, queryAll } from './dynamodb-client';
import { TTL_ATTRIBUTE } from './table-schemas';

/** Settings of the DynamoDB anomaly store. */
export interface DynamoAnomalyStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Anomalies expire this many days after they happened. @default 30 */
  readonly retentionDays?: number;
  readonly log?: Log;
  /** Writes in flight at once. @default 8 */
  readonly concurrency?: number;
}

/** Sort key: zero-padded epoch ms then series, so a day's partition sorts by time. */
export function anomalySortKey(ts: number, series: string): string {
  return `${String(ts).padStart(15, '0')}#${series}`;
}

// DynamoDB cannot store NaN or ±Infinity; a missing bound is stored as null.
const num = z.union([z.number(), z.null()]).transform((x) => (x === null ? Number.NaN : x));
const severity = z.enum(['low', 'medium', 'high', 'critical']);

/** Schema of a stored anomaly item; items that fail it are logged and skipped, never crash a read. */
export const StoredAnomalySchema = z.object({
  series: z.string().min(1),
  metric: z.string().min(1),
  label: z.string(),
  ts: z.number(),
  value: z.number(),
  expectedLow: num,
  expectedHigh: num,
  baseline: num,
  deviation: num,
  score: z.number(),
  methods: z.array(z.string()),
  findings: z
    .array(
      z.object({
        method: z.string(),
        deviation: num,
        expectedLow: num,
        expectedHigh: num,
        severity,
      }),
    )
    .default([]),
  severity,
  level: z.enum(['CRITICAL', 'WARNING', 'INFO']),
  explanation: z.string(),
  sensitivity: z.number().default(1),
  unit: z.string().optional(),
});

/** Schema of the `feedback` attribute of an anomaly item (set by the feedback store). */
export const StoredFeedbackSchema = z.object({
  label: z.enum(FEEDBACK_LABELS),
  reason: z.string().optional(),
  by: z.string(),
  at: z.number(),
});

const ALERT_STATES = [
  'pending',
  'sent',
  'grouped',
  'deduplicated',
  'rate-limited',
  'below-severity',
  'suppressed',
  'failed',
] as const satisfies readonly AlertState[];

/** A stored anomaly with what alerting and staff added to it. */
const StoredDetailSchema = StoredAnomalySchema.extend({
  model: z.enum(['level', 'daily', 'weekly']).optional(),
  alertState: z.enum(ALERT_STATES).default('pending'),
  alertId: z.string().optional(),
  alertReason: z.string().optional(),
  feedback: StoredFeedbackSchema.optional(),
});

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function toItem(a: Anomaly, now: number, retentionSeconds: number): Record<string, unknown> {
  return {
    day: dayKey(a.ts),
    sk: anomalySortKey(a.ts, a.series),
    series: a.series,
    metric: a.metric,
    label: a.label,
    ts: a.ts,
    value: a.value,
    expectedLow: finiteOrNull(a.expectedLow),
    expectedHigh: finiteOrNull(a.expectedHigh),
    baseline: finiteOrNull(a.baseline),
    deviation: finiteOrNull(a.deviation),
    score: a.score,
    methods: [...a.methods],
    findings: a.findings.map((f) => ({
      method: f.method,
      deviation: finiteOrNull(f.deviation),
      expectedLow: finiteOrNull(f.expectedLow),
      expectedHigh: finiteOrNull(f.expectedHigh),
      severity: f.severity,
    })),
    severity: a.severity,
    level: a.level,
    explanation: a.explanation,
    sensitivity: a.sensitivity,
    unit: a.unit,
    model: a.model,
    // Alerting picks anomalies up from here (pending → sent / grouped / rate-limited / suppressed).
    alertState: 'pending',
    createdAt: now,
    [TTL_ATTRIBUTE]: Math.floor(a.ts / 1000) + retentionSeconds,
  };
}

/** Anomalies table adapter. */
export class DynamoAnomalyStore implements AnomalyStore, AnomalyTimelineStore {
  private readonly retentionSeconds: number;

  public constructor(private readonly options: DynamoAnomalyStoreOptions) {
    this.retentionSeconds = (options.retentionDays ?? 30) * 86_400;
  }

  /** Conditional put per anomaly: an existing (series, ts) item is left exactly as it is. */
  public async record(anomalies: readonly Anomaly[], now: number): Promise<RecordResult> {
    const created: Anomaly[] = [];
    const failed: { anomaly: Anomaly; error: string }[] = [];
    let existing = 0;
    await mapLimit(anomalies, this.options.concurrency ?? 8, async (anomaly) => {
      try {
        await this.options.client.send(
          new PutCommand({
            TableName: this.options.tableName,
            Item: toItem(anomaly, now, this.retentionSeconds),
            ConditionExpression: 'attribute_not_exists(sk)',
          }),
        );
        created.push(anomaly);
      } catch (error) {
        if (isConditionalCheckFailed(error)) existing++;
        else failed.push({ anomaly, error: messageOf(error) });
      }
    });
    created.sort((a, b) => a.ts - b.ts || a.series.localeCompare(b.series));
    return { created, existing, failed };
  }

  /** Anomalies of every series with start <= ts <= end, oldest first; unexpired at `now`. */
  public listRange(start: number, end: number, now: number): Promise<Anomaly[]> {
    return this.query(start, end, now, false);
  }

  /** Anomalies in [start, end] whose alert state is still `pending`. */
  public listPending(start: number, end: number, now: number): Promise<Anomaly[]> {
    return this.query(start, end, now, true);
  }

  /**
   * Set each anomaly's alert state (with alert id, SNS message id, reason). Only existing items are
   * updated; a failed update is returned so the caller can report it.
   */
  public async setAlertStates(
    updates: readonly AlertStateUpdate[],
    now: number,
  ): Promise<AlertStateUpdate[]> {
    const failed: AlertStateUpdate[] = [];
    await mapLimit(updates, this.options.concurrency ?? 8, async (u) => {
      const values: Record<string, unknown> = { ':s': u.state, ':at': now };
      const sets = ['alertState = :s', 'alertUpdatedAt = :at'];
      if (u.alertId !== undefined) {
        sets.push('alertId = :id');
        values[':id'] = u.alertId;
      }
      if (u.messageId !== undefined) {
        sets.push('messageId = :m');
        values[':m'] = u.messageId;
      }
      if (u.reason !== undefined) {
        sets.push('alertReason = :r');
        values[':r'] = u.reason;
      }
      try {
        await this.options.client.send(
          new UpdateCommand({
            TableName: this.options.tableName,
            Key: { day: dayKey(u.ts), sk: anomalySortKey(u.ts, u.series) },
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: 'attribute_exists(sk)',
            ExpressionAttributeValues: values,
          }),
        );
      } catch (error) {
        failed.push(u);
        this.options.log?.error('Alert state not recorded', {
          series: u.series,
          ts: u.ts,
          state: u.state,
          error: messageOf(error),
        });
      }
    });
    return failed;
  }

  /**
   * The timeline newest first: one day partition at a time from `to` backwards, so a page of the last
   * 24 hours reads one or two partitions and stops as soon as it has `limit` + 1 accepted anomalies.
   */
  public async listNewestFirst(query: TimelineQuery): Promise<{ items: AnomalyDetail[]; more: boolean }> {
    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    const items: AnomalyDetail[] = [];
    const days = daysBetween(query.from, query.to).reverse();
    for (const day of days) {
      let raw: Record<string, unknown>[];
      try {
        raw = await queryAll(this.options.client, {
          TableName: this.options.tableName,
          KeyConditionExpression: '#d = :d AND #k BETWEEN :a AND :b',
          FilterExpression: '#e > :now',
          ExpressionAttributeNames: { '#d': 'day', '#k': 'sk', '#e': TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':d': day,
            ':a': anomalySortKey(query.from, ''),
            ':b': anomalySortKey(query.to, '\uffff'),
            ':now': Math.floor(query.now / 1000),
          },
          ScanIndexForward: false,
        });
      } catch (cause) {
        throw new DependencyError(`Query of anomalies for ${day} failed`, { cause });
      }
      const parsed: AnomalyDetail[] = [];
      for (const item of raw) {
        const detail = StoredDetailSchema.safeParse(item);
        if (detail.success) parsed.push(detail.data as AnomalyDetail);
        else this.options.log?.warn('Skipped malformed anomaly item', { sk: item.sk, day });
      }
      parsed.sort(newerFirst);
      for (const a of parsed) {
        // Skip up to and including the cursor: it and everything newer were on earlier pages.
        if (query.after && newerFirst(query.after, a) >= 0) continue;
        if (query.accept && !query.accept(a)) continue;
        if (items.length === limit) return { items, more: true };
        items.push(a);
      }
    }
    return { items, more: false };
  }

  private async query(start: number, end: number, now: number, pendingOnly: boolean): Promise<Anomaly[]> {
    const out: Anomaly[] = [];
    for (const day of daysBetween(start, end)) {
      let items: Record<string, unknown>[];
      try {
        items = await queryAll(this.options.client, {
          TableName: this.options.tableName,
          KeyConditionExpression: '#d = :d AND #k BETWEEN :a AND :b',
          FilterExpression: pendingOnly ? '#e > :now AND alertState = :pending' : '#e > :now',
          ExpressionAttributeNames: { '#d': 'day', '#k': 'sk', '#e': TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':d': day,
            ':a': anomalySortKey(start, ''),
            ':b': anomalySortKey(end, '\uffff'),
            ':now': Math.floor(now / 1000),
            ...(pendingOnly ? { ':pending': 'pending' } : {}),
          },
        });
      } catch (cause) {
        throw new DependencyError(`Query of anomalies for ${day} failed`, { cause });
      }
      for (const item of items) {
        const parsed = StoredAnomalySchema.safeParse(item);
        if (parsed.success) out.push(parsed.data as Anomaly);
        else this.options.log?.warn('Skipped malformed anomaly item', { sk: item.sk, day });
      }
    }
    return out;
  }
}
