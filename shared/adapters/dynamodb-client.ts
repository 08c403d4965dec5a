// (adapter) builds the DynamoDB document client once per module (STYLE practice 5).
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
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

/**
 * Put up to 25 items with one BatchWriteItem, retrying UnprocessedItems (and errors that outlived the
 * SDK's own retries, e.g. throttling) with backoff. Returns the items still not written and the last
 * error seen; never throws.
 */
export async function batchPutWithRetry<T extends Record<string, unknown>>(
  client: DynamoDBDocumentClient,
  tableName: string,
  items: readonly T[],
  backoff?: BackoffOptions,
): Promise<{ unwritten: T[]; lastError?: unknown }> {
  const attempts = backoff?.attempts ?? 6;
  let pending = items.map((Item) => ({ PutRequest: { Item } }));
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts && pending.length > 0; attempt++) {
    if (attempt > 1) await (backoff?.sleep ?? sleep)(backoffDelay(attempt - 1, backoff));
    try {
      const out = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
      pending = (out.UnprocessedItems?.[tableName] ?? []) as typeof pending;
    } catch (error) {
      // Throttling that outlived the SDK's own retries: keep the whole batch pending and back off.
      lastError = error;
    }
  }
  return {
    unwritten: pending.map((r) => r.PutRequest.Item),
    ...(lastError === undefined ? {} : { lastError }),
  };
}
