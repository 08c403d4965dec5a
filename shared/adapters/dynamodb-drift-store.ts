// (adapter) --> DriftStateStore port, in the control table under two partitions:
// - `drift#state` / <subject>: the latest verdict and what the last e-mail announced (one e-mail per
//   subject per UTC day, taken with a conditional write);
// - `drift#run` / <run time ISO>#<subject>: one item per check of each run (the result as JSON, so
//   p-values below DynamoDB's 1e-130 number floor survive), plus `<run time ISO>#~run` with the run's
//   correction and e-mail. Runs expire after the retention.
import { BatchWriteCommand, type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { DriftStatus, SubjectState } from '../domain/drift';
import type { DriftCheck, DriftRun } from '../domain/drift-report';
import { dayKey } from '../domain/time';
import { DependencyError } from '../errors';
import type { DriftStateStore, Log } from '../ports';
import { isConditionalCheckFailed, queryAll } from './dynamodb-client';
import { TTL_ATTRIBUTE } from './table-schemas';

/** Partition keys this store uses (the check-drift role is scoped to them). */
export const DRIFT_PARTITIONS = { state: 'drift#state', run: 'drift#run' } as const;

const RUN_SUMMARY = '~run';

/** Settings of the drift store. */
export interface DynamoDriftStoreOptions {
  readonly client: DynamoDBDocumentClient;
  /** The control table. */
  readonly tableName: string;
  /** Run results expire after this many days. @default 30 */
  readonly retentionDays?: number;
  readonly log?: Log;
}

const status = z.enum(['ok', 'drifting']);
const StateItemSchema = z.object({
  sk: z.string(),
  status: status.default('ok'),
  mailed: status.default('ok'),
  lastMailDay: z.string().optional(),
  lastMailAt: z.number().optional(),
  changedAt: z.number().optional(),
});

const SummarySchema = z.object({
  runAt: z.number(),
  correction: z.enum(['benjamini-hochberg', 'bonferroni']),
  alpha: z.number(),
  modelsTested: z.number(),
  mails: z.array(z.looseObject({ subject: z.string(), kind: z.enum(['drift', 'recovered']) })),
});

/** Control-table drift store. */
export class DynamoDriftStore implements DriftStateStore {
  public constructor(private readonly options: DynamoDriftStoreOptions) {}

  public async listStates(): Promise<SubjectState[]> {
    let items: Record<string, unknown>[];
    try {
      items = await queryAll(this.options.client, {
        TableName: this.options.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': DRIFT_PARTITIONS.state },
        ConsistentRead: true,
      });
    } catch (cause) {
      throw new DependencyError('Reading drift states failed', { cause });
    }
    return items.flatMap((item) => {
      const parsed = StateItemSchema.safeParse(item);
      if (!parsed.success) {
        this.options.log?.warn('Ignored a malformed drift state item', { sk: item.sk });
        return [];
      }
      const { sk, ...rest } = parsed.data;
      return [{ subject: sk, ...rest }];
    });
  }

  public async setStatus(subject: string, next: DriftStatus, now: number): Promise<void> {
    try {
      await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { pk: DRIFT_PARTITIONS.state, sk: subject },
          UpdateExpression: 'SET #st = :s, changedAt = :now, mailed = if_not_exists(mailed, :ok)',
          ConditionExpression: 'attribute_not_exists(#st) OR #st <> :s',
          ExpressionAttributeNames: { '#st': 'status' },
          ExpressionAttributeValues: { ':s': next, ':now': now, ':ok': 'ok' },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return; // unchanged
      throw new DependencyError(`Recording the drift status of ${subject} failed`, { cause: error });
    }
  }

  public async claimMail(subject: string, announce: DriftStatus, now: number): Promise<boolean> {
    try {
      await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { pk: DRIFT_PARTITIONS.state, sk: subject },
          UpdateExpression: 'SET mailed = :m, lastMailDay = :day, lastMailAt = :now',
          ConditionExpression: 'attribute_not_exists(lastMailDay) OR lastMailDay <> :day',
          ExpressionAttributeValues: { ':m': announce, ':day': dayKey(now), ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw new DependencyError(`Claiming the drift e-mail of ${subject} failed`, { cause: error });
    }
  }

  public async releaseMail(
    subject: string,
    previous: SubjectState | undefined,
    claimedAt: number,
  ): Promise<void> {
    const values: Record<string, unknown> = { ':claimed': claimedAt, ':m': previous?.mailed ?? 'ok' };
    let update = 'SET mailed = :m';
    if (previous?.lastMailDay !== undefined && previous.lastMailAt !== undefined) {
      update += ', lastMailDay = :day, lastMailAt = :at';
      values[':day'] = previous.lastMailDay;
      values[':at'] = previous.lastMailAt;
    } else update += ' REMOVE lastMailDay, lastMailAt';
    try {
      await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { pk: DRIFT_PARTITIONS.state, sk: subject },
          UpdateExpression: update,
          ConditionExpression: 'lastMailAt = :claimed',
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return; // a later claim owns it now
      throw new DependencyError(`Releasing the drift e-mail claim of ${subject} failed`, { cause: error });
    }
  }

  public async recordRun(run: DriftRun): Promise<void> {
    const prefix = new Date(run.runAt).toISOString();
    const expiresAt = Math.floor(run.runAt / 1000) + (this.options.retentionDays ?? 30) * 86_400;
    const items: Record<string, unknown>[] = [
      ...run.checks.map((check) => ({
        pk: DRIFT_PARTITIONS.run,
        sk: `${prefix}#${check.subject}`,
        subject: check.subject,
        kind: check.kind,
        status: check.status,
        check: JSON.stringify(check),
        [TTL_ATTRIBUTE]: expiresAt,
      })),
      {
        pk: DRIFT_PARTITIONS.run,
        sk: `${prefix}#${RUN_SUMMARY}`,
        summary: JSON.stringify({
          runAt: run.runAt,
          correction: run.correction,
          alpha: run.alpha,
          modelsTested: run.modelsTested,
          mails: run.mails,
        }),
        [TTL_ATTRIBUTE]: expiresAt,
      },
    ];
    for (let i = 0; i < items.length; i += 25) {
      let pending = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; attempt < 5 && pending.length > 0; attempt++) {
        try {
          const out = await this.options.client.send(
            new BatchWriteCommand({ RequestItems: { [this.options.tableName]: pending } }),
          );
          pending = (out.UnprocessedItems?.[this.options.tableName] ?? []) as typeof pending;
        } catch (cause) {
          throw new DependencyError('Recording the drift run failed', { cause });
        }
        if (pending.length > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
      if (pending.length > 0)
        throw new DependencyError(`Recording the drift run: ${pending.length} items unprocessed`);
    }
  }

  public async listRuns(since: number, now: number): Promise<DriftRun[]> {
    let items: Record<string, unknown>[];
    try {
      items = await queryAll(this.options.client, {
        TableName: this.options.tableName,
        KeyConditionExpression: 'pk = :pk AND sk >= :since',
        FilterExpression: '#e > :now',
        ExpressionAttributeNames: { '#e': TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ':pk': DRIFT_PARTITIONS.run,
          ':since': new Date(since).toISOString(),
          ':now': Math.floor(now / 1000),
        },
      });
    } catch (cause) {
      throw new DependencyError('Reading drift runs failed', { cause });
    }
    const runs = new Map<string, { summary?: z.output<typeof SummarySchema>; checks: DriftCheck[] }>();
    for (const item of items) {
      const sk = String(item.sk);
      const cut = sk.indexOf('#');
      const prefix = sk.slice(0, cut);
      const run = runs.get(prefix) ?? { checks: [] };
      runs.set(prefix, run);
      try {
        if (sk.slice(cut + 1) === RUN_SUMMARY)
          run.summary = SummarySchema.parse(JSON.parse(String(item.summary)));
        else run.checks.push(JSON.parse(String(item.check)) as DriftCheck);
      } catch {
        this.options.log?.warn('Ignored a malformed drift run item', { sk });
      }
    }
    return [...runs.entries()]
      .filter((entry): entry is [string, { summary: z.output<typeof SummarySchema>; checks: DriftCheck[] }] =>
        Boolean(entry[1].summary),
      )
      .sort((a, b) => b[0].localeCompare(a[0]))
      .map(([, r]) => ({ ...r.summary, mails: r.summary.mails as DriftRun['mails'], checks: r.checks }));
  }
}
