// (adapter) --> ControlStore port: small operational state in the control table.
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DependencyError } from '../errors';
import type { ControlStore } from '../ports';
import { isConditionalCheckFailed } from './dynamodb-client';

/** Settings of the control store. */
export interface DynamoControlStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** Control table adapter (job watermarks). */
export class DynamoControlStore implements ControlStore {
  public constructor(private readonly options: DynamoControlStoreOptions) {}

  /** The job's watermark (epoch ms), or undefined before its first successful run. */
  public async getWatermark(job: string): Promise<number | undefined> {
    try {
      const out = await this.options.client.send(
        new GetCommand({
          TableName: this.options.tableName,
          Key: { pk: `job#${job}`, sk: 'watermark' },
          ConsistentRead: true,
        }),
      );
      const ts = out.Item?.ts;
      return typeof ts === 'number' && Number.isFinite(ts) ? ts : undefined;
    } catch (cause) {
      throw new DependencyError(`Reading the ${job} watermark failed`, { cause });
    }
  }

  /** Move the watermark forward only: a slower, older run finishing late cannot rewind it. */
  public async advanceWatermark(job: string, ts: number): Promise<void> {
    try {
      await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { pk: `job#${job}`, sk: 'watermark' },
          UpdateExpression: 'SET #ts = :ts',
          ConditionExpression: 'attribute_not_exists(#ts) OR #ts < :ts',
          ExpressionAttributeNames: { '#ts': 'ts' },
          ExpressionAttributeValues: { ':ts': ts },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return;
      throw new DependencyError(`Advancing the ${job} watermark failed`, { cause: error });
    }
  }
}
