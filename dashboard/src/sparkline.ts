// (SPA) tile sparklines as inline SVG: 50 tiles of a 60-point line cost less as polylines than as 50
// canvas charts, and they scale with the tile. Behind the line, the detector's expected range as detect
// judged each point (the API's `sparklineBand`), on the same scale, so a point outside it is visibly out.
// (An inline svg clips what falls outside its box.)

import type { BandPoint, Point } from '../../shared/api/types';
import { svg } from './dom';

/** The line's `points` and the band's polygons' `points` in a w×h box (y grows downwards). */
export interface SparkGeometry {
  readonly line: string;
  /** One polygon per unbroken run of the band inside the line's time span; none without a band. */
  readonly band: readonly string[];
}

/**
 * Line and band for values in a w×h box (1px padding). The scale is the line's, widened by the band by
 * at most the line's own range each side: a band far wider than the line (a calm series) fills the
 * tile, clipped, instead of flattening the line. The band breaks where its points are more than twice
 * their usual spacing apart (never drawn across a gap). Non-finite values and band points outside the
 * line's time span are skipped.
 */
export function sparkGeometry(
  points: readonly Point[],
  band: readonly BandPoint[],
  w: number,
  hgt: number,
): SparkGeometry {
  const ok = points.filter((p) => Number.isFinite(p.value) && Number.isFinite(p.ts));
  if (ok.length === 0) return { line: '', band: [] };
  const t0 = ok[0]!.ts;
  const t1 = ok[ok.length - 1]!.ts;
  const inSpan = band.filter(
    (b) => b.ts >= t0 && b.ts <= t1 && Number.isFinite(b.low) && Number.isFinite(b.high) && b.high >= b.low,
  );
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const p of ok) {
    lo = Math.min(lo, p.value);
    hi = Math.max(hi, p.value);
  }
  const reach = hi > lo ? hi - lo : Math.max(Math.abs(hi) * 0.1, 1e-9);
  const lineLo = lo;
  const lineHi = hi;
  for (const b of inSpan) {
    lo = Math.min(lo, Math.max(b.low, lineLo - reach));
    hi = Math.max(hi, Math.min(b.high, lineHi + reach));
  }
  const pad = 1;
  const x = (ts: number): number => (t1 === t0 ? w / 2 : pad + ((ts - t0) / (t1 - t0)) * (w - 2 * pad));
  const y = (v: number): number => (hi === lo ? hgt / 2 : pad + (1 - (v - lo) / (hi - lo)) * (hgt - 2 * pad));
  const xy = (ts: number, v: number) => `${x(ts).toFixed(1)},${y(v).toFixed(1)}`;
  const line = ok.map((p) => xy(p.ts, p.value)).join(' ');
  const polygons = runsOf(inSpan)
    .filter((run) => run.length >= 2)
    .map((run) =>
      [...run.map((b) => xy(b.ts, b.high)), ...[...run].reverse().map((b) => xy(b.ts, b.low))].join(' '),
    );
  return { line, band: polygons };
}

/** Band points split where a gap is more than twice the median spacing. */
function runsOf(band: readonly BandPoint[]): BandPoint[][] {
  if (band.length < 2) return band.length ? [[...band]] : [];
  const steps = band
    .slice(1)
    .map((b, i) => b.ts - band[i]!.ts)
    .sort((a, b) => a - b);
  const usual = steps[Math.floor(steps.length / 2)]!;
  const runs: BandPoint[][] = [[band[0]!]];
  for (let i = 1; i < band.length; i++) {
    if (band[i]!.ts - band[i - 1]!.ts > 2 * usual) runs.push([]);
    runs.at(-1)!.push(band[i]!);
  }
  return runs;
}

/** The polyline `points` attribute of a line alone (see {@link sparkGeometry}). */
export function sparkPoints(points: readonly Point[], w: number, hgt: number): string {
  return sparkGeometry(points, [], w, hgt).line;
}

/** An SVG sparkline with its expected band; decorative to assistive tech (the tile states the value in text). */
export function sparkline(
  points: readonly Point[],
  tone: string,
  band: readonly BandPoint[] = [],
): SVGSVGElement {
  const w = 120;
  const hgt = 32;
  const geometry = sparkGeometry(points, band, w, hgt);
  const line = svg('polyline', { points: geometry.line, class: `spark-line tone-${tone}` });
  const areas = geometry.band.map((points) => svg('polygon', { points, class: 'spark-band' }));
  return svg(
    'svg',
    {
      class: 'spark',
      viewBox: `0 0 ${w} ${hgt}`,
      preserveAspectRatio: 'none',
      'aria-hidden': 'true',
      focusable: 'false',
    },
    ...areas,
    line,
  );
}
