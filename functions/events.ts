// (handler helper) zod schemas for the events the scheduled handlers accept.
import { z } from 'zod';
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

/** Parse a scheduled or manual invocation: its `now` (undefined = use the clock) or the named problems. */
export function parseScheduledInvocation(
  event: unknown,
): { ok: true; now: number | undefined } | { ok: false; issues: string[] } {
  const value = event ?? {};
  // Pick the schema by shape so that errors name the real field instead of "no union member matched".
  const schema =
    typeof value === 'object' && value !== null && 'source' in value
      ? ScheduledEventSchema
      : ManualInvocationSchema;
  const parsed = schema.safeParse(value);
  if (!parsed.success) return { ok: false, issues: formatIssues(parsed.error) };
  const time = parsed.data.time;
  return { ok: true, now: time === undefined ? undefined : Date.parse(time) };
}
