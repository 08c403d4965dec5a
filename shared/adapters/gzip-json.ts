// (adapter) the stored-object format the detector state uses: gzipped JSON, parsed against a zod schema
// on the way back in (a stored object is parsed, never trusted), errors naming the object and the field.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { z } from 'zod';
import { ValidationError } from '../errors';
import { formatIssues } from '../monitor-config';

/** `value` as a gzipped JSON body. */
export function encodeGzipJson(value: unknown): Buffer {
  return gzipSync(JSON.stringify(value));
}

/**
 * Parse a gzipped JSON body with `schema`.
 * @param what - what the object is, for the message ("Detector checkpoint s3://b/k")
 * @throws ValidationError "<what> is not gzipped JSON" or "<what> is malformed: <issues>"
 */
export function parseGzipJson<S extends z.ZodType>(body: Uint8Array, schema: S, what: string): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(gunzipSync(body).toString('utf8'));
  } catch (cause) {
    throw new ValidationError(`${what} is not gzipped JSON`, [], { cause });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ValidationError(`${what} is malformed`, formatIssues(parsed.error));
  return parsed.data;
}
