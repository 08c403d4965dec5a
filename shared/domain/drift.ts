// (domain) the decisions of ML drift monitoring (DESIGN §6), pure: multiple-testing correction, the
// prediction-drift rule, model performance, aligning metric series into feature rows, the infra-drift
// rule and the "one e-mail per model per day" state machine. No I/O, no clock: `now` comes in.
import { ValidationError } from '../errors';
import type { KsResult } from './ks-test';
import type { Outcome, PredictionColumns } from './prediction-set';
import { dayKey } from './time';
import type { MetricPoint, SeriesSpec } from './types';

/** How p-values are corrected for the number of models tested in one run. */
export type Correction = 'benjamini-hochberg' | 'bonferroni';

/**
 * Adjusted p-values, same order as `pValues`; compare each with alpha.
 * - Bonferroni: min(1, m·p) — controls the family-wise error rate.
 * - Benjamini–Hochberg: the step-up q-values min_{j ≥ i} (m·p_(j) / j), capped at 1 — controls the
 *   false discovery rate; "q < alpha" rejects exactly the hypotheses the BH procedure rejects.
 *
 * @param pValues - p-values in [0, 1], one per model tested
 * @throws ValidationError on a value outside [0, 1]
 */
export function adjustPValues(pValues: readonly number[], method: Correction): number[] {
  const bad = pValues.flatMap((p, i) => (p >= 0 && p <= 1 ? [] : [`pValues[${i}]: ${p} is not in [0, 1]`]));
  if (bad.length > 0) throw new ValidationError('Invalid p-values', bad);
  const m = pValues.length;
  if (method === 'bonferroni') return pValues.map((p) => Math.min(1, p * m));
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const [p, index] = order[rank - 1] as readonly [number, number];
    running = Math.min(running, (p * m) / rank);
    adjusted[index] = Math.min(1, running);
  }
  return adjusted;
}

/** The thresholds of the prediction-drift rule. */
export interface PredictionDriftRule {
  /** Significance level for the corrected p-value. */
  readonly alpha: number;
  /** The K-S statistic must exceed this. */
  readonly minEffect: number;
  /** Both samples need at least this many predictions. */
  readonly minSamples: number;
}

/** Verdict of the prediction-drift rule for one model. */
export interface DriftVerdict {
  readonly drift: boolean;
  /** One line a human can read: why drift, or why not. */
  readonly reason: string;
}

/**
 * Prediction drift when the corrected p-value is below alpha AND the statistic exceeds the effect-size
 * floor (both samples being large enough is checked before testing).
 */
export function decidePredictionDrift(
  ks: Pick<KsResult, 'statistic' | 'pValue'>,
  adjustedP: number,
  rule: PredictionDriftRule,
  correction: Correction,
): DriftVerdict {
  const significant = adjustedP < rule.alpha;
  const large = ks.statistic > rule.minEffect;
  const p = `p = ${formatP(ks.pValue)} (${correction} ${formatP(adjustedP)})`;
  const d = `D = ${ks.statistic.toFixed(3)}`;
  if (significant && large) {
    return { drift: true, reason: `${d} > ${rule.minEffect} and ${p} < ${rule.alpha}` };
  }
  if (!significant) return { drift: false, reason: `not significant: ${p} >= ${rule.alpha}` };
  return { drift: false, reason: `significant but small: ${d} <= effect floor ${rule.minEffect} (${p})` };
}

/** A p-value for humans: exponent form below 0.001. */
export function formatP(p: number): string {
  if (p === 0) return '0';
  return p < 0.001 ? p.toExponential(2) : p.toFixed(4);
}

/** Performance of a model over one window where outcomes are known. */
export interface Performance {
  /** Window label, e.g. `24h`. */
  readonly window: string;
  readonly from: number;
  readonly to: number;
  /** Predictions in the window that have an outcome. */
  readonly labelled: number;
  /** `binary`: boolean or 0/1 outcomes, score thresholded. `label`: score compared with the outcome as is. */
  readonly kind: 'binary' | 'label';
  /** Share of correct predictions; undefined when nothing is labelled. */
  readonly accuracy?: number;
  /** Binary only: TP / (TP + FP); undefined without predicted positives. */
  readonly precision?: number;
  /** Binary only: TP / (TP + FN); undefined without actual positives. */
  readonly recall?: number;
  /** Numeric outcomes only: mean absolute error of score vs outcome. */
  readonly meanAbsoluteError?: number;
}

function binaryValue(o: Outcome): boolean | undefined {
  if (typeof o === 'boolean') return o;
  if (o === 0 || o === 1) return o === 1;
  return undefined;
}

