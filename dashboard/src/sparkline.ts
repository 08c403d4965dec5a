// (SPA) tile sparklines as inline SVG: 50 tiles of a 60-point line cost less as polylines than as 50
// canvas charts, and they scale with the tile.

import type { Point } from '../../shared/api/types';
import { svg } from './dom';

/**
 * The polyline `points` attribute for values in a w×h box (y grows downwards, 1px padding). A flat line
 * sits in the middle; non-finite values are skipped.
 */
export function sparkPoints(points: readonly Point[], w: number, hgt: number): string {
  const ok = points.filter((p) => Number.isFinite(p.value) && Number.isFinite(p.ts));
  if (ok.length === 0) return '';
  const t0 = ok[0]!.ts;
  const t1 = ok[ok.length - 1]!.ts;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const p of ok) {
    lo = Math.min(lo, p.value);
    hi = Math.max(hi, p.value);
  }
  const pad = 1;
  const x = (ts: number): number => (t1 === t0 ? w / 2 : pad + ((ts - t0) / (t1 - t0)) * (w - 2 * pad));
  const y = (v: number): number => (hi === lo ? hgt / 2 : pad + (1 - (v - lo) / (hi - lo)) * (hgt - 2 * pad));
  return ok.map((p) => `${x(p.ts).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
}

/** An SVG sparkline; decorative to assistive tech (the tile states the value in text). */
export function sparkline(points: readonly Point[], tone: string): SVGSVGElement {
  const w = 120;
  const hgt = 32;
  const line = svg('polyline', { points: sparkPoints(points, w, hgt), class: `spark-line tone-${tone}` });
  return svg(
    'svg',
    {
      class: 'spark',
      viewBox: `0 0 ${w} ${hgt}`,
      preserveAspectRatio: 'none',
      'aria-hidden': 'true',
      focusable: 'false',
    },
    line,
  );
}
