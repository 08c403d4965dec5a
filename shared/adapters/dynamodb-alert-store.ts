// (adapter) --> AlertStateStore port: open alerts, the rate-limit digest and maintenance windows in
// the control table. Open alerts and windows each live in one small partition so one Query lists them.
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  type GetCommandOutput,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { MaintenanceWindowSchema } from '../api/contract';
import type { Digest, MaintenanceWindow } from '../domain/alerting';
import { DependencyError } from '../errors';
import type { AlertStateStore, Log, PublishRecord, StoredOpenAlert } from '../ports';
import { RESOLVED_KEY_PREFIX } from '../ports';
import { isConditionalCheckFailed, queryAll } from './dynamodb-client';
import { TTL_ATTRIBUTE } from './table-schemas';

const level = z.enum(['INFO', 'WARNING', 'CRITICAL']);

const OpenAlertSchema = z.object({
  dedupKey: z.string(),
  alertId: z.string(),
  series: z.string(),
  label: z.string(),
  metric: z.string(),
  openedAt: z.number(),
  lastSeenAt: z.number(),
  level,
});

const PublishRecordSchema = z.object({
  key: z.string(),
  status: z.enum(['attempting', 'published', 'failed']),
  tries: z.number().int().nonnegative(),
  unknowns: z.number().int().nonnegative(),
  messageId: z.string().optional(),
  members: z.array(z.string()),
  at: z.number(),
});

/** Publish records outlive every retry of a pending anomaly (hours) by far. */
const PUBLISH_RECORD_TTL_S = 14 * 86_400;

const DigestSchema = z.object({
  count: z.number().int().nonnegative(),
  since: z.number(),
  worstLevel: level,
  topSeries: z.array(z.object({ label: z.string(), count: z.number() })),
});

/** Schema of a maintenance window (shared/api/contract.ts): used by the API/CLI and on every read. */
export { MaintenanceWindowSchema };

/** Settings of the alert-state store. */
export interface DynamoAlertStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly log?: Log;
  /**
   * RESOLVED records are kept this long (not just PUBLISH_RECORD_TTL_S), so the dashboard's time to
   * RESOLVED covers every alert still shown. @default 30
   */
  readonly retentionDays?: number;
}

/** Alert bookkeeping in the control table. */
export class DynamoAlertStore implements AlertStateStore {
  public constructor(private readonly options: DynamoAlertStoreOptions) {}

  private async queryPartition(pk: string): Promise<Record<string, unknown>[]> {
    try {
      return await queryAll(this.options.client, {
        TableName: this.options.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ConsistentRead: true,
      });
    } catch (cause) {
      throw new DependencyError(`Reading ${pk} failed`, { cause });
    }
  }

  /** Every open alert. */
  public async listOpen(): Promise<StoredOpenAlert[]> {
    const out: StoredOpenAlert[] = [];
    for (const item of await this.queryPartition('alerts')) {
      const parsed = OpenAlertSchema.safeParse(item);
      if (parsed.success) out.push(parsed.data);
      else this.options.log?.warn('Skipped malformed open alert', { sk: item.sk });
    }
    return out;
  }

