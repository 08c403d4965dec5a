// (adapter) --> ThresholdStore port, in the control table:
//   `tuning#<metric>` / `state`   adjustment, version, feedback counters, last weekly evaluation, last change
//   `tuning-history` / `<id>`     one item per threshold change; ids start with the time, so one Query
//                                 lists the history newest first and pages through it.
// Counters move with atomic ADDs (concurrent marks never lose a count); every other write of a state is
// one conditional UpdateItem on the version it read (optimistic concurrency), so a raise, its counter
// reset and its `lastChange` land together or not at all.
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  initialThresholdState,
  type ThresholdChange,
  type ThresholdState,
  type WeeklyEvaluation,
} from '../domain/feedback';
import { DependencyError } from '../errors';
import type { ChangePage, ThresholdPatch, ThresholdStore } from '../ports';
import { isConditionalCheckFailed } from './dynamodb-client';

/** Partition-key prefix of a metric's state item (IAM scopes functions to `tuning#*`). */
export const TUNING_STATE_PREFIX = 'tuning#';
/** Partition key of the change history. */
export const TUNING_HISTORY_PK = 'tuning-history';

/** Settings of the threshold store. */
export interface DynamoThresholdStoreOptions {
  readonly client: DynamoDBDocumentClient;
  /** The control table. */
  readonly tableName: string;
}

const ChangeSchema = z.object({
  id: z.string(),
  metric: z.string(),
  version: z.number().int(),
  from: z.number(),
  to: z.number(),
  rule: z.enum(['fp-count', 'weekly-fp-rate', 'revert', 'manual']),
  counts: z.record(z.string(), z.number()),
  at: z.number(),
  actor: z.object({ kind: z.enum(['rule', 'person']), name: z.string() }),
  reason: z.string().optional(),
  revertOf: z.string().optional(),
  week: z.string().optional(),
});

const EvaluationSchema = z.object({
  week: z.string(),
  outcome: z.enum(['too-few-labelled', 'high-fp-rate', 'low-fp-rate', 'in-band']),
  counts: z.object({
    alerted: z.number(),
    labelled: z.number(),
    falsePositives: z.number(),
    confirmed: z.number(),
  }),
  rate: z.number().nullable(),
  from: z.number(),
  to: z.number(),
  at: z.number(),
});

const StateSchema = z.object({
  metric: z.string(),
  adjustment: z.number().default(0),
  version: z.number().int().default(0),
  fpCount: z.number().default(0),
  falsePositives: z.number().default(0),
  confirmed: z.number().default(0),
  lastTunedWeek: z.string().optional(),
  // A string set in DynamoDB (the document client reads it as a Set).
  evaluatedWeeks: z
    .union([z.set(z.string()), z.array(z.string())])
    .transform((weeks) => [...weeks].sort())
    .optional(),
  lastEvaluation: EvaluationSchema.optional(),
  lastChange: ChangeSchema.optional(),
});

/** Adjustments, counters and history in the control table. */
export class DynamoThresholdStore implements ThresholdStore {
  public constructor(private readonly options: DynamoThresholdStoreOptions) {}

  private key(metric: string): { pk: string; sk: string } {
    return { pk: `${TUNING_STATE_PREFIX}${metric}`, sk: 'state' };
  }

  /** The metric's state, or its initial state. */
  public async get(metric: string, options: { readonly consistent?: boolean } = {}): Promise<ThresholdState> {
    let item: Record<string, unknown> | undefined;
    try {
      const out = await this.options.client.send(
        new GetCommand({
          TableName: this.options.tableName,
          Key: this.key(metric),
          ConsistentRead: options.consistent ?? false,
        }),
      );
      item = out.Item;
    } catch (cause) {
      throw new DependencyError(`Reading the threshold state of ${metric} failed`, { cause });
    }
    return item ? parseState(metric, item) : initialThresholdState(metric);
  }

