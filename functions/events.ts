// (handler helper) zod schemas for the events the scheduled handlers accept.
import { z } from 'zod';
import { MAX_SHARDS, type Shard, WHOLE_FLEET } from '../shared/domain/shards';
import { formatIssues } from '../shared/monitor-config';

const isoTime = z.iso.datetime({ offset: true });

/** An EventBridge scheduled event; its `time` is the run's "now", so a retried event re-processes the same window. */
export const ScheduledEventSchema = z.object({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  time: isoTime,
});

/** A manual invocation (`aws lambda invoke`): `{}` (now = the clock) or `{ "time": "<ISO>" }`. */
export const ManualInvocationSchema = z.strictObject({ time: isoTime.optional() });

const MAX_CLOCK_AHEAD_MS = 5 * 60_000;
const DAY_MS = 86_400_000;
/** The longest `retentionDays` (points, anomalies) the config allows: no such data is older. */
export const MAX_RETENTION_DAYS = 365;

/**
 * Parse a scheduled or manual invocation: its `now` (undefined = use the clock) or the named problems.
 * Bad input is answered, never thrown: a throw would be retried twice and parked in the dead-letter
 * queue as if a dependency had failed.
 * @param maxAgeDays - a manual `time` may be at most this old: the data the job reads and writes
 *   (the config's retentionDays) is gone beyond it. Scheduled events need no such bound: EventBridge
 *   sends them at their time and drops them after the target's maximum event age (hours).
 */
export function parseScheduledInvocation(
  event: unknown,
  clockNow: number = Date.now(),
  maxAgeDays: number = MAX_RETENTION_DAYS,
): { ok: true; now: number | undefined } | { ok: false; issues: string[] } {
  const value = event ?? {};
  // Pick the schema by shape so that errors name the real field instead of "no union member matched".
  const scheduled = typeof value === 'object' && value !== null && 'source' in value;
  const parsed = (scheduled ? ScheduledEventSchema : ManualInvocationSchema).safeParse(value);
  if (!parsed.success) return { ok: false, issues: formatIssues(parsed.error) };
  const time = parsed.data.time;
  const now = time === undefined ? undefined : Date.parse(time);
  // A future "now" would move forward-only watermarks (and the bucket) ahead of the real clock and
  // silently stop monitoring until time caught up.
  if (now !== undefined && now > clockNow + MAX_CLOCK_AHEAD_MS) {
    return { ok: false, issues: [`time: ${time} is in the future (more than 5 minutes ahead of the clock)`] };
  }
  if (!scheduled && now !== undefined && now < clockNow - maxAgeDays * DAY_MS) {
    return {
      ok: false,
      issues: [
        `time: ${time} is more than ${maxAgeDays} days ago; the data this job reads is kept ` +
          `${maxAgeDays} days (retentionDays), so a manual run may go back at most that far`,
      ],
    };
  }
  return { ok: true, now };
}

/** A shard of the fleet, as the state machine's Map hands it to collect and detect. */
export const ShardSchema = z
  .strictObject({
    index: z.number().int().min(0),
    count: z.number().int().min(1).max(MAX_SHARDS),
  })
  .refine((s) => s.index < s.count, { message: 'index must be below count', path: ['index'] });

/**
 * Parse an invocation of a sharded job (collect, detect): what parseScheduledInvocation accepts, plus
 * an optional `shard` (`{ "time": "<ISO>", "shard": { "index": 2, "count": 8 } }`, as the state
 * machine sends; absent = the whole fleet).
 */
export function parseShardInvocation(
  event: unknown,
  clockNow: number = Date.now(),
  maxAgeDays: number = MAX_RETENTION_DAYS,
): { ok: true; now: number | undefined; shard: Shard } | { ok: false; issues: string[] } {
  if (typeof event !== 'object' || event === null || !('shard' in event)) {
    const parsed = parseScheduledInvocation(event, clockNow, maxAgeDays);
    return parsed.ok ? { ...parsed, shard: WHOLE_FLEET } : parsed;
  }
  const { shard, ...rest } = event as { shard: unknown };
  const parsedShard = ShardSchema.safeParse(shard);
  const parsed = parseScheduledInvocation(rest, clockNow, maxAgeDays);
  const issues = [
    ...(parsedShard.success
      ? []
      : formatIssues(parsedShard.error).map((i) =>
          i.startsWith('(root)') ? i.replace('(root)', 'shard') : `shard.${i}`,
        )),
    ...(parsed.ok ? [] : parsed.issues),
  ];
  if (issues.length > 0 || !parsed.ok || !parsedShard.success) return { ok: false, issues };
  return { ok: true, now: parsed.now, shard: parsedShard.data };
}

/** The part of an SNS → Lambda event the alert delivery handlers read (SNS sends one record per call). */
export const SnsEventSchema = z.object({
  Records: z
    .array(
      z.object({
        Sns: z.object({ MessageId: z.string(), Message: z.string(), Subject: z.string().nullish() }),
      }),
    )
    .min(1),
});
