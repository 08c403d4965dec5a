// (adapter) creates the tables from table-schemas.ts on a local emulator (dynalite). In AWS the CDK
// stack owns the tables; this is only for the local stack and the tests.
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import type { KeySchema, TableSchema } from './table-schemas';

function keyElements(schema: KeySchema) {
  return [
    { AttributeName: schema.partitionKey.name, KeyType: 'HASH' as const },
    ...(schema.sortKey ? [{ AttributeName: schema.sortKey.name, KeyType: 'RANGE' as const }] : []),
  ];
}

/** Create `schema` as `tableName` (on-demand) unless it exists; waits until it is ACTIVE. */
export async function ensureTable(
  client: DynamoDBClient,
  schema: TableSchema,
  tableName: string,
): Promise<void> {
  const attributes = new Map<string, AttributeDefinition>();
  for (const key of [schema, ...Object.values(schema.indexes)]) {
    for (const k of [key.partitionKey, key.sortKey]) {
      if (k) attributes.set(k.name, { AttributeName: k.name, AttributeType: k.type });
    }
  }
  const indexes = Object.entries(schema.indexes).map(([IndexName, key]) => ({
    IndexName,
    KeySchema: keyElements(key),
    Projection: { ProjectionType: 'ALL' as const },
  }));
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: keyElements(schema),
        AttributeDefinitions: [...attributes.values()],
        ...(indexes.length > 0 ? { GlobalSecondaryIndexes: indexes } : {}),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  for (let i = 0; i < 100; i++) {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (out.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Table ${tableName} did not become ACTIVE`);
}
