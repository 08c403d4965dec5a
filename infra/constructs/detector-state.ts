// (infra) where detect keeps its detector checkpoints: a private bucket, one gzipped JSON object per
// series under `detector-state/` (a detect shard's under `detector-state/<shard>/`), overwritten about hourly (detection.checkpointEveryMinutes). It is
// state the detector can rebuild from the points table, so it is not versioned: only the newest
// checkpoint of a series is ever resumed, and a series dropped from the config expires after 35 days.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CHECKPOINT_PREFIX, checkpointPrefixOf } from '../../shared/adapters/s3-checkpoint-store';
import type { Shard } from '../../shared/domain/shards';

/** Properties of {@link DetectorState}. */
export interface DetectorStateProps {
  /** Bucket for the S3 server access logs (the stack's access-log bucket). */
  readonly accessLogs: s3.IBucket;
  /** @default RemovalPolicy.RETAIN, like every other store of the stack */
  readonly removalPolicy?: RemovalPolicy;
}

/** The detector-checkpoint bucket. */
export class DetectorState extends Construct {
  public readonly bucket: s3.Bucket;
  /** The key prefix of every detect shard's checkpoints (the lifecycle rule covers them all). */
  public readonly prefix = `${CHECKPOINT_PREFIX}/`;

  public constructor(scope: Construct, id: string, props: DetectorStateProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'detector-state-bucket/',
      lifecycleRules: [
        // A live series' checkpoint is rewritten every hour or so; one not written for 35 days
        // belongs to a series no longer collected (its points have expired from DynamoDB by then).
        { prefix: this.prefix, expiration: Duration.days(35) },
        { abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  /** The key prefix one detect shard reads and writes (grant nothing wider), ending in `/`. */
  public prefixOf(shard: Shard): string {
    return `${checkpointPrefixOf(shard)}/`;
  }
}