/**
 * Accuracy (and precision/recall for binary outcomes) of the predictions with from <= ts < to that
 * carry an outcome. Binary when every outcome is a boolean or 0/1: the prediction is positive when
 * score >= `threshold`. Otherwise a prediction is correct when its score equals the outcome (class ids
 * as scores); numeric outcomes also get the mean absolute error.
 *
 * @returns undefined when no prediction in the window has an outcome
 */
export function performanceOf(
  columns: PredictionColumns,
  from: number,
  to: number,
  threshold: number,
  window: string,
): Performance | undefined {
  const outcomes = columns.outcomes;
  if (!outcomes) return undefined;
  const rows: number[] = [];
  let binary = true;
  for (let i = 0; i < columns.ts.length; i++) {
    const t = columns.ts[i] as number;
    const o = outcomes[i];
    if (o === undefined || t < from || t >= to) continue;
    rows.push(i);
    if (binaryValue(o) === undefined) binary = false;
  }
  if (rows.length === 0) return undefined;
  if (binary) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    let tn = 0;
    for (const i of rows) {
      const actual = binaryValue(outcomes[i] as Outcome) as boolean;
      const predicted = (columns.score[i] as number) >= threshold;
      if (predicted && actual) tp++;
      else if (predicted) fp++;
      else if (actual) fn++;
      else tn++;
    }
    return {
      window,
      from,
      to,
      labelled: rows.length,
      kind: 'binary',
      accuracy: (tp + tn) / rows.length,
      ...(tp + fp > 0 ? { precision: tp / (tp + fp) } : {}),
      ...(tp + fn > 0 ? { recall: tp / (tp + fn) } : {}),
    };
  }
  let correct = 0;
  let absError = 0;
  let numeric = 0;
  for (const i of rows) {
    const o = outcomes[i] as Outcome;
    const s = columns.score[i] as number;
    if (String(s) === String(typeof o === 'boolean' ? Number(o) : o)) correct++;
    if (typeof o === 'number') {
      absError += Math.abs(s - o);
      numeric++;
    }
  }
  return {
    window,
    from,
    to,
    labelled: rows.length,
    kind: 'label',
    accuracy: correct / rows.length,
    ...(numeric === rows.length ? { meanAbsoluteError: absError / numeric } : {}),
  };
}

/** A feature of the infra model: the series it reads. */
export interface FeatureRef {
  readonly id: string;
  readonly label: string;
}

/**
 * Resolve feature references (a series id, a series label, or a metric name naming exactly one series)
 * against the series being collected.
 * @throws ValidationError naming every reference that matches no series or more than one
 */
export function resolveFeatures(refs: readonly string[], series: readonly SeriesSpec[]): FeatureRef[] {
  const issues: string[] = [];
  const out: FeatureRef[] = [];
  const seen = new Set<string>();
  refs.forEach((ref, i) => {
    const byId = series.find((s) => s.id === ref);
    const byLabel = series.filter((s) => s.label === ref);
    const byMetric = series.filter((s) => s.metric === ref);
    const hit = byId ?? (byLabel.length === 1 ? byLabel[0] : byMetric.length === 1 ? byMetric[0] : undefined);
    if (hit && seen.has(hit.id)) {
      issues.push(`features.${i}: "${ref}" is the same series as an earlier feature`);
    } else if (hit) {
      seen.add(hit.id);
      out.push({ id: hit.id, label: hit.label });
    } else if (byLabel.length + byMetric.length > 1) {
      issues.push(
        `features.${i}: "${ref}" matches ${byMetric.length || byLabel.length} series; use a label or id`,
      );
    } else issues.push(`features.${i}: "${ref}" matches no collected series`);
  });
  if (issues.length > 0) throw new ValidationError('Invalid drift.infra.features', issues);
  return out;
}

/** Feature rows built from several series. */
export interface AlignedRows {
  /** Row-major values, `rows × dims`. */
  readonly data: Float64Array;
  readonly dims: number;
  readonly rows: number;
  /** Start of each row's step, epoch ms, ascending. */
  readonly timestamps: Float64Array;
  /** Steps where some but not all features had data: dropped. */
  readonly droppedRows: number;
}

/**
 * Align series into rows: each series' points are averaged per `stepMs` step (a 10 s host metric and a
 * 60 s CloudWatch metric meet on the minute); a step becomes a row only when every feature has a value
 * there. Steps with some features missing are dropped and counted.
 *
 * @param perFeature - the points of each feature, in feature order (any time order)
 * @param stepMs - the alignment step, > 0
 */
