// (domain) what a stored metric point can hold. The SDK's document client refuses to marshal a number
// beyond ±(2^53 − 1) (it throws before any request is sent, failing the whole batch), DynamoDB itself
// refuses magnitudes below 1E-130, and key attributes hold at most 2048 / 1024 bytes. A
// point outside these limits is rejected — counted and logged — instead of failing its batch.

/** Largest magnitude a stored value may have: Number.MAX_SAFE_INTEGER (≈ 9.007e15). */
export const MAX_ABS_VALUE = Number.MAX_SAFE_INTEGER;
/** Smallest non-zero magnitude DynamoDB stores. */
export const MIN_ABS_VALUE = 1e-130;
/**
 * Longest series id in UTF-8 bytes. The id is the points table's partition key (DynamoDB: 2048 bytes)
 * and part of the anomalies table's sort key (`<15-digit ts>#<id>`; DynamoDB: 1024 bytes).
 */
export const MAX_SERIES_ID_BYTES = 1000;

/** Why a value cannot be stored, or undefined when it can. */
export function valueProblem(value: number): string | undefined {
  if (!Number.isFinite(value)) return 'value is not a finite number';
  const magnitude = Math.abs(value);
  if (magnitude > MAX_ABS_VALUE) return `value ${value} exceeds ±${MAX_ABS_VALUE}`;
  if (magnitude !== 0 && magnitude < MIN_ABS_VALUE)
    return `value ${value} is below ${MIN_ABS_VALUE} in magnitude`;
  return undefined;
}

/** Why a series id cannot be a stored key, or undefined when it can. */
export function seriesIdProblem(series: string): string | undefined {
  const bytes = new TextEncoder().encode(series).length;
  return bytes > MAX_SERIES_ID_BYTES ? `series id is ${bytes} bytes (max ${MAX_SERIES_ID_BYTES})` : undefined;
}

/** Why a point cannot be stored, or undefined when it can. */
export function pointProblem(point: {
  readonly series: string;
  readonly ts: number;
  readonly value: number;
}): string | undefined {
  if (!Number.isFinite(point.ts)) return 'timestamp is not a finite number';
  return seriesIdProblem(point.series) ?? valueProblem(point.value);
}
