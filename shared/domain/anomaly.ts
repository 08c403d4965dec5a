// (domain) decide: run the detectors on a point, combine their verdicts into one anomaly with its
// explanation. Pure; the detect use case feeds it windows read from the store.
import type { DetectionConfig } from '../monitor-config';
import type { DetectorResult } from './detectors/detector';
import { scoreIqr } from './detectors/iqr';
import { scoreSpike } from './detectors/spike';
import { scoreZScore } from './detectors/zscore';
import { formatNumber } from './format';
import { type AlertLevel, alertLevelOf, compareSeverity, type SeriesSpec, type Severity } from './types';

/** One detector's contribution to an anomaly, kept for the explanation. */
export interface MethodFinding {
  readonly method: string;
  readonly deviation: number;
  readonly expectedLow: number;
  readonly expectedHigh: number;
  readonly severity: Severity;
}

/** A recorded anomaly: what, when, how far off, by which method, and how bad. */
export interface Anomaly {
  readonly series: string;
  readonly metric: string;
  readonly label: string;
  readonly ts: number;
  readonly value: number;
  /** Normal range according to the strongest method. */
  readonly expectedLow: number;
  readonly expectedHigh: number;
  readonly baseline: number;
  /** Deviation in the strongest method's unit (z, IQRs beyond the fence, or ratio). */
  readonly deviation: number;
  /** Combined score in [0, 1): 0.5 at the threshold, → 1 as the point gets more extreme. */
  readonly score: number;
  /** Every method that fired, strongest first. */
  readonly methods: readonly string[];
  readonly findings: readonly MethodFinding[];
  readonly severity: Severity;
  readonly level: AlertLevel;
  /** One readable sentence: value, expected range, deviation, methods, severity. */
  readonly explanation: string;
  /** Threshold multiplier in force (1 + the metric's feedback adjustment). */
  readonly sensitivity: number;
  readonly unit?: string;
}

/** Run every detector on `value` against `window` (finite values, oldest first). */
export function runDetectors(
  window: readonly number[],
  value: number,
  config: DetectionConfig,
  sensitivity = 1,
): DetectorResult[] {
  const minPoints = config.minPoints;
  return [
    scoreZScore(window, value, { ...config.zscore, minPoints }, sensitivity),
    scoreIqr(window, value, { ...config.iqr, minPoints }, sensitivity),
    scoreSpike(window, value, { ...config.spike, minPoints }, sensitivity),
  ];
}

const fmt = formatNumber;

function describe(r: DetectorResult): string {
  switch (r.method) {
    case 'zscore':
      return `z=${fmt(r.deviation)} vs mean ${fmt(r.baseline)}`;
    case 'iqr':
      return `${fmt(Math.abs(r.deviation))} IQR beyond the quartiles (median ${fmt(r.baseline)})`;
    case 'spike':
      return `${fmt(r.deviation)}× the median ${fmt(r.baseline)}`;
    default:
      return `${r.method} deviation ${fmt(r.deviation)}`;
  }
}

/**
 * Combine detector verdicts on one point into an anomaly, or null when none fired.
 * Severity is the worst fired severity; expected range and deviation come from the strongest method.
 */
export function decide(
  spec: Pick<SeriesSpec, 'id' | 'metric' | 'label' | 'unit'>,
  ts: number,
  value: number,
  results: readonly DetectorResult[],
  sensitivity = 1,
): Anomaly | null {
  const fired = results.filter((r) => r.fired && r.severity !== null).sort((a, b) => b.strength - a.strength);
  const primary = fired[0];
  if (primary === undefined) return null;
  let severity: Severity = 'low';
  for (const r of fired) if (r.severity && compareSeverity(r.severity, severity) > 0) severity = r.severity;
  const level = alertLevelOf(severity);
  const unit = spec.unit ? ` ${spec.unit}` : '';
  const explanation =
    `${spec.label} = ${fmt(value)}${unit} at ${new Date(ts).toISOString()}: outside expected ` +
    `${fmt(primary.expectedLow)}–${fmt(primary.expectedHigh)}${unit}; ` +
    `${fired.map((r) => `${r.method} ${describe(r)}`).join('; ')}. Severity ${severity} (${level}).`;
  return {
    series: spec.id,
    metric: spec.metric,
    label: spec.label,
    ts,
    value,
    expectedLow: primary.expectedLow,
    expectedHigh: primary.expectedHigh,
    baseline: primary.baseline,
    deviation: primary.deviation,
    score: primary.strength / (1 + primary.strength),
    methods: fired.map((r) => r.method),
    findings: fired.map((r) => ({
      method: r.method,
      deviation: r.deviation,
      expectedLow: r.expectedLow,
      expectedHigh: r.expectedHigh,
      severity: r.severity as Severity,
    })),
    severity,
    level,
    explanation,
    sensitivity,
    ...(spec.unit !== undefined ? { unit: spec.unit } : {}),
  };
}

/**
 * Visit every point of a series with `from <= ts <= to` with the detector verdicts against the points
 * of the `windowMinutes` before it (no look-ahead). `points` must be sorted by ts; non-finite values
 * are ignored (never scored, never in a window). The one windowing loop that detect and the NAB
 * benchmark share.
 */
export function scanSeries(
  points: readonly { ts: number; value: number }[],
  from: number,
  to: number,
  config: DetectionConfig,
  sensitivity: number,
  visit: (point: { ts: number; value: number }, results: DetectorResult[]) => void,
): void {
  const clean = points.filter((p) => Number.isFinite(p.value) && Number.isFinite(p.ts));
  const windowMs = config.windowMinutes * 60_000;
  let start = 0;
  for (let i = 0; i < clean.length; i++) {
    const p = clean[i]!;
    if (p.ts < from || p.ts > to) continue;
    while (start < i && clean[start]!.ts < p.ts - windowMs) start++;
    let end = i;
    // Points sharing this timestamp are not "before" it.
    while (end > start && clean[end - 1]!.ts >= p.ts) end--;
    const window = clean.slice(start, end).map((q) => q.value);
    visit(p, runDetectors(window, p.value, config, sensitivity));
  }
}

/**
 * Combined anomaly score in [0, 1): s / (1 + s) for the strongest detector's strength s (1 = its
 * threshold), so a point is an anomaly exactly when its score exceeds 0.5; 0 when every detector abstains.
 */
export function combinedScore(results: readonly DetectorResult[]): number {
  let strength = 0;
  for (const r of results) if (Number.isFinite(r.strength) && r.strength > strength) strength = r.strength;
  return strength / (1 + strength);
}

/** Score every point of a series with `from <= ts <= to` (see {@link scanSeries}) into anomalies. */
export function evaluateSeries(
  spec: Pick<SeriesSpec, 'id' | 'metric' | 'label' | 'unit'>,
  points: readonly { ts: number; value: number }[],
  from: number,
  to: number,
  config: DetectionConfig,
  sensitivity = 1,
): Anomaly[] {
  const out: Anomaly[] = [];
  scanSeries(points, from, to, config, sensitivity, (p, results) => {
    const anomaly = decide(spec, p.ts, p.value, results, sensitivity);
    if (anomaly && compareSeverity(anomaly.severity, config.recordMinSeverity) >= 0) out.push(anomaly);
  });
  return out;
}