export function alignFeatures(perFeature: readonly (readonly MetricPoint[])[], stepMs: number): AlignedRows {
  const dims = perFeature.length;
  if (dims === 0 || !(stepMs > 0)) {
    throw new ValidationError('Invalid alignment', [
      ...(dims === 0 ? ['features: at least one'] : []),
      ...(stepMs > 0 ? [] : [`stepMs: ${stepMs} must be > 0`]),
    ]);
  }
  const sums: Map<number, { sum: number; n: number }>[] = perFeature.map((points) => {
    const bySteps = new Map<number, { sum: number; n: number }>();
    for (const p of points) {
      if (!Number.isFinite(p.value)) continue;
      const step = Math.floor(p.ts / stepMs) * stepMs;
      const acc = bySteps.get(step);
      if (acc) {
        acc.sum += p.value;
        acc.n++;
      } else bySteps.set(step, { sum: p.value, n: 1 });
    }
    return bySteps;
  });
  const union = new Set<number>();
  for (const m of sums) for (const step of m.keys()) union.add(step);
  const complete = [...union].filter((step) => sums.every((m) => m.has(step))).sort((a, b) => a - b);
  const data = new Float64Array(complete.length * dims);
  complete.forEach((step, r) => {
    for (let f = 0; f < dims; f++) {
      const acc = (sums[f] as Map<number, { sum: number; n: number }>).get(step) as {
        sum: number;
        n: number;
      };
      data[r * dims + f] = acc.sum / acc.n;
    }
  });
  return {
    data,
    dims,
    rows: complete.length,
    timestamps: Float64Array.from(complete),
    droppedRows: union.size - complete.length,
  };
}

/** One column of a row-major matrix. */
export function columnOf(data: Float64Array, dims: number, column: number): Float64Array {
  const rows = Math.floor(data.length / dims);
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) out[r] = data[r * dims + column] as number;
  return out;
}

/** Share of scores strictly above the threshold (the forest's anomaly decision). */
export function anomalyRate(
  scores: ArrayLike<number>,
  threshold: number,
): { anomalies: number; rate: number } {
  let anomalies = 0;
  for (let i = 0; i < scores.length; i++) if ((scores[i] as number) > threshold) anomalies++;
  return { anomalies, rate: scores.length === 0 ? 0 : anomalies / scores.length };
}

/** Infra drift: the recent anomaly rate exceeds `factor` × the expected rate. */
export function decideInfraDrift(rate: number, expectedRate: number, factor: number): DriftVerdict {
  const limit = factor * expectedRate;
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  return rate > limit
    ? { drift: true, reason: `anomaly rate ${pct(rate)} > ${factor}× expected ${pct(expectedRate)}` }
    : { drift: false, reason: `anomaly rate ${pct(rate)} <= ${factor}× expected ${pct(expectedRate)}` };
}

/** What the ML team last heard about a subject (a model, or the infra model). */
export type DriftStatus = 'ok' | 'drifting';

/** Stored per subject between runs. */
export interface SubjectState {
  readonly subject: string;
  /** The latest verdict. */
  readonly status: DriftStatus;
  /** The status the last e-mail announced (`ok` before any). */
  readonly mailed: DriftStatus;
  /** UTC day of the last e-mail, `YYYY-MM-DD`. */
  readonly lastMailDay?: string;
  readonly lastMailAt?: number;
  /** When `status` last changed. */
  readonly changedAt?: number;
}

/** What to do about e-mail after a verdict. */
export type MailDecision =
  | { readonly send: 'drift' | 'recovered' }
  | { readonly send: null; readonly reason: 'no change' | 'daily limit' };

/**
 * One e-mail when a subject starts drifting, one "recovered" when it clears, at most one per subject
 * per UTC day. A change that cannot be announced today (the day's e-mail is spent) is announced on a
 * later run if it still holds; a drift that clears before it was announced is never announced.
 */
export function mailDecision(
  state: SubjectState | undefined,
  status: DriftStatus,
  now: number,
): MailDecision {
  const mailed = state?.mailed ?? 'ok';
  if (status === mailed) return { send: null, reason: 'no change' };
  if (state?.lastMailDay === dayKey(now)) return { send: null, reason: 'daily limit' };
  return { send: status === 'drifting' ? 'drift' : 'recovered' };
}

/** The quantiles every drift e-mail shows. */
export const REPORT_QUANTILES = [0.1, 0.5, 0.9] as const;

/**
 * Quantiles of finite values by linear interpolation (numpy's default, as `quantileShift`).
 * @returns NaN for each quantile of an empty sample
 */
export function quantilesOf(values: ArrayLike<number>, qs: readonly number[] = REPORT_QUANTILES): number[] {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return qs.map(() => Number.NaN);
  return qs.map((q) => {
    const position = (sorted.length - 1) * q;
    const lower = Math.floor(position);
    const low = sorted[lower] as number;
    return lower === position ? low : low + (position - lower) * ((sorted[lower + 1] as number) - low);
  });
}
