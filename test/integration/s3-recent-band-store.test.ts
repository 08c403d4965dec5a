// The kept band's S3 adapter against s3rver: one object per shard beside the shard's checkpoints (under
// the prefix its function is already granted), a shard that never wrote reads as none, a corrupt object
// or a missing bucket is an error naming the object.
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { S3CheckpointStore } from '../../shared/adapters/s3-checkpoint-store';
import { recentBandKeyOf, S3RecentBandStore } from '../../shared/adapters/s3-recent-band-store';
import { shardsOf, WHOLE_FLEET } from '../../shared/domain/shards';
import { DependencyError, ValidationError } from '../../shared/errors';
import { startS3rver, type TestS3 } from '../helpers/s3rver';

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3rver('band-test');
});
afterAll(async () => s3.close());

const NOW = Date.UTC(2026, 11, 4, 12);

describe('S3RecentBandStore (s3rver)', () => {
  it('keeps one object per shard under that shard’s checkpoint prefix, and reads it back', async () => {
    // Prepare
    const store = new S3RecentBandStore({ client: s3.client, bucket: s3.bucket });
    const [first, second] = shardsOf(2);
    const bands = { at: NOW, series: { 'A/b c': [{ ts: NOW - 60_000, low: 1.5, high: 2.25 }] } };

    // Act
    await store.save(first!, bands);
    await store.save(second!, { at: NOW, series: {} });

    // Assess
    expect(await store.load(first!)).toEqual(bands);
    expect(await store.load(second!)).toEqual({ at: NOW, series: {} });
    expect(await store.load(WHOLE_FLEET)).toBeUndefined();
    expect(recentBandKeyOf(first!)).toBe('detector-state/0of2/band/recent.json.gz');
    expect(recentBandKeyOf(WHOLE_FLEET)).toBe('detector-state/band/recent.json.gz');
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
    expect(listed.Contents?.map((o) => o.Key).sort()).toEqual([
      'detector-state/0of2/band/recent.json.gz',
      'detector-state/1of2/band/recent.json.gz',
    ]);
    // No series checkpoint can land on the band's key: ids are URL-encoded, so they never hold a '/'.
    const checkpoints = new S3CheckpointStore({
      client: s3.client,
      bucket: s3.bucket,
      prefix: 'detector-state/0of2',
    });
    expect(checkpoints.keyOf('band/recent')).not.toBe(recentBandKeyOf(first!).replace(/\.json\.gz$/, ''));
    expect(checkpoints.keyOf('band/recent')).toBe('detector-state/0of2/band%2Frecent.json.gz');
  });

  it('names the object when it is corrupt, and the bucket when it cannot be reached', async () => {
    const store = new S3RecentBandStore({ client: s3.client, bucket: s3.bucket });
    const [, shard] = shardsOf(3);
    await s3.client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: recentBandKeyOf(shard!), Body: 'x' }),
    );
    await expect(store.load(shard!)).rejects.toThrow(ValidationError);
    await expect(store.load(shard!)).rejects.toThrow(
      `Recent band s3://${s3.bucket}/detector-state/1of3/band/recent.json.gz is not gzipped JSON`,
    );
    const missing = new S3RecentBandStore({ client: s3.client, bucket: 'no-such-bucket' });
    await expect(missing.load(shard!)).rejects.toThrow(DependencyError);
    await expect(missing.save(shard!, { at: NOW, series: {} })).rejects.toThrow(
      'Could not write the recent band s3://no-such-bucket/detector-state/1of3/band/recent.json.gz',
    );
  });
});
