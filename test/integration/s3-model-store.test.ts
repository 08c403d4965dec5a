import { PutObjectCommand } from '@aws-sdk/client-s3';
import { S3ModelStore } from '../../shared/adapters/s3-model-store';
import { IsolationForest } from '../../shared/domain/isolation-forest';
import { createRng } from '../../shared/domain/random';
import { NotFoundError, ValidationError } from '../../shared/errors';
import { startS3rver, type TestS3 } from '../helpers/s3rver';

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(async () => s3.close());

const T0 = Date.UTC(2026, 10, 24, 12);

describe('S3ModelStore (s3rver)', () => {
  it('saves a trained forest under a versioned key, moves latest, and loads it back with identical scores', async () => {
    const rng = createRng(7);
    const rows = Array.from({ length: 500 }, () => [rng.normal(0, 1), rng.normal(0, 1)]);
    const forest = IsolationForest.fit(rows, { seed: 7 });
    const store = new S3ModelStore({ client: s3.client, bucket: s3.bucket });
    const first = await store.save('infra', forest.toJSON(), {
      kind: 'isolation-forest',
      createdAt: T0,
      rows: 500,
    });
    expect(first.key).toMatch(/^models\/infra\/v\/20261124T120000000Z-[0-9a-f]{1,4}\.json$/);
    const second = await store.save('infra', forest.toJSON(), {
      kind: 'isolation-forest',
      createdAt: T0 + 1000,
    });
    const loaded = await store.loadLatest('infra');
    expect(loaded.key).toBe(second.key);
    expect(loaded.metadata).toMatchObject({
      kind: 'isolation-forest',
      version: second.version,
      createdAt: T0 + 1000,
    });
    const back = IsolationForest.fromJSON(loaded.body);
    for (const row of [
      [0, 0],
      [4, 4],
      [-3, 1],
    ])
      expect(back.score(row)).toBe(forest.score(row));
  });

  it('says clearly when there is no model, or when the pointer or the body is corrupt', async () => {
    const store = new S3ModelStore({ client: s3.client, bucket: s3.bucket });
    await expect(store.loadLatest('never-trained')).rejects.toThrow(NotFoundError);
    await expect(store.loadLatest('never-trained')).rejects.toThrow(/No trained model "never-trained"/);

    const put = (Key: string, Body: string) =>
      s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key, Body }));
    await put('models/broken/latest.json', '{"key": 42}');
    await expect(store.loadLatest('broken')).rejects.toThrow(ValidationError);
    await put(
      'models/escape/latest.json',
      JSON.stringify({ key: 'secrets/x.json', metadata: { kind: 'k', version: 'v', createdAt: 1 } }),
    );
    await expect(store.loadLatest('escape')).rejects.toThrow(/outside models\/escape\/v\//);
    await put('models/trunc/v/1.json', '{"format": "isolation-fo');
    await put(
      'models/trunc/latest.json',
      JSON.stringify({ key: 'models/trunc/v/1.json', metadata: { kind: 'k', version: '1', createdAt: 1 } }),
    );
    await expect(store.loadLatest('trunc')).rejects.toThrow(/is corrupt: .* is not valid JSON/);
    await expect(store.loadLatest('../etc')).rejects.toThrow(ValidationError);
  });
});
