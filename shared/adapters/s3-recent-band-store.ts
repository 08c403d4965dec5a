// (adapter) --> RecentBandStore port: one gzipped object per detect shard, `<its checkpoint prefix>/
// band/recent.json.gz`, overwritten each cycle. Under the shard's own checkpoint prefix, so the detect
// function needs no grant beyond the one it has, and the prefix's lifecycle rule expires a dropped
// shard's; a series' checkpoint key never contains `/` (ids are URL-encoded), so none can collide.
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { RecentBands } from '../domain/recent-band';
import type { Shard } from '../domain/shards';
import { DependencyError } from '../errors';
import type { RecentBandStore } from '../ports';
import { encodeRecentBands, parseRecentBands } from './recent-band-codec';
import { checkpointPrefixOf, isNoSuchKey } from './s3-checkpoint-store';

/** The object key of a shard's kept band. */
export function recentBandKeyOf(shard: Shard): string {
  return `${checkpointPrefixOf(shard)}/band/recent.json.gz`;
}

/** S3-backed kept bands. */
export class S3RecentBandStore implements RecentBandStore {
  public constructor(private readonly options: { readonly client: S3Client; readonly bucket: string }) {}

  public async load(shard: Shard): Promise<RecentBands | undefined> {
    const where = `s3://${this.options.bucket}/${recentBandKeyOf(shard)}`;
    let body: Uint8Array;
    try {
      const out = await this.options.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: recentBandKeyOf(shard) }),
      );
      if (!out.Body) throw new Error('empty response body');
      body = await out.Body.transformToByteArray();
    } catch (error) {
      if (isNoSuchKey(error)) return undefined;
      throw new DependencyError(`Could not read the recent band ${where}`, { cause: error });
    }
    return parseRecentBands(body, where);
  }

  public async save(shard: Shard, bands: RecentBands): Promise<void> {
    try {
      await this.options.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: recentBandKeyOf(shard),
          Body: encodeRecentBands(bands),
          ContentType: 'application/gzip',
        }),
      );
    } catch (error) {
      throw new DependencyError(
        `Could not write the recent band s3://${this.options.bucket}/${recentBandKeyOf(shard)}`,
        { cause: error },
      );
    }
  }
}