  /** ADD to the counters; `fpCount` moves with `falsePositives`. */
  public async addCounts(
    metric: string,
    delta: { readonly falsePositives: number; readonly confirmed: number },
    now: number,
  ): Promise<ThresholdState> {
    try {
      const out = await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: this.key(metric),
          UpdateExpression:
            'ADD falsePositives :fp, confirmed :cf, fpCount :fp SET metric = :m, updatedAt = :now',
          ExpressionAttributeValues: {
            ':fp': delta.falsePositives,
            ':cf': delta.confirmed,
            ':m': metric,
            ':now': now,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return parseState(metric, out.Attributes ?? {});
    } catch (cause) {
      if (cause instanceof DependencyError) throw cause;
      throw new DependencyError(`Counting feedback on ${metric} failed`, { cause });
    }
  }

  /** Conditional write on the version (plus the patch's own conditions). */
  public async update(
    metric: string,
    expectedVersion: number,
    patch: ThresholdPatch,
    now: number,
  ): Promise<boolean> {
    const sets = ['version = :next', 'updatedAt = :now', 'metric = :m'];
    const conditions = [expectedVersion === 0 ? 'attribute_not_exists(version)' : 'version = :v'];
    const values: Record<string, unknown> = { ':next': expectedVersion + 1, ':now': now, ':m': metric };
    if (expectedVersion !== 0) values[':v'] = expectedVersion;
    if (patch.adjustment !== undefined) {
      sets.push('adjustment = :a');
      values[':a'] = patch.adjustment;
    }
    if (patch.consumeFpCount !== undefined) {
      sets.push('fpCount = if_not_exists(fpCount, :zero) - :c');
      conditions.push('fpCount >= :c');
      Object.assign(values, { ':zero': 0, ':c': patch.consumeFpCount });
    }
    const adds: string[] = [];
    if (patch.evaluation !== undefined) {
      // Every evaluated week is kept, not only the last: tuning W47, W46, then W47 again must not
      // apply W47 twice. (`lastTunedWeek` is checked too for items written before the set existed.)
      sets.push('lastTunedWeek = :w', 'lastEvaluation = :ev');
      adds.push('evaluatedWeeks :ws');
      conditions.push(
        'NOT contains(evaluatedWeeks, :w)',
        '(attribute_not_exists(lastTunedWeek) OR lastTunedWeek <> :w)',
      );
      Object.assign(values, {
        ':w': patch.evaluation.week,
        ':ws': new Set([patch.evaluation.week]),
        ':ev': { ...patch.evaluation },
      });
    }
    if (patch.change !== undefined) {
      sets.push('lastChange = :ch');
      values[':ch'] = changeItem(patch.change);
    }
    try {
      await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: this.key(metric),
          UpdateExpression: `SET ${sets.join(', ')}${adds.length > 0 ? ` ADD ${adds.join(', ')}` : ''}`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw new DependencyError(`Writing the threshold state of ${metric} failed`, { cause: error });
    }
  }

  /** Put the history entry unless it is already there. */
  public async putChange(change: ThresholdChange): Promise<void> {
    try {
      await this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: { pk: TUNING_HISTORY_PK, sk: change.id, ...changeItem(change) },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return;
      throw new DependencyError(`Recording threshold change ${change.id} failed`, { cause: error });
    }
  }

  /** One history entry by id. */
  public async getChange(id: string): Promise<ThresholdChange | undefined> {
    let item: Record<string, unknown> | undefined;
    try {
      const out = await this.options.client.send(
        new GetCommand({
          TableName: this.options.tableName,
          Key: { pk: TUNING_HISTORY_PK, sk: id },
          ConsistentRead: true,
        }),
      );
      item = out.Item;
    } catch (cause) {
      throw new DependencyError(`Reading threshold change ${id} failed`, { cause });
    }
    return item ? parseChange(item) : undefined;
  }

  /**
   * History newest first. With a metric, other metrics' entries are filtered out page by page until
   * `limit` entries are found or the history ends; the cursor is the id of the last entry returned.
   */
  public async listChanges(query: {
    readonly metric?: string;
    readonly limit: number;
    readonly cursor?: string;
  }): Promise<ChangePage> {
    const items: ThresholdChange[] = [];
    let startKey: Record<string, unknown> | undefined =
      query.cursor === undefined ? undefined : { pk: TUNING_HISTORY_PK, sk: query.cursor };
    // One more than asked for tells whether a next page exists without an extra empty round trip.
    const want = query.limit + 1;
    try {
      do {
        const page = await this.options.client.send(
          new QueryCommand({
            TableName: this.options.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: {
              ':pk': TUNING_HISTORY_PK,
              ...(query.metric === undefined ? {} : { ':m': query.metric }),
            },
            ...(query.metric === undefined ? {} : { FilterExpression: 'metric = :m' }),
            ScanIndexForward: false,
            Limit: query.metric === undefined ? want - items.length : 100,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) items.push(parseChange(item));
        startKey = page.LastEvaluatedKey;
      } while (startKey && items.length < want);
    } catch (cause) {
      if (cause instanceof DependencyError) throw cause;
      throw new DependencyError('Listing threshold changes failed', { cause });
    }
    const pageItems = items.slice(0, query.limit);
    const last = pageItems.at(-1);
    return items.length > query.limit && last
      ? { items: pageItems, nextCursor: last.id }
      : { items: pageItems };
  }
}

function changeItem(change: ThresholdChange): Record<string, unknown> {
  return { ...change, actor: { ...change.actor }, counts: { ...change.counts } };
}

function parseChange(item: Record<string, unknown>): ThresholdChange {
  const parsed = ChangeSchema.safeParse(item);
  if (!parsed.success) {
    throw new DependencyError(`Threshold change ${String(item.sk)} is malformed`, { cause: parsed.error });
  }
  return parsed.data;
}

function parseState(metric: string, item: Record<string, unknown>): ThresholdState {
  const parsed = StateSchema.safeParse({ metric, ...item });
  if (!parsed.success) {
    throw new DependencyError(`Threshold state of ${metric} is malformed`, { cause: parsed.error });
  }
  const { lastEvaluation, lastChange, lastTunedWeek, evaluatedWeeks, ...rest } = parsed.data;
  return {
    ...rest,
    ...(lastTunedWeek !== undefined ? { lastTunedWeek } : {}),
    ...(evaluatedWeeks !== undefined ? { evaluatedWeeks } : {}),
    ...(lastEvaluation !== undefined ? { lastEvaluation: lastEvaluation as WeeklyEvaluation } : {}),
    ...(lastChange !== undefined ? { lastChange } : {}),
  };
}
