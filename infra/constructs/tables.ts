// (infra) the DynamoDB tables, built from the key schemas the adapters and the local stack share.
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import {
  ANOMALIES_TABLE,
  CONTROL_TABLE,
  type KeySchema,
  type KeyType,
  POINTS_TABLE,
  PREDICTIONS_TABLE,
  type TableSchema,
} from '../../shared/adapters/table-schemas';

/** Properties of {@link MonitorTables}. */
export interface MonitorTablesProps {
  /**
   * What happens to the tables (and their data) when they leave the stack.
   * @default RemovalPolicy.RETAIN - metric history and anomaly records outlive a stack deletion
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The tables of DESIGN.md §3: on-demand, point-in-time recovery on, TTL on `expiresAt`,
 * AWS-managed KMS encryption, the GSIs of `shared/adapters/table-schemas.ts`.
 */
export class MonitorTables extends Construct {
  /** Metric points, keyed (series, ts). */
  public readonly points: dynamodb.Table;
  /** Anomalies, keyed (day, sk), with the `bySeries` index. */
  public readonly anomalies: dynamodb.Table;
  /** Control state: watermarks, token buckets, feedback, threshold history. */
  public readonly control: dynamodb.Table;
  /** ML predictions per model and day (chunks), and the list of models seen. */
  public readonly predictions: dynamodb.Table;

  public constructor(scope: Construct, id: string, props: MonitorTablesProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.points = this.createTable(POINTS_TABLE, removalPolicy);
    this.anomalies = this.createTable(ANOMALIES_TABLE, removalPolicy);
    this.control = this.createTable(CONTROL_TABLE, removalPolicy);
    this.predictions = this.createTable(PREDICTIONS_TABLE, removalPolicy);
  }

  private createTable(schema: TableSchema, removalPolicy: RemovalPolicy): dynamodb.Table {
    const table = new dynamodb.Table(this, schema.logicalName, {
      ...keysOf(schema),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: schema.ttlAttribute,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });
    for (const [indexName, index] of Object.entries(schema.indexes)) {
      table.addGlobalSecondaryIndex({
        indexName,
        ...keysOf(index),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    return table;
  }
}

const ATTRIBUTE_TYPES: Readonly<Record<KeyType, dynamodb.AttributeType>> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
};

function keysOf(schema: KeySchema): { partitionKey: dynamodb.Attribute; sortKey?: dynamodb.Attribute } {
  const partitionKey = { name: schema.partitionKey.name, type: ATTRIBUTE_TYPES[schema.partitionKey.type] };
  if (schema.sortKey === undefined) return { partitionKey };
  return { partitionKey, sortKey: { name: schema.sortKey.name, type: ATTRIBUTE_TYPES[schema.sortKey.type] } };
}
