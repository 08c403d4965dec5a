// (domain) decide: turn the streaming detector's verdict on a point into an anomaly with its
// explanation. Pure; the detect use case feeds it the points read from the store.
import type { BandPoint } from '../api/types';
import type { DetectionConfig } from '../monitor-config';
import type { DetectorResult } from './detectors/detector';
import { type SeriesSemantics, semanticsOf } from './detectors/semantics';
import { type BaselineModel, SeriesDetector, type Verdict } from './detectors/series-detector';
import { formatNumber } from './format';
import { bandPointOf } from './recent-band';
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
  /** Deviation in the strongest method's unit (robust z, typical steps, or IQR-sigmas of a level shift). */
  readonly deviation: number;
  /** Combined score in [0, 1]: 0.5 at the threshold, → 1 as the point gets more extreme. */
  readonly score: number;
  /** Baseline the point was judged against: the window median, or the same time on previous days / weeks. */
  readonly model?: BaselineModel;
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

/**
 * The verdict on `value` after `history` (finite values, oldest first, one period apart): a fresh
 * detector fed the history, then the value. For tests and one-off checks; a series is scanned with
 * {@link scanSeries}.
 */
export function runDetectors(
  history: readonly number[],
  value: number,
  config: DetectionConfig,
  sensitivity = 1,
  periodMs = 60_000,
): Verdict {
  const detector = new SeriesDetector(config, periodMs, sensitivity);
  history.forEach((v, i) => {
    detector.push(i * periodMs, v);
  });
  return detector.push(history.length * periodMs, value);
}

const fmt = formatNumber;

function describe(r: DetectorResult): string {
  switch (r.method) {
    case 'zscore':
      return `robust z=${fmt(r.deviation)} vs baseline ${fmt(r.baseline)}`;
    case 'spike':
      return `jump of ${fmt(r.deviation)} typical steps from ${fmt(r.baseline)}`;
    case 'level_shift':
      return `recent median moved ${fmt(r.deviation)} sigma from baseline ${fmt(r.baseline)}`;
    case 'new_range':
      return `${fmt(r.deviation)}× beyond everything the series has shown`;
    default:
      return `${r.method} deviation ${fmt(r.deviation)}`;
  }
}

/**
 * Turn a verdict into an anomaly, or null when nothing fired. Severity is the worst fired severity;
 * expected range and deviation come from the strongest fired detector.
 */
