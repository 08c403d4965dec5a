// bench:scale's measuring models: how long a measured cycle waits on I/O, which counted requests are
// DynamoDB's, and the size DynamoDB bills an item at. What a month of cycles costs from those figures is
// shared/domain/cost-model.ts (the formula the dashboard's estimate uses too), at the prices of
// shared/domain/prices.ts. Every model assumption is a named constant here or there.

/**
 * I/O model (assumed in-region latencies, not measured): a DynamoDB request 5 ms, an S3 GET 20 ms and
 * PUT 30 ms, an SNS publish 20 ms, a GetMetricData call of up to 500 metrics 300 ms; the per-series
 * requests of a cycle overlap 8 at a time (detect's and collect's mapLimit(8)), GetMetricData calls run
 * one after another. Added to the CPU time, as if no I/O overlapped computation (an upper bound).
 */
export const IO_MODEL = {
  dynamoMs: 5,
  s3GetMs: 20,
  s3PutMs: 30,
  snsMs: 20,
  getMetricDataMs: 300,
  overlap: 8,
} as const;

/** DynamoDB requests among the counted kinds (chunked points layout: one UpdateItem per chunk touched). */
export function dynamoRequestsOf(
  requests: ReadonlyMap<string, number>,
  layout: 'chunk' | 'point' = 'chunk',
): number {
  const get = (k: string) => requests.get(k) ?? 0;
  return (
    get('points.query') +
    (layout === 'chunk' ? get('points.chunkUpdate') : get('points.batchWrite')) +
    get('anomalies.put') +
    get('anomalies.query') +
    get('anomalies.update') +
    get('control.read') +
    get('control.write')
  );
}

/** Seconds of I/O wait a phase with these requests would spend, by IO_MODEL. */
export function ioSeconds(requests: ReadonlyMap<string, number>, getMetricDataCalls: number): number {
  const get = (k: string) => requests.get(k) ?? 0;
  const overlapped =
    dynamoRequestsOf(requests) * IO_MODEL.dynamoMs +
    get('checkpoint.get') * IO_MODEL.s3GetMs +
    get('checkpoint.put') * IO_MODEL.s3PutMs +
    get('sns.publish') * IO_MODEL.snsMs;
  return (overlapped / IO_MODEL.overlap + getMetricDataCalls * IO_MODEL.getMetricDataMs) / 1000;
}

/**
 * The size DynamoDB bills an item at: attribute names plus values (strings and binary by length,
 * numbers about one byte per two significant digits plus one, lists and maps 3 bytes plus one per
 * element, booleans and null one byte).
 */
export function dynamoItemBytes(item: Record<string, unknown>): number {
  const valueBytes = (v: unknown): number => {
    if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
    if (typeof v === 'number') {
      const digits = String(Math.abs(v))
        .replace(/e.*$/, '')
        .replace('.', '')
        .replace(/^0+/, '')
        .replace(/0+$/, '');
      return Math.ceil(Math.max(1, digits.length) / 2) + 1;
    }
    if (typeof v === 'boolean' || v === null || v === undefined) return 1;
    if (Array.isArray(v)) return 3 + v.reduce((n: number, x) => n + 1 + valueBytes(x), 0);
    if (v instanceof Uint8Array) return v.length;
    if (typeof v === 'object')
      return 3 + Object.entries(v).reduce((n, [k, x]) => n + 1 + Buffer.byteLength(k) + valueBytes(x), 0);
    return 1;
  };
  return Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + valueBytes(v), 0);
}

/** CloudWatch Logs lines Lambda itself writes per invocation (START, END, REPORT with X-Ray): bytes, assumed. */
export const PLATFORM_LOG_BYTES = 400;
