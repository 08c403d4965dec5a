// (infra) one detect shard's function: functions/detect.ts with reserved concurrency 1, granted only its
// own shard's state (checkpoint prefix, watermark, digest) plus what every shard shares (the NOC token
// bucket, open alerts, publish records, maintenance windows and feedback, read only).
import type { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { TUNING_STATE_PREFIX } from '../../shared/adapters/dynamodb-threshold-store';
import { ENV } from '../../shared/config';
import { type DetectPlan, planDetect } from '../../shared/domain/series-cost';
import { type Shard, shardName } from '../../shared/domain/shards';
import { ValidationError } from '../../shared/errors';
import { expandSeries, type MonitorConfig } from '../../shared/monitor-config';
import { bucketNameOf, detectJobOf, digestNameOf } from '../../shared/use-cases/run-detect-cycle';
import type { AlertTopic } from './alert-topic';
import type { AlarmedDeadLetterQueue } from './dead-letter-queue';
import type { DetectorState } from './detector-state';
import { MonitorFunction } from './monitor-function';

/**
 * The detect plan of the configured fleet: the smallest memory size at which its shards fit within
 * half their memory and timeout, and the fewest shards at that size (shared/domain/series-cost.ts,
 * measured by bench:scale).
 * @throws ValidationError naming `series` when more than MAX_SHARDS shards would be needed at any size
 */
export function planDetectShards(config: MonitorConfig, timeout: Duration): DetectPlan {
  try {
    return planDetect(expandSeries(config), config.alerts.groupBy, timeout.toSeconds());
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new ValidationError('Cannot shard detect', [`series: ${error.message}`], { cause: error });
  }
}

/** Properties of {@link DetectFunction}. */
export interface DetectFunctionProps {
  /** The validated monitoring config (baked into the bundle). */
  readonly config: MonitorConfig;
  /** The shard this function runs; the state machine sends it, and IAM admits no other. */
  readonly shard: Shard;
  /** Memory (MB): the detect plan's size. */
  readonly memoryMb: number;
  readonly tables: {
    readonly points: dynamodb.ITable;
    readonly anomalies: dynamodb.ITable;
    readonly control: dynamodb.ITable;
  };
  /** The NOC topic and its dead-letter queue. */
  readonly alerts: AlertTopic;
  /** The checkpoint bucket. */
  readonly detectorState: DetectorState;
  /** Lambda timeout (the shard plan's budget assumes it). */
  readonly timeout: Duration;
  /** A dead-letter queue shared by the shards. @default one of its own */
  readonly deadLetterQueue?: AlarmedDeadLetterQueue;
}

/**
 * The construct id of a shard's function: the whole fleet keeps `Detect`, so a single-shard stack
 * deployed before sharding updates its function in place; a shard is `Detect2of8`.
 */
export function detectFunctionId(shard: Shard): string {
  return shard.count === 1 ? 'Detect' : `Detect${shardName(shard)}`;
}

/**
 * The control-table partitions a shard writes: its watermark, its digest, and the shared NOC token
 * bucket, open alerts and publish records (message keys are per alert group, and a group never spans
 * two shards, so shards never write the same publish item).
 */
export function detectControlKeys(shard: Shard): string[] {
  return [
    `job#${detectJobOf(shard)}`,
    `bucket#${bucketNameOf()}`,
    `digest#${digestNameOf(shard)}`,
    'alerts',
    'publish',
  ];
}

/** A detect shard's function and its least-privilege grants. */
export class DetectFunction extends MonitorFunction {
  public readonly shard: Shard;

  public constructor(scope: Construct, id: string, props: DetectFunctionProps) {
    super(scope, id, {
      serviceName: 'detect',
      entry: 'functions/detect.ts',
      config: props.config,
      timeout: props.timeout,
      memorySize: props.memoryMb,
      // One run of a shard at a time: retries, overlapping cycles and manual invokes queue up (throttled,
      // retried by the state machine) instead of paging the same pending anomaly twice.
      reservedConcurrentExecutions: 1,
      ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
    });
    this.shard = props.shard;
    const { points, anomalies, control } = props.tables;
    this.bindTable(points, ENV.pointsTable, ['dynamodb:Query'])
      .bindTable(anomalies, ENV.anomaliesTable, ['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'])
      .bindTable(
        control,
        ENV.controlTable,
        ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
        { leadingKeys: detectControlKeys(props.shard) },
      )
      .bindTable(control, ENV.controlTable, ['dynamodb:Query'], { leadingKeys: ['alerts', 'maintenance'] })
      .bindTopic(props.alerts.topic, props.alerts.key, ENV.alertTopicArn)
      .bindQueue(props.alerts.deadLetter.queue, ENV.alertDeadLetterUrl)
      // Feedback adjustments per metric (read only).
      .bindTable(control, ENV.controlTable, ['dynamodb:GetItem'], {
        leadingKeys: [`${TUNING_STATE_PREFIX}*`],
      })
      // Its own checkpoints only; ListBucket so that a series with no checkpoint yet is a 404 (NoSuchKey),
      // not an AccessDenied indistinguishable from a fault. It lists key names, never reads objects.
      .bindBucket(
        props.detectorState.bucket,
        ENV.detectorStateBucket,
        ['s3:GetObject', 's3:PutObject'],
        props.detectorState.prefixOf(props.shard),
        ['s3:ListBucket'],
      );
    // Backfill on first sight: a new series' history, once, from CloudWatch.
    this.grantUnscoped(
      ['cloudwatch:GetMetricData'],
      'cloudwatch:GetMetricData supports no resource-level permissions (the Service Authorization ' +
        'Reference lists no resource type or condition key for it); it is read-only (history backfill).',
    );
  }
}
