import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { S3CheckpointStore } from '../../shared/adapters/s3-checkpoint-store';
import { SeriesDetector } from '../../shared/domain/detectors/series-detector';
import { DependencyError, ValidationError } from '../../shared/errors';
import { parseMonitorConfig } from '../../shared/monitor-config';
import { startS3rver, type TestS3 } from '../helpers/s3rver';
import { noise } from '../helpers/series';

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3rver('detector-state-test');
});
afterAll(async () => s3.close());

const detection = parseMonitorConfig({
  series: [{ metric: 'x', namespace: 'N', metricName: 'M' }],
}).detection;
const MIN = 60_000;
const SERIES = 'AWS/RDS/CPUUtilization/DBInstanceIdentifier=main/Average/60';

describe('S3CheckpointStore (s3rver)', () => {
  it('saves a detector checkpoint and loads it back into a detector that continues the stream exactly', async () => {
    const store = new S3CheckpointStore({ client: s3.client, bucket: s3.bucket });
    const values = noise(6000, 40, 3, 4);
    values[5500] = 95;
    const first = new SeriesDetector(detection, MIN);
    const warm = (d: SeriesDetector) => {
      values.slice(0, 5000).forEach((v, i) => {
        d.push(i * MIN, v);
      });
    };
    warm(first);
    await store.save(SERIES, first.snapshot());
    expect(store.keyOf(SERIES)).toBe(`detector-state/${encodeURIComponent(SERIES)}.json.gz`);

    const loaded = await store.load(SERIES);
    const resumed = SeriesDetector.restore(detection, MIN, 1, loaded!)!;
    const tail = (d: SeriesDetector) => values.slice(5000).map((v, i) => d.push((5000 + i) * MIN, v));
    const reference = new SeriesDetector(detection, MIN);
    warm(reference);
    const expected = tail(reference);
    expect(tail(resumed)).toEqual(expected);
    expect(expected[500]!.fired).toBe(true);
  });

  it('has no checkpoint for a series never saved, and overwrites on save', async () => {
    const store = new S3CheckpointStore({ client: s3.client, bucket: s3.bucket });
    expect(await store.load('never/saved')).toBeUndefined();
    const d = new SeriesDetector(detection, MIN);
    d.push(0, 1);
    await store.save('twice', d.snapshot());
    d.push(MIN, 2);
    await store.save('twice', d.snapshot());
    expect((await store.load('twice'))!.lastTs).toBe(MIN);
  });

  it('says clearly when a stored checkpoint is corrupt, and when S3 cannot be reached', async () => {
    const store = new S3CheckpointStore({ client: s3.client, bucket: s3.bucket });
    const put = (series: string, Body: Uint8Array | string) =>
      s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: store.keyOf(series), Body }));
    await put('not-gzip', 'hello');
    await expect(store.load('not-gzip')).rejects.toThrow(/not gzipped JSON/);
    await put('wrong-shape', gzipSync(JSON.stringify({ fingerprint: 'x', lastTs: 'yesterday' })));
    await expect(store.load('wrong-shape')).rejects.toThrow(ValidationError);
    await expect(store.load('wrong-shape')).rejects.toThrow(/lastTs/);
    const missingBucket = new S3CheckpointStore({ client: s3.client, bucket: 'no-such-bucket' });
    await expect(missingBucket.load('x')).rejects.toThrow(/Could not read detector checkpoint/);
    await expect(missingBucket.save('x', new SeriesDetector(detection, MIN).snapshot())).rejects.toThrow(
      DependencyError,
    );
  });
});
