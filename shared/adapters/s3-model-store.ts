// (adapter) --> ModelStore port: model JSON in S3 under `models/<name>/v/<version>.json`, and a small
// `models/<name>/latest.json` pointer written after it (so the pointer never names a missing object).
// Loading validates the pointer and parses the body; a missing or corrupt model is a clear error.
import { GetObjectCommand, PutObjectCommand, type S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { DependencyError, NotFoundError, ValidationError } from '../errors';
import { formatIssues } from '../monitor-config';
import type { LoadedModel, ModelMetadata, ModelStore } from '../ports';

/** Settings of the S3 model store. */
export interface S3ModelStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Key prefix. @default 'models' */
  readonly prefix?: string;
}

/**
 * S3 client settings for a local emulator (s3rver): path-style addressing, and checksums only when
 * required — otherwise the SDK's default aws-chunked uploads are stored with their framing bytes.
 */
export function localS3Config(endpoint: string): S3ClientConfig {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

const PointerSchema = z.object({
  key: z.string().min(1),
  metadata: z.looseObject({
    kind: z.string().min(1),
    version: z.string().min(1),
    createdAt: z.number().finite(),
  }),
});

/** Version id: sortable UTC time plus a random suffix, e.g. `20261124T110405123Z-3f9a`. */
export function modelVersion(createdAt: number, suffix: string): string {
  return `${new Date(createdAt).toISOString().replace(/[-:.]/g, '')}-${suffix}`;
}

function isNoSuchKey(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

/** S3-backed model store. */
export class S3ModelStore implements ModelStore {
  public constructor(private readonly options: S3ModelStoreOptions) {}

  private prefix(name: string): string {
    if (!NAME.test(name))
      throw new ValidationError('Invalid model name', [
        `name: "${name}" must be lowercase letters, digits, _ or -`,
      ]);
    return `${this.options.prefix ?? 'models'}/${name}`;
  }

  /** Write the versioned object, then the pointer. */
  public async save(
    name: string,
    body: unknown,
    metadata: ModelMetadata,
  ): Promise<{ key: string; version: string }> {
    const base = this.prefix(name);
    const version = modelVersion(metadata.createdAt, Math.random().toString(16).slice(2, 6));
    const key = `${base}/v/${version}.json`;
    const meta = { ...metadata, version };
    try {
      await this.options.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: JSON.stringify(body),
          ContentType: 'application/json',
          Metadata: { kind: metadata.kind, version },
        }),
      );
      await this.options.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: `${base}/latest.json`,
          Body: JSON.stringify({ key, metadata: meta }),
          ContentType: 'application/json',
        }),
      );
    } catch (cause) {
      throw new DependencyError(`Saving model ${name} to s3://${this.options.bucket}/${key} failed`, {
        cause,
      });
    }
    return { key, version };
  }

  private async getJson(key: string, what: string): Promise<unknown> {
    let text: string;
    try {
      const out = await this.options.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: key }),
      );
      text = (await out.Body?.transformToString('utf-8')) ?? '';
    } catch (error) {
      if (isNoSuchKey(error))
        throw new NotFoundError(`${what} not found: s3://${this.options.bucket}/${key}`, { cause: error });
      throw new DependencyError(`Reading s3://${this.options.bucket}/${key} failed`, { cause: error });
    }
    try {
      return JSON.parse(text);
    } catch (cause) {
      throw new ValidationError(
        `${what} is corrupt: s3://${this.options.bucket}/${key} is not valid JSON`,
        [],
        { cause },
      );
    }
  }

  /** Follow `latest` to the model; the body is returned parsed but not interpreted. */
  public async loadLatest(name: string): Promise<LoadedModel> {
    const base = this.prefix(name);
    const pointer = PointerSchema.safeParse(
      await this.getJson(`${base}/latest.json`, `No trained model "${name}": pointer`),
    );
    if (!pointer.success) {
      throw new ValidationError(`Model pointer ${base}/latest.json is corrupt`, formatIssues(pointer.error));
    }
    const { key, metadata } = pointer.data;
    if (!key.startsWith(`${base}/v/`)) {
      throw new ValidationError(`Model pointer ${base}/latest.json is corrupt`, [
        `key: ${key} is outside ${base}/v/`,
      ]);
    }
    const body = await this.getJson(key, `Model ${name} version ${metadata.version}`);
    return { key, metadata: metadata as LoadedModel['metadata'], body };
  }
}
