// (shared) the monitoring config's safety limits: values the schema types accept but AWS, the stores or
// the NOC cannot take (issue 13, defect 12). Each check names the field it guards.
import { z } from 'zod';

/** CloudWatch accepts at most 30 dimensions per metric. */
export const MAX_DIMENSIONS = 30;

/**
 * Series one stack monitors: the detect cycle fans out over up to 40 shards (one detect function each,
 * shards sized from the measured per-series cost), so tens of thousands fit; the stack's shard plan
 * still refuses a fleet its shards cannot hold, naming the detect size to raise. More: several stacks.
 */
export const MAX_SERIES = 20_000;

/**
 * A series id is a DynamoDB key (points partition key, anomalies sort key `<15 digits>#<id>`, at most
 * 1,024 bytes) and, URI-encoded, an S3 key (`detector-state/<id>.json.gz`, at most 1,024 bytes).
 */
export const MAX_SERIES_ID_BYTES = 512;
/** encodeURIComponent(id): leaves room for the checkpoint prefix and suffix within S3's 1,024 bytes. */
export const MAX_SERIES_ID_ENCODED = 960;

/** `scale` bounds: bytes → GB is ~1e-9; anything past 1e±12 is a typo that can overflow a stored value. */
export const MIN_SCALE = 1e-12;
export const MAX_SCALE = 1e12;

/** The NOC is paged at most this often on average (the bucket's refill rate). */
export const MAX_PAGES_PER_MINUTE = 1;
/** Largest burst the bucket may hold. */
export const MAX_BUCKET_CAPACITY = 100;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Text that ends up in alert messages and e-mail: no control characters (CR/LF split headers and lines). */
export const printable = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters (CR, LF, tab, …)');

/** CloudWatch dimensions: at most 30, printable names and values within CloudWatch's lengths. */
export const dimensionsSchema = z
  .record(printable(255), printable(1024))
  .refine((d) => Object.keys(d).length <= MAX_DIMENSIONS, `at most ${MAX_DIMENSIONS} (the CloudWatch limit)`);

export const scaleSchema = z
  .number()
  .finite()
  .min(MIN_SCALE, `must be at least ${MIN_SCALE}`)
  .max(MAX_SCALE, `must be at most ${MAX_SCALE}`);

/** The tag (or dimension) name anomalies are grouped by: an AWS tag key, no CR/LF, no HTML. */
export const groupBySchema = z
  .string()
  .regex(
    /^[\p{L}\p{N} _.:/=+\-@]{1,128}$/u,
    'must be a tag or dimension name: 1-128 letters, digits, spaces or _ . : / = + - @',
  );

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];

/** A link put in e-mail (`href`): https, or http to this machine only; never javascript: or data:. */
export const dashboardUrlSchema = z.url().refine((u) => {
  const url = new URL(u);
  if (url.hostname === '') return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.includes(url.hostname));
}, 'must be an https:// URL (http:// only for localhost)');

/** The token bucket: a storm may not turn into more than one page a minute, or a huge burst. */
export function checkRateLimit(
  r: { capacity: number; refillTokens: number; refillMinutes: number },
  ctx: z.RefinementCtx,
): void {
  if (r.capacity > MAX_BUCKET_CAPACITY) {
    ctx.addIssue({ code: 'custom', path: ['capacity'], message: `must be at most ${MAX_BUCKET_CAPACITY}` });
  }
  if (r.refillTokens / r.refillMinutes > MAX_PAGES_PER_MINUTE) {
    ctx.addIssue({
      code: 'custom',
      path: ['refillTokens'],
      message:
        `${r.refillTokens} per ${r.refillMinutes} min is more than ${MAX_PAGES_PER_MINUTE} page a minute; ` +
        'the bucket is what keeps an anomaly storm from flooding the NOC',
    });
  }
}

/** Issues (`series: …`) for an expanded series list: its size and every id's key lengths. */
export function seriesLimitIssues(ids: readonly string[]): string[] {
  const issues: string[] = [];
  if (ids.length > MAX_SERIES) {
    issues.push(
      `series: ${ids.length} series (with the RDS metrics) is more than ${MAX_SERIES}; split them over several stacks (name)`,
    );
  }
  for (const id of ids) {
    const bytes = new TextEncoder().encode(id).length;
    const encoded = encodeURIComponent(id).length;
    if (bytes > MAX_SERIES_ID_BYTES || encoded > MAX_SERIES_ID_ENCODED) {
      issues.push(
        `series: id ${id.slice(0, 80)}… is ${bytes} bytes, ${encoded} URI-encoded; at most ` +
          `${MAX_SERIES_ID_BYTES} and ${MAX_SERIES_ID_ENCODED} (a DynamoDB key and an S3 key): shorten its dimensions`,
      );
    }
  }
  return issues;
}
