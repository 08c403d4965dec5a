// (domain) the value types every layer shares. Pure data, no behaviour.
import type { SeriesSemantics } from './detectors/semantics';

/** Detector severity, ordered low → critical. */
export type Severity = 'low' | 'medium' | 'high' | 'critical';

/** Ordered list of severities, weakest first. */
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/** Alert level as the NOC sees it (DESIGN §4: critical/high → CRITICAL, medium → WARNING, low → INFO). */
export type AlertLevel = 'CRITICAL' | 'WARNING' | 'INFO';

/** One metric sample. `ts` is epoch milliseconds (UTC), `value` is in the series' own unit. */
export interface MetricPoint {
  readonly series: string;
  readonly ts: number;
  readonly value: number;
}

/** A fully resolved series to collect: one CloudWatch metric, statistic and period. */
export interface SeriesSpec {
  /** Stable id: namespace/metric/dimensions/stat/period (see `seriesIdOf`). */
  readonly id: string;
  /** Friendly metric name shared by every series of the same kind, e.g. `cpu_percent`; feedback and threshold adjustments are per metric. */
  readonly metric: string;
  /** Human label for messages and the dashboard, e.g. `cpu_percent web-1`. */
  readonly label: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly stat: string;
  /** Period in seconds (60 = 1-minute points). */
  readonly period: number;
  /** Multiplier applied to every collected value (e.g. bytes → MB). */
  readonly scale: number;
  readonly unit?: string;
  /** Free-form tags (service, team, resource) used for grouping and maintenance windows. */
  readonly tags: Readonly<Record<string, string>>;
  /** Operator semantics set in the config; absent = the defaults of the metric's unit and name. */
  readonly semantics?: SeriesSemantics;
}

/** Compare severities: positive when `a` is worse than `b`. */
export function compareSeverity(a: Severity, b: Severity): number {
  return SEVERITIES.indexOf(a) - SEVERITIES.indexOf(b);
}

/** The worse of two (possibly absent) severities. */
export function worstSeverity(a: Severity | null, b: Severity | null): Severity | null {
  if (a === null) return b;
  if (b === null) return a;
  return compareSeverity(a, b) >= 0 ? a : b;
}

/** DESIGN §4 mapping from detector severity to the level a pager sees. */
export function alertLevelOf(severity: Severity): AlertLevel {
  switch (severity) {
    case 'critical':
    case 'high':
      return 'CRITICAL';
    case 'medium':
      return 'WARNING';
    case 'low':
      return 'INFO';
  }
}
