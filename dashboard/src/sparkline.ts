// (SPA) tile sparklines as inline SVG: 50 tiles of a 60-point line cost less as polylines than as 50
// canvas charts, and they scale with the tile. Behind the line, the detector's expected range as detect
// judged each point (the API's `sparklineBand`), on the same scale, so a point outside it is visibly out.

import type { BandPoint, Point } from '../../shared/api/types';
import { svg } from './dom';

/** The line's `points` and the band's polygon `points` in a w×h box (y grows downwards). */
export interface SparkGeometry {
  readonly line: string;
  /** Empty when there is no band inside the line's time span. */
  readonly band: string;
}

/**
 * Line and band for values in a w×h box (1px padding), scaled together over both so the band is never
 * cut off. A flat line sits in the middle; non-finite values and band points outside the line's time
 * span are skipped.
 */
export function sparkGeometry(
  points: readonly Point[],
  band: readonly BandPoint[],
  w: number,
  hgt: number,
): SparkGeometry {
  const ok = points.filter((p) => Number.isFinite(p.value) && Number.isFinite(p.ts));
  if (ok.length === 0) return { line: '', band: '' };
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
  for (const b of inSpan) {
    lo = Math.min(lo, b.low);
    hi = Math.max(hi, b.high);
  }
  const pad = 1;
  const x = (ts: number): number => (t1 === t0 ? w / 2 : pad + ((ts - t0) / (t1 - t0)) * (w - 2 * pad));
  const y = (v: number): number => (hi === lo ? hgt / 2 : pad + (1 - (v - lo) / (hi - lo)) * (hgt - 2 * pad));
  const xy = (ts: number, v: number) => `${x(ts).toFixed(1)},${y(v).toFixed(1)}`;
  const line = ok.map((p) => xy(p.ts, p.value)).join(' ');
  const area =
    inSpan.length < 2
      ? ''
      : [...inSpan.map((b) => xy(b.ts, b.high)), ...[...inSpan].reverse().map((b) => xy(b.ts, b.low))].join(
          ' ',
        );
  return { line, band: area };
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
  const area = geometry.band ? svg('polygon', { points: geometry.band, class: 'spark-band' }) : null;
  return svg(
    'svg',
    {
      class: 'spark',
      viewBox: `0 0 ${w} ${hgt}`,
      preserveAspectRatio: 'none',
      'aria-hidden': 'true',
      focusable: 'false',
    },
    ...(area ? [area, line] : [line]),
  );
}
