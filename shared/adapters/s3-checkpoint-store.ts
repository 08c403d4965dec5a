// (adapter) --> CheckpointStore port: one gzipped JSON detector snapshot per series in S3, under
// `<prefix>/<url-encoded series id>.json.gz`, overwritten on each save (the bucket is not versioned:
// only the newest checkpoint is ever resumed). Loading validates the shape (checkpoint-codec.ts); the
// detector validates the rest (capacities, order) when it restores.
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DetectorSnapshot } from '../domain/detectors/series-detector';
import { type Shard, shardName } from '../domain/shards';
import { DependencyError } from '../errors';
import type { CheckpointStore } from '../ports';
import { encodeCheckpoint, parseCheckpoint } from './checkpoint-codec';

/** Key prefix of the checkpoints (the detect function may touch nothing else in the bucket). */
export const CHECKPOINT_PREFIX = 'detector-state';

/**
 * Key prefix of one detect shard's checkpoints: the whole fleet keeps the historical prefix, a shard
 * its own below it (`detector-state/2of8`), so a shard's function is granted only its own objects.
 * Re-sharding (a different count) starts new prefixes: those series re-warm once, from their points.
 */
export function checkpointPrefixOf(shard: Shard): string {
  return shard.count === 1 ? CHECKPOINT_PREFIX : `${CHECKPOINT_PREFIX}/${shardName(shard)}`;
}

/** GetObject's answer for a key that does not exist (a missing bucket is NoSuchBucket: an error). */
export function isNoSuchKey(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'NoSuchKey';
}

/** S3-backed detector checkpoints. */
export class S3CheckpointStore implements CheckpointStore {
  public constructor(
    private readonly options: {
      readonly client: S3Client;
      readonly bucket: string;
      readonly prefix?: string;
    },
  ) {}

  /** The object key of a series' checkpoint. */
  public keyOf(series: string): string {
    return `${this.options.prefix ?? CHECKPOINT_PREFIX}/${encodeURIComponent(series)}.json.gz`;
  }

  public async load(series: string): Promise<DetectorSnapshot | undefined> {
    const key = this.keyOf(series);
    let body: Uint8Array;
    try {
      const out = await this.options.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: key }),
      );
      if (!out.Body) throw new Error('empty response body');
      body = await out.Body.transformToByteArray();
    } catch (error) {
      if (isNoSuchKey(error)) return undefined;
      throw new DependencyError(`Could not read detector checkpoint s3://${this.options.bucket}/${key}`, {
        cause: error,
      });
    }
    return parseCheckpoint(body, `s3://${this.options.bucket}/${key}`);
  }

  public async save(series: string, snapshot: DetectorSnapshot): Promise<void> {
    const key = this.keyOf(series);
    try {
      await this.options.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: encodeCheckpoint(snapshot),
          ContentType: 'application/gzip',
        }),
      );
    } catch (error) {
      throw new DependencyError(`Could not write detector checkpoint s3://${this.options.bucket}/${key}`, {
        cause: error,
      });
    }
  }
}
