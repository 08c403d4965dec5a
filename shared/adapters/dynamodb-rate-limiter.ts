// (adapter) --> RateLimiter: a token bucket in the control table. Each take reads the bucket, applies
// the pure refill/take arithmetic, and writes it back with ONE conditional UpdateItem on the version it
// read; a concurrent writer makes the condition fail and the take retries on fresh state. A bucket can
// therefore never issue more tokens than its arithmetic allows, however many invocations race.
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type BucketConfig, type BucketState, decideTake, fullBucket } from '../domain/token-bucket';
import { DependencyError } from '../errors';
import type { RateLimiter, TokenTake } from '../ports';
import { isConditionalCheckFailed } from './dynamodb-client';
import { type BackoffOptions, backoffDelay, sleep } from './retry';

/** Result of a take. `contended` means it gave up after too many conflicts: treat as denied. */
export interface TakeResult extends TokenTake {
  readonly attempts: number;
  readonly contended?: boolean;
}

/** Settings of the DynamoDB token bucket. */
export interface DynamoRateLimiterOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly config: BucketConfig;
  /** Conflict retries. @default 25 attempts, 10 ms base backoff */
  readonly backoff?: BackoffOptions;
}

/** Token buckets keyed by name (`bucket#<name>` in the control table). */
export class DynamoRateLimiter implements RateLimiter {
  public constructor(private readonly options: DynamoRateLimiterOptions) {}

  /** Read a bucket's stored state (undefined when it was never used). */
  public async peek(bucket: string): Promise<(BucketState & { version: number }) | undefined> {
    const out = await this.options.client.send(
      new GetCommand({
        TableName: this.options.tableName,
        Key: { pk: `bucket#${bucket}`, sk: 'state' },
        ConsistentRead: true,
      }),
    );
    const item = out.Item;
    if (!item) return undefined;
    return { tokens: Number(item.tokens), updatedAt: Number(item.updatedAt), version: Number(item.version) };
  }

  /** Take one token from `bucket` at `now` (epoch ms). */
  public async take(bucket: string, now: number): Promise<TakeResult> {
    const { client, tableName, config } = this.options;
    const backoff = { attempts: 25, baseMs: 10, maxMs: 200, ...this.options.backoff };
    for (let attempt = 1; attempt <= backoff.attempts; attempt++) {
      if (attempt > 1) await (backoff.sleep ?? sleep)(backoffDelay(attempt - 1, backoff));
      let stored: (BucketState & { version: number }) | undefined;
      try {
        stored = await this.peek(bucket);
      } catch (cause) {
        throw new DependencyError(`Reading token bucket ${bucket} failed`, { cause });
      }
      const decision = decideTake(stored ?? fullBucket(config, now), now, config);
      if (!decision.granted) {
        return {
          granted: false,
          remaining: decision.remaining,
          retryAfterMs: decision.retryAfterMs,
          attempts: attempt,
        };
      }
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: `bucket#${bucket}`, sk: 'state' },
            UpdateExpression: 'SET tokens = :t, updatedAt = :u, version = :next',
            ConditionExpression: stored ? 'version = :v' : 'attribute_not_exists(version)',
            ExpressionAttributeValues: {
              ':t': decision.state.tokens,
              ':u': decision.state.updatedAt,
              ':next': (stored?.version ?? 0) + 1,
              ...(stored ? { ':v': stored.version } : {}),
            },
          }),
        );
        return { granted: true, remaining: decision.remaining, retryAfterMs: 0, attempts: attempt };
      } catch (error) {
        if (!isConditionalCheckFailed(error)) {
          throw new DependencyError(`Updating token bucket ${bucket} failed`, { cause: error });
        }
      }
    }
    return { granted: false, remaining: 0, retryAfterMs: 0, attempts: backoff.attempts, contended: true };
  }
}