export function decide(
  spec: Pick<SeriesSpec, 'id' | 'metric' | 'label' | 'unit'>,
  ts: number,
  value: number,
  verdict: Verdict,
  sensitivity = 1,
): Anomaly | null {
  if (!verdict.fired) return null;
  const fired = verdict.results
    .filter((r) => r.fired && r.severity !== null)
    .sort((a, b) => b.strength - a.strength);
  const primary = fired[0];
  if (primary === undefined) return null;
  const severity: Severity = verdict.severity ?? 'low';
  const level = alertLevelOf(severity);
  const unit = spec.unit ? ` ${spec.unit}` : '';
  const against =
    verdict.model === 'daily'
      ? ' (same time on previous days)'
      : verdict.model === 'weekly'
        ? ' (same time and weekday on previous weeks)'
        : '';
  const explanation =
    `${spec.label} = ${fmt(value)}${unit} at ${new Date(ts).toISOString()}: outside expected ` +
    `${fmt(primary.expectedLow)}–${fmt(primary.expectedHigh)}${unit}${against}; ` +
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
    score: verdict.score,
    ...(verdict.model ? { model: verdict.model } : {}),
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

/** Resume and checkpoint options of {@link scanSeries}. */
export interface ScanOptions {
  /** A detector state to continue from (it is consumed): points at or before its last ts are skipped. */
  readonly resume?: SeriesDetector | undefined;
  /** Return a copy of the state after the last point with ts ≤ this (what the next run resumes from). */
  readonly checkpointAt?: number | undefined;
  /** Operator semantics of the series. @default NEUTRAL_SEMANTICS (no direction, minimum or bounds) */
  readonly semantics?: SeriesSemantics | undefined;
  /** False for points that must not be learned as normal (maintenance windows). @default every point is */
  readonly learn?: ((ts: number) => boolean) | undefined;
}

/**
 * Feed every finite point of a series (sorted by ts) through one streaming detector and visit the
 * verdicts of those with `from <= ts <= to`. Points before `from` only warm the detector up. The one
 * loop that detect, the local stack and the NAB benchmark share. Returns the checkpoint when asked.
 */
export function scanSeries(
  points: readonly { ts: number; value: number }[],
  from: number,
  to: number,
  config: DetectionConfig,
  sensitivity: number,
  periodMs: number,
  visit: (point: { ts: number; value: number }, verdict: Verdict) => void,
  options: ScanOptions = {},
): SeriesDetector | undefined {
  const detector = options.resume ?? new SeriesDetector(config, periodMs, sensitivity, options.semantics);
  const at = options.checkpointAt;
  let checkpoint: SeriesDetector | undefined;
  let lastTs = detector.lastTs;
  for (const p of points) {
    // Non-finite values and duplicate/out-of-order timestamps are skipped, never scored.
    if (!Number.isFinite(p.value) || !Number.isFinite(p.ts) || p.ts <= lastTs) continue;
    if (p.ts > to) break;
    if (at !== undefined && checkpoint === undefined && p.ts > at) checkpoint = detector.clone();
    lastTs = p.ts;
    const verdict = detector.push(p.ts, p.value, options.learn?.(p.ts) ?? true);
    if (p.ts >= from) visit(p, verdict);
  }
  if (at !== undefined && checkpoint === undefined) checkpoint = detector.clone();
  return checkpoint;
}

/** Points of history detect reads before the first point it judges (the detector's finite memory). */
export { memoryPoints } from './detectors/series-detector';

/** What evaluation needs of a series: names for the anomaly, the period for the seasonal look-ups. */
export type DetectedSeries = Pick<SeriesSpec, 'id' | 'metric' | 'label' | 'unit' | 'semantics'> & {
  period?: number;
};
/** A point as the detector reads it. */
export type SeriesPoint = { readonly ts: number; readonly value: number };

/** Score every point of a series with `from <= ts <= to` (see {@link scanSeries}) into anomalies. */
export function evaluateSeries(
  spec: DetectedSeries,
  points: readonly SeriesPoint[],
  from: number,
  to: number,
  config: DetectionConfig,
  sensitivity = 1,
): Anomaly[] {
  return evaluateSeriesResumable(spec, points, from, to, config, sensitivity).anomalies;
}

/**
 * {@link evaluateSeries} that can resume from, and return, a detector checkpoint, and gives the expected
 * range of the points judged from `bandFrom` on (a catch-up run judges a day; the band keeps an hour).
 */
export function evaluateSeriesResumable(
  spec: DetectedSeries,
  points: readonly SeriesPoint[],
  from: number,
  to: number,
  config: DetectionConfig,
  sensitivity = 1,
  { bandFrom = Number.NEGATIVE_INFINITY, ...options }: ScanOptions & { readonly bandFrom?: number } = {},
): EvaluationResult {
  const anomalies: Anomaly[] = [];
  const periodMs = (spec.period ?? 60) * 1000;
  let invalid = 0;
  let learningUntil: number | undefined;
  const band: BandPoint[] = [];
  const checkpoint = scanSeries(
    points,
    from,
    to,
    config,
    sensitivity,
    periodMs,
    (p, verdict) => {
      if (verdict.invalid) invalid++;
      else learningUntil = verdict.learning ? p.ts + verdict.warmUpLeft * periodMs : undefined;
      const expected = p.ts >= bandFrom ? bandPointOf(p.ts, verdict) : undefined;
      if (expected) band.push(expected);
      const anomaly = decide(spec, p.ts, p.value, verdict, sensitivity);
      if (anomaly && compareSeverity(anomaly.severity, config.recordMinSeverity) >= 0)
        anomalies.push(anomaly);
    },
    { semantics: semanticsOf(spec), ...options },
  );
  return { anomalies, checkpoint, invalid, learningUntil, band };
}

/** What evaluating one series found. */
export interface EvaluationResult {
  readonly anomalies: Anomaly[];
  readonly checkpoint: SeriesDetector | undefined;
  /** Points judged that the metric cannot take (outside its bounds): skipped, never learned. */
  readonly invalid: number;
  /** While the newest point was still in warm-up: when the first full verdict is due (epoch ms). */
  readonly learningUntil: number | undefined;
  /** The expected range at each point judged from `bandFrom` on ({@link bandPointOf}), oldest first. */
  readonly band: readonly BandPoint[];
}
