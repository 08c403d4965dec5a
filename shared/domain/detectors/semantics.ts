// (domain) what an operator means by "anomalous" for one series: which direction matters, how small
// a move is never worth a page, and what values the metric can physically take. Defaults come from
// the metric's unit and name, so a CPU or latency series needs no tuning.

/** Which side of the expected range is an anomaly. */
export type Direction = 'above' | 'below' | 'both';

/** Operator semantics of one series (all in the series' own unit). */
export interface SeriesSemantics {
  readonly direction: Direction;
  /** A move from the expected value smaller than this is never an anomaly, whatever its z. */
  readonly minDeviation: number;
  /** Values the metric can take; expected ranges are clipped to them, values outside are invalid. */
  readonly min: number | null;
  readonly max: number | null;
}

/** No operator knowledge: both directions, any size, no bounds (the NAB harness runs this). */
export const NEUTRAL_SEMANTICS: SeriesSemantics = {
  direction: 'both',
  minDeviation: 0,
  min: null,
  max: null,
};

/** What a config may override, per series or per metric. */
export type SemanticsOverrides = Partial<SeriesSemantics>;

interface UnitDefaults {
  readonly minDeviation: number;
  readonly min: number | null;
  readonly max: number | null;
}

/** By unit (case-insensitive): the smallest move worth a page and the physical bounds. */
const UNIT_DEFAULTS: Readonly<Record<string, UnitDefaults>> = {
  '%': { minDeviation: 5, min: 0, max: 100 },
  percent: { minDeviation: 5, min: 0, max: 100 },
  ms: { minDeviation: 10, min: 0, max: null },
  s: { minDeviation: 0.01, min: 0, max: null },
  count: { minDeviation: 1, min: 0, max: null },
  bytes: { minDeviation: 1_048_576, min: 0, max: null },
  kb: { minDeviation: 1024, min: 0, max: null },
  mb: { minDeviation: 1, min: 0, max: null },
  gb: { minDeviation: 0.001, min: 0, max: null },
  'mb/s': { minDeviation: 1, min: 0, max: null },
  'count/s': { minDeviation: 1, min: 0, max: null },
};

/** Metrics where only a rise is bad: latency, errors, CPU, queue depth, throttles. */
const RISE_IS_BAD = /(latency|_ms$|_time|error|fault|5xx|4xx|cpu|queue|depth|backlog|throttl|age_of_oldest)/;

/** Defaults for a series of this metric and unit, with the config's overrides applied. */
export function semanticsFor(
  metric: string,
  unit: string | undefined,
  overrides: SemanticsOverrides = {},
): SeriesSemantics {
  const byUnit = unit === undefined ? undefined : UNIT_DEFAULTS[unit.trim().toLowerCase()];
  return {
    direction: overrides.direction ?? (RISE_IS_BAD.test(metric) ? 'above' : 'both'),
    minDeviation: overrides.minDeviation ?? byUnit?.minDeviation ?? 0,
    min: overrides.min !== undefined ? overrides.min : (byUnit?.min ?? null),
    max: overrides.max !== undefined ? overrides.max : (byUnit?.max ?? null),
  };
}

/** +1 / −1 when a residual of this sign may be an anomaly, 0 when not. */
export function allows(semantics: SeriesSemantics, residual: number): boolean {
  if (semantics.direction === 'above') return residual > 0;
  if (semantics.direction === 'below') return residual < 0;
  return residual !== 0;
}

/** True when the value is one the metric can take. */
export function withinBounds(semantics: SeriesSemantics, value: number): boolean {
  return (
    (semantics.min === null || value >= semantics.min) && (semantics.max === null || value <= semantics.max)
  );
}

/** The range clipped to the metric's bounds (an expected range never shows an impossible value). */
export function clipRange(semantics: SeriesSemantics, low: number, high: number): [number, number] {
  const lo = semantics.min === null ? low : Math.max(semantics.min, low);
  const hi = semantics.max === null ? high : Math.min(semantics.max, high);
  return [Math.min(lo, hi), Math.max(lo, hi)];
}

/** A series' semantics: what its config set, else the defaults of its metric and unit. */
export function semanticsOf(spec: {
  readonly metric: string;
  readonly unit?: string | undefined;
  readonly semantics?: SeriesSemantics | undefined;
}): SeriesSemantics {
  return spec.semantics ?? semanticsFor(spec.metric, spec.unit);
}