  /** Open (or replace) the alert of a dedup key. */
  public async putOpen(alert: StoredOpenAlert): Promise<void> {
    await this.options.client.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: { pk: 'alerts', sk: alert.dedupKey, ...alert },
      }),
    );
  }

  /** Move an open alert's lastSeenAt forward (no-op when it is gone or already later). */
  public async touchOpen(dedupKey: string, lastSeenAt: number): Promise<void> {
    try {
      await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { pk: 'alerts', sk: dedupKey },
          UpdateExpression: 'SET lastSeenAt = :t',
          ConditionExpression: 'attribute_exists(sk) AND lastSeenAt < :t',
          ExpressionAttributeValues: { ':t': lastSeenAt },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error))
        throw new DependencyError('Updating an open alert failed', { cause: error });
    }
  }

  /** Close the alert of a dedup key. */
  public async deleteOpen(dedupKey: string): Promise<void> {
    await this.options.client.send(
      new DeleteCommand({ TableName: this.options.tableName, Key: { pk: 'alerts', sk: dedupKey } }),
    );
  }

  /** The digest of what the bucket held back since the last message that got through. */
  public async getDigest(bucket: string): Promise<Digest | undefined> {
    const out = await this.options.client.send(
      new GetCommand({
        TableName: this.options.tableName,
        Key: { pk: `digest#${bucket}`, sk: 'state' },
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return undefined;
    const parsed = DigestSchema.safeParse(out.Item);
    return parsed.success ? parsed.data : undefined;
  }

  /** Store or clear the digest. */
  public async setDigest(bucket: string, digest: Digest | undefined): Promise<void> {
    const Key = { pk: `digest#${bucket}`, sk: 'state' };
    if (digest === undefined) {
      await this.options.client.send(new DeleteCommand({ TableName: this.options.tableName, Key }));
    } else {
      await this.options.client.send(
        new PutCommand({ TableName: this.options.tableName, Item: { ...Key, ...digest } }),
      );
    }
  }

  /** The publish record of a message key (a malformed one reads as none, logged). */
  public async getPublish(key: string): Promise<PublishRecord | undefined> {
    let out: GetCommandOutput;
    try {
      out = await this.options.client.send(
        new GetCommand({
          TableName: this.options.tableName,
          Key: { pk: 'publish', sk: key },
          ConsistentRead: true,
        }),
      );
    } catch (cause) {
      throw new DependencyError('Reading a publish record failed', { cause });
    }
    if (!out.Item) return undefined;
    const parsed = PublishRecordSchema.safeParse(out.Item);
    if (parsed.success) return parsed.data;
    this.options.log?.warn('Skipped malformed publish record', { sk: key });
    return undefined;
  }

  /** Conditional write on the try count, so two racing runs cannot both claim the same attempt. */
  public async putPublish(record: PublishRecord, expectedTries: number): Promise<boolean> {
    try {
      await this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: {
            pk: 'publish',
            sk: record.key,
            ...record,
            [TTL_ATTRIBUTE]:
              Math.floor(record.at / 1000) +
              (record.key.startsWith(RESOLVED_KEY_PREFIX)
                ? Math.max(PUBLISH_RECORD_TTL_S, (this.options.retentionDays ?? 30) * 86_400)
                : PUBLISH_RECORD_TTL_S),
          },
          ...(expectedTries === 0
            ? { ConditionExpression: 'attribute_not_exists(sk)' }
            : { ConditionExpression: 'tries = :t', ExpressionAttributeValues: { ':t': expectedTries } }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw new DependencyError('Writing a publish record failed', { cause: error });
    }
  }

  /** RESOLVED notices published in [from, to]: one Query of the publish partition's `resolved#` keys. */
  public async listResolved(from: number, to: number): Promise<{ alertId: string; at: number }[]> {
    let items: Record<string, unknown>[];
    try {
      items = await queryAll(this.options.client, {
        TableName: this.options.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :r)',
        FilterExpression: '#st = :published AND #at BETWEEN :from AND :to',
        ProjectionExpression: 'sk, #at',
        ExpressionAttributeNames: { '#st': 'status', '#at': 'at' },
        ExpressionAttributeValues: {
          ':pk': 'publish',
          ':r': RESOLVED_KEY_PREFIX,
          ':published': 'published',
          ':from': from,
          ':to': to,
        },
      });
    } catch (cause) {
      throw new DependencyError('Reading RESOLVED records failed', { cause });
    }
    return items.flatMap((i) =>
      typeof i.sk === 'string' && typeof i.at === 'number'
        ? [{ alertId: i.sk.slice(RESOLVED_KEY_PREFIX.length), at: i.at }]
        : [],
    );
  }

  /** Every maintenance window (malformed ones are logged and ignored). */
  public async listWindows(): Promise<MaintenanceWindow[]> {
    const out: MaintenanceWindow[] = [];
    for (const item of await this.queryPartition('maintenance')) {
      const { pk: _pk, sk: _sk, ...rest } = item;
      const parsed = MaintenanceWindowSchema.safeParse(rest);
      if (parsed.success) out.push(parsed.data as MaintenanceWindow);
      else this.options.log?.warn('Skipped malformed maintenance window', { sk: item.sk });
    }
    return out;
  }

  /** Create or replace a window (validated by the caller with MaintenanceWindowSchema). */
  public async putWindow(window: MaintenanceWindow): Promise<void> {
    await this.options.client.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: { pk: 'maintenance', sk: window.id, ...window },
      }),
    );
  }

  /** Delete a window; false when it did not exist. */
  public async deleteWindow(id: string): Promise<boolean> {
    const out = await this.options.client.send(
      new DeleteCommand({
        TableName: this.options.tableName,
        Key: { pk: 'maintenance', sk: id },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return out.Attributes !== undefined;
  }
}
