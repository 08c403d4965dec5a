// (adapter) how a shard's kept band (domain/recent-band.ts) is stored: gzipped JSON with each series'
// band as three columns — offsets before the cycle time (ms), lows, highs at 7 significant digits (a
// drawn band, far finer than a sparkline's pixels) — so a 5,000-series shard's hour stays a few MB.
// Validated on the way back in (a stored object is parsed, never trusted). Shared by the S3 adapter
// and its tests.
import { z } from 'zod';
import type { BandPoint } from '../api/types';
import type { RecentBands } from '../domain/recent-band';
import { ValidationError } from '../errors';
import { encodeGzipJson, parseGzipJson } from './gzip-json';

const finite = z.number().finite();
/** At most a 1-second series' hour of points per series. */
const column = z.array(finite).max(3600);

const StoredSchema = z.strictObject({
  v: z.literal(1),
  at: finite,
  series: z.record(
    z.string().min(1).max(1024),
    z.tuple([z.array(z.number().int().min(0)).max(3600), column, column]),
  ),
});

const round = (x: number) => Number(x.toPrecision(7));

/** Serialise a shard's kept band as the store keeps it. */
export function encodeRecentBands(bands: RecentBands): Buffer {
  const series: Record<string, [number[], number[], number[]]> = {};
  for (const [id, points] of Object.entries(bands.series)) {
    series[id] = [
      points.map((p) => bands.at - p.ts),
      points.map((p) => round(p.low)),
      points.map((p) => round(p.high)),
    ];
  }
  return encodeGzipJson({ v: 1, at: bands.at, series });
}

/** Parse a stored band body. @throws ValidationError naming what is wrong */
export function parseRecentBands(body: Uint8Array, where: string): RecentBands {
  const stored = parseGzipJson(body, StoredSchema, `Recent band ${where}`);
  const { at } = stored;
  const series: Record<string, BandPoint[]> = {};
  for (const [id, [offsets, lows, highs]] of Object.entries(stored.series)) {
    if (lows.length !== offsets.length || highs.length !== offsets.length)
      throw new ValidationError(`Recent band ${where} is malformed`, [
        `series.${id}: columns differ in length`,
      ]);
    series[id] = offsets.map((o, i) => ({ ts: at - o, low: lows[i]!, high: highs[i]! }));
  }
  return { at, series };
}
