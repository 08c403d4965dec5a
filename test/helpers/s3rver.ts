// Test helper: a wire-compatible S3 (s3rver) on loopback, started by the test, data in a temp folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { localS3Config } from '../../shared/adapters/s3-model-store';

// s3rver ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (
  options: Record<string, unknown>,
) => {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
};

/** A running s3rver with one bucket. */
export interface TestS3 {
  readonly client: S3Client;
  readonly bucket: string;
  close(): Promise<void>;
}

/** Start s3rver on a free loopback port with `bucket` created. */
export async function startS3rver(bucket = 'models'): Promise<TestS3> {
  const directory = mkdtempSync(path.join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const client = new S3Client(localS3Config(`http://127.0.0.1:${port}`));
  return {
    client,
    bucket,
    close: async () => {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
