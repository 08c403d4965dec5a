// (adapter) --> SecretReader port: a destination's key from Secrets Manager (GetSecretValue, optionally
// one JSON key of the SecretString) or an SSM SecureString (GetParameter WithDecryption), cached for a
// few minutes per warm container so a burst of alerts costs one read, and a rotated key is picked up soon.
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { SecretRef } from '../config/alert-delivery';
import { DependencyError, ValidationError } from '../errors';
import type { SecretReader } from '../ports';

/** Settings of the AWS secret reader. */
export interface AwsSecretReaderOptions {
  /** Needed when a ref names a Secrets Manager secret. */
  readonly secretsManager?: SecretsManagerClient;
  /** Needed when a ref names an SSM parameter. */
  readonly ssm?: SSMClient;
  /** How long a value is reused. @default 300_000 (5 min) */
  readonly ttlMs?: number;
  /** Injected for tests. @default Date.now */
  readonly now?: () => number;
}

/** Reads and caches secrets; a failed read is not cached (the next call tries again). */
export class AwsSecretReader implements SecretReader {
  private readonly cache = new Map<string, { readonly value: Promise<string>; readonly at: number }>();

  public constructor(private readonly options: AwsSecretReaderOptions) {}

  /** The secret's value, from the cache when read less than `ttlMs` ago. */
  public read(ref: SecretRef): Promise<string> {
    const key = JSON.stringify(ref);
    const now = (this.options.now ?? Date.now)();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < (this.options.ttlMs ?? 300_000)) return hit.value;
    const value = this.fetch(ref);
    this.cache.set(key, { value, at: now });
    value.catch(() => {
      if (this.cache.get(key)?.value === value) this.cache.delete(key);
    });
    return value;
  }

  private async fetch(ref: SecretRef): Promise<string> {
    if ('secretsManagerArn' in ref) {
      const client = this.options.secretsManager;
      if (!client)
        throw new DependencyError('No Secrets Manager client configured', { field: 'secretsManagerArn' });
      let text: string | undefined;
      try {
        const out = await client.send(new GetSecretValueCommand({ SecretId: ref.secretsManagerArn }));
        text = out.SecretString;
      } catch (cause) {
        throw new DependencyError(`Secrets Manager GetSecretValue failed for ${ref.secretsManagerArn}`, {
          cause,
        });
      }
      return secretValueOf(text, ref.secretsManagerArn, ref.jsonKey);
    }
    const client = this.options.ssm;
    if (!client) throw new DependencyError('No SSM client configured', { field: 'ssmParameter' });
    let text: string | undefined;
    try {
      const out = await client.send(
        new GetParameterCommand({ Name: ref.ssmParameter, WithDecryption: true }),
      );
      if (out.Parameter?.Type !== undefined && out.Parameter.Type !== 'SecureString') {
        throw new ValidationError(`SSM parameter ${ref.ssmParameter} must be a SecureString`, [], {
          field: 'ssmParameter',
        });
      }
      text = out.Parameter?.Value;
    } catch (cause) {
      if (cause instanceof ValidationError) throw cause;
      throw new DependencyError(`SSM GetParameter failed for ${ref.ssmParameter}`, { cause });
    }
    return secretValueOf(text, ref.ssmParameter);
  }
}

function secretValueOf(text: string | undefined, name: string, jsonKey?: string): string {
  if (text === undefined || text.trim() === '') throw new ValidationError(`Secret ${name} is empty`);
  if (jsonKey === undefined) return text.trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ValidationError(`Secret ${name} is not JSON (jsonKey ${jsonKey} was asked for)`, [], {
      cause,
      field: 'jsonKey',
    });
  }
  const value = (parsed as Record<string, unknown> | null)?.[jsonKey];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ValidationError(`Secret ${name} has no string ${jsonKey}`, [], { field: 'jsonKey' });
  }
  return value.trim();
}
