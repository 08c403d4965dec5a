// (SPA) the anomaly chart's data, pure: one x axis for the series' points and its anomalies, so anomaly
// markers sit at their own time even when the line is downsampled into buckets.
import type { AnomalyItem, BandPoint, HealthSeries, Point, Severity } from '../../shared/api/types';

/** Marker groups drawn over the line, in legend order. */
export const MARKER_GROUPS = ['critical', 'high', 'medium', 'low', 'false-positive'] as const;
export type MarkerGroup = (typeof MARKER_GROUPS)[number];

/** A false-positive mark outranks severity: a dismissed anomaly is drawn as dismissed. */
export function markerGroupOf(a: Pick<AnomalyItem, 'severity' | 'feedback'>): MarkerGroup {
  return a.feedback?.label === 'false-positive' ? 'false-positive' : (a.severity as Severity);
}

/**
 * Columns in uPlot's aligned-data layout: x in seconds, then value, min, max, the expected band's low and
 * high, and one per marker group.
 */
export interface ChartColumns {
  readonly x: number[];
  readonly value: (number | null)[];
  readonly min: (number | null)[];
  readonly max: (number | null)[];
  readonly low: (number | null)[];
  readonly high: (number | null)[];
  /** The anomalies at each x (same index), for the hover. */
  readonly at: (readonly AnomalyItem[])[];
  readonly markers: Record<MarkerGroup, (number | null)[]>;
  /** Anomalies that fell inside the points' time range. */
  readonly shown: number;
}

export function chartColumns(
  points: readonly Point[],
  anomalies: readonly AnomalyItem[],
  from: number,
  to: number,
  band: readonly BandPoint[] = [],
): ChartColumns {
  const inRange = anomalies.filter((a) => a.ts >= from && a.ts <= to);
  const byTs = new Map<number, { point?: Point; band?: BandPoint; anomalies: AnomalyItem[] }>();
  for (const p of points) byTs.set(p.ts, { point: p, anomalies: [] });
  // The API stamps band entries like the points (same buckets), so they share x values.
  for (const b of band) {
    if (b.ts < from || b.ts > to) continue;
    const slot = byTs.get(b.ts);
    if (slot) slot.band = b;
    else byTs.set(b.ts, { band: b, anomalies: [] });
  }
  for (const a of inRange) {
    const slot = byTs.get(a.ts);
    if (slot) slot.anomalies.push(a);
    else byTs.set(a.ts, { anomalies: [a] });
  }
  const times = [...byTs.keys()].sort((a, b) => a - b);
  const x: number[] = [];
  const value: (number | null)[] = [];
  const min: (number | null)[] = [];
  const max: (number | null)[] = [];
  const low: (number | null)[] = [];
  const high: (number | null)[] = [];
  const at: AnomalyItem[][] = [];
  const markers = Object.fromEntries(MARKER_GROUPS.map((g) => [g, [] as (number | null)[]])) as Record<
    MarkerGroup,
    (number | null)[]
  >;
  for (const ts of times) {
    const slot = byTs.get(ts)!;
    x.push(ts / 1000);
    value.push(slot.point ? slot.point.value : null);
    min.push(slot.point?.min ?? null);
    max.push(slot.point?.max ?? null);
    low.push(slot.band?.low ?? null);
    high.push(slot.band?.high ?? null);
    at.push(slot.anomalies);
    for (const g of MARKER_GROUPS) {
      // Two anomalies of one group at one instant draw one marker, at the larger value.
      const vals = slot.anomalies.filter((a) => markerGroupOf(a) === g).map((a) => a.value);
      markers[g].push(vals.length ? Math.max(...vals) : null);
    }
  }
  return { x, value, min, max, low, high, at, markers, shown: inRange.length };
}

/** The series whose last anomaly is the newest one after `from` (empty when none). */
export function newestAnomalySeries(series: readonly HealthSeries[], from: number): string {
  let best: HealthSeries | undefined;
  for (const s of series) {
    const ts = s.lastAnomaly?.ts ?? Number.NEGATIVE_INFINITY;
    if (ts >= from && ts > (best?.lastAnomaly?.ts ?? Number.NEGATIVE_INFINITY)) best = s;
  }
  return best?.id ?? '';
}
