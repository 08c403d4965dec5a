// (adapter) how a detector checkpoint is stored: gzipped JSON, its shape validated on the way back in
// (a stored object is parsed, never trusted). Shared by the S3 and the in-memory checkpoint stores.
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import type { DetectorSnapshot } from '../domain/detectors/series-detector';
import { ValidationError } from '../errors';
import { formatIssues } from '../monitor-config';

const finite = z.number().finite();
const numbers = z.array(finite);
const fading = z
  .strictObject({ count: z.number().int().min(0), arrivals: numbers, keys: numbers })
  .nullable();

/** The snapshot's JSON shape. */
export const SnapshotSchema = z.strictObject({
  fingerprint: z.string().min(1).max(4096),
  lastTs: finite,
  windows: z.strictObject({
    level: numbers,
    levelResiduals: numbers,
    steps: numbers,
    pointHistory: numbers,
    shiftHistory: numbers,
    seasons: z.array(numbers).max(2),
  }),
  faded: z.strictObject({ point: fading, shift: fading }),
  recent: numbers,
  past: z.strictObject({ tsDeltas: numbers, values: numbers }),
  firstTs: finite.nullable(),
  previous: finite.nullable(),
  index: z.number().int().min(0),
  lastFire: finite.nullable(),
  lastFireRank: z.number().int().min(0).max(3),
  resolution: finite.min(0),
  resolutionAt: finite.nullable(),
});

/** Parse a stored checkpoint body (gzipped JSON). @throws ValidationError naming what is wrong */
export function parseCheckpoint(body: Uint8Array, where: string): DetectorSnapshot {
  let raw: unknown;
  try {
    raw = JSON.parse(gunzipSync(body).toString('utf8'));
  } catch (cause) {
    throw new ValidationError(`Detector checkpoint ${where} is not gzipped JSON`, [], { cause });
  }
  const parsed = SnapshotSchema.safeParse(raw);
  if (!parsed.success)
    throw new ValidationError(`Detector checkpoint ${where} is malformed`, formatIssues(parsed.error));
  return parsed.data;
}

/** Serialise a checkpoint as the store keeps it. */
export function encodeCheckpoint(snapshot: DetectorSnapshot): Buffer {
  return gzipSync(JSON.stringify(snapshot));
}
