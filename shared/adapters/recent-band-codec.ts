// (adapter) how a shard's kept band (domain/recent-band.ts) is stored: gzipped JSON with each series'
// band as three columns — offsets before the cycle time (ms), lows, highs rounded to a ten-thousandth
// of that range's width (a drawn band: far finer than a sparkline's pixels, whatever the value's size)
// — so a 5,000-series shard's hour stays a few MB.
// Validated on the way back in (a stored object is parsed, never trusted). Shared by the S3 adapter
// and its tests.
import { z } from 'zod';
import type { BandPoint } from '../api/types';
import { MAX_BAND_POINTS, type RecentBands } from '../domain/recent-band';
import { ValidationError } from '../errors';
import { encodeGzipJson, parseGzipJson } from './gzip-json';

const finite = z.number().finite();
const column = z.array(finite).max(MAX_BAND_POINTS);

const StoredSchema = z.strictObject({
  v: z.literal(1),
  at: finite,
  series: z.record(
    z.string().min(1).max(1024),
    z.tuple([z.array(z.number().int().min(0)).max(MAX_BAND_POINTS), column, column]),
  ),
});

/** A range's ends rounded to 1/10,000 of its width (of its size when it has none). */
export function rounded(low: number, high: number): [number, number] {
  const width = high - low > 0 ? high - low : Math.max(Math.abs(low), Math.abs(high), 1e-9) * 1e-3;
  const exponent = Math.floor(Math.log10(width)) - 4;
  const step = 10 ** exponent;
  const at = (x: number) =>
    exponent < 0 ? Number((Math.round(x / step) * step).toFixed(-exponent)) : Math.round(x / step) * step;
  return [at(low), at(high)];
}

/** Serialise a shard's kept band as the store keeps it. */
export function encodeRecentBands(bands: RecentBands): Buffer {
  const series: Record<string, [number[], number[], number[]]> = {};
  for (const [id, points] of Object.entries(bands.series)) {
    const ends = points.map((p) => rounded(p.low, p.high));
    series[id] = [points.map((p) => bands.at - p.ts), ends.map((e) => e[0]), ends.map((e) => e[1])];
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
