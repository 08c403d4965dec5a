// (adapter) how a detector checkpoint is stored: gzipped JSON, its shape validated on the way back in
// (a stored object is parsed, never trusted). Shared by the S3 and the in-memory checkpoint stores.
import { z } from 'zod';
import type { DetectorSnapshot } from '../domain/detectors/series-detector';
import { encodeGzipJson, parseGzipJson } from './gzip-json';

const finite = z.number().finite();
const numbers = z.array(finite);
const nullable = finite.nullable();
const count = z.number().int().min(0);
const scale = z.strictObject({ mean: finite.min(0), n: count });
const tail = z.strictObject({
  bins: z.array(z.tuple([z.number().int().min(0), finite.min(0)])).max(4096),
  unit: finite.min(1),
  total: finite.min(0),
});

/** The snapshot's JSON shape (the domain checks capacities and order on restore). */
export const SnapshotSchema = z.strictObject({
  fingerprint: z.string().min(1).max(4096),
  lastTs: finite,
  baseline: z.strictObject({
    level: numbers,
    levelScale: scale,
    levelFit: scale,
    stepScale: scale,
    profiles: z.array(z.strictObject({ values: numbers, counts: numbers, scale, fit: scale })).max(2),
    firstTs: nullable,
    resolution: finite.min(0),
    sinceResolution: count,
  }),
  tails: z.strictObject({ point: tail, shift: tail, incidentPoint: tail, incidentShift: tail }),
  incident: z.strictObject({
    open: z.boolean(),
    dir: z.number().int().min(-1).max(1),
    start: z.number().int(),
    elevated: count,
    normalRun: count,
    accepted: z.boolean(),
    base0: nullable,
    low: nullable,
    high: nullable,
    pending: numbers.max(2),
    recoveryLow: nullable,
    recoveryHigh: nullable,
    recoveryDir: z.number().int().min(-1).max(1),
    recoveryUntil: z.number().int(),
    lastIncident: z.number().int(),
  }),
  recent: z.array(numbers).length(3),
  previous: nullable,
  index: count,
  lastFire: nullable,
  lastFireRank: z.number().int().min(0).max(3),
  seenLow: nullable,
  seenHigh: nullable,
});

/** Parse a stored checkpoint body (gzipped JSON). @throws ValidationError naming what is wrong */
export function parseCheckpoint(body: Uint8Array, where: string): DetectorSnapshot {
  return parseGzipJson(body, SnapshotSchema, `Detector checkpoint ${where}`);
}

/** Serialise a checkpoint as the store keeps it. */
export function encodeCheckpoint(snapshot: DetectorSnapshot): Buffer {
  return encodeGzipJson(snapshot);
}
