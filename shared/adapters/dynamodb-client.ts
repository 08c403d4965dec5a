// (adapter) builds the DynamoDB document client once per module (STYLE practice 5).
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { messageOf } from '../errors';
import { type BackoffOptions, backoffDelay, sleep } from './retry';

/**
 * A document client. In Lambda pass nothing (region and credentials come from the runtime); locally
 * pass the emulator endpoint, a region and dummy credentials so no developer profile is ever read.
 */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** Client settings for a local emulator on loopback: fixed region, static dummy credentials. */
export function localClientConfig(endpoint: string): DynamoDBClientConfig {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  };
}

/** True when `error` is DynamoDB's ConditionalCheckFailedException. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

/** Every item of a Query, following LastEvaluatedKey through all pages. */
export async function queryAll(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** True when DynamoDB rejected the request as invalid (never transient: retrying cannot help). */
export function isValidationError(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ValidationException';
}

/** An item DynamoDB refused to store, with its message. */
export interface RejectedItem<T> {
  readonly item: T;
  readonly reason: string;
}

/**
 * Put up to 25 items with one BatchWriteItem, retrying UnprocessedItems (and errors that outlived the
 * SDK's own retries, e.g. throttling) with backoff. A ValidationException is not retried: one bad item
 * fails the whole request, so the batch is bisected until the bad items are alone; they come back in
 * `rejected` and every other item is written. Returns the items still not written (transient), the
 * rejected ones and the last transient error seen; never throws.
 */
export async function batchPutWithRetry<T extends Record<string, unknown>>(
  client: DynamoDBDocumentClient,
  tableName: string,
  items: readonly T[],
  backoff?: BackoffOptions,
): Promise<{ unwritten: T[]; rejected: RejectedItem<T>[]; lastError?: unknown }> {
  const attempts = backoff?.attempts ?? 6;
  let pending = items.map((Item) => ({ PutRequest: { Item } }));
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts && pending.length > 0; attempt++) {
    if (attempt > 1) await (backoff?.sleep ?? sleep)(backoffDelay(attempt - 1, backoff));
    try {
      const out = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
      pending = (out.UnprocessedItems?.[tableName] ?? []) as typeof pending;
    } catch (error) {
      if (isValidationError(error))
        return splitRejected(client, tableName, pending, error, backoff, lastError);
      // Throttling that outlived the SDK's own retries: keep the whole batch pending and back off.
      lastError = error;
    }
  }
  return {
    unwritten: pending.map((r) => r.PutRequest.Item),
    rejected: [],
    ...(lastError === undefined ? {} : { lastError }),
  };
}

/** Bisect a batch DynamoDB refused as invalid: a lone item that is still refused is rejected. */
async function splitRejected<T extends Record<string, unknown>>(
  client: DynamoDBDocumentClient,
  tableName: string,
  pending: readonly { PutRequest: { Item: T } }[],
  error: unknown,
  backoff: BackoffOptions | undefined,
  lastError: unknown,
): Promise<{ unwritten: T[]; rejected: RejectedItem<T>[]; lastError?: unknown }> {
  const all = pending.map((r) => r.PutRequest.Item);
  if (all.length === 1)
    return {
      unwritten: [],
      rejected: [{ item: all[0]!, reason: error instanceof Error ? error.message : String(error) }],
      ...(lastError === undefined ? {} : { lastError }),
    };
  const mid = Math.ceil(all.length / 2);
  const halves = [
    await batchPutWithRetry(client, tableName, all.slice(0, mid), backoff),
    await batchPutWithRetry(client, tableName, all.slice(mid), backoff),
  ];
  const last = halves.find((h) => h.lastError !== undefined)?.lastError ?? lastError;
  return {
    unwritten: halves.flatMap((h) => h.unwritten),
    rejected: halves.flatMap((h) => h.rejected),
    ...(last === undefined ? {} : { lastError: last }),
  };
}

/** Outcome of a write retried with backoff: written, refused as invalid, or still failing. */
export type RetriedWrite =
  | { readonly status: 'written' }
  | { readonly status: 'invalid'; readonly reason: string }
  | { readonly status: 'failed'; readonly error: unknown };

/**
 * Send one UpdateItem, retrying errors that outlived the SDK's own retries (throttling, a dropped
 * connection) with backoff. A ValidationException is not retried: the same request is refused again.
 * Never throws.
 */
export async function updateWithRetry(
  client: DynamoDBDocumentClient,
  input: UpdateCommandInput,
  backoff?: BackoffOptions,
): Promise<RetriedWrite> {
  const attempts = backoff?.attempts ?? 6;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await (backoff?.sleep ?? sleep)(backoffDelay(attempt - 1, backoff));
    try {
      await client.send(new UpdateCommand(input));
      return { status: 'written' };
    } catch (error) {
      if (isValidationError(error)) return { status: 'invalid', reason: messageOf(error) };
      lastError = error;
    }
  }
  return { status: 'failed', error: lastError };
}
