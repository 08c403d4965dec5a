// (SPA) the maintenance-window form's values → the API body (MaintenanceWindowSchema in
// shared/adapters/dynamodb-alert-store.ts), pure. Problems come back per field, as the API names them,
// so the form marks the same input whether the browser or the API found the mistake.
import type { MaintenanceWindow } from '../../shared/api/types';

export interface WindowFormValues {
  readonly id: string;
  readonly series: string;
  /** `key=value` pairs separated by commas. */
  readonly tags: string;
  readonly kind: 'once' | 'weekly';
  /** `datetime-local` values (the browser's time zone), for `once`. */
  readonly start: string;
  readonly end: string;
  /** 0 = Sunday … 6 = Saturday (UTC), for `weekly`. */
  readonly dayOfWeek: string;
  /** `HH:MM` in UTC, for `weekly`. */
  readonly startTime: string;
  readonly durationMinutes: string;
  readonly reason: string;
}

export interface FieldProblem {
  /** The API's field name: id, series, tags, schedule.start, schedule.end, schedule.dayOfWeek … */
  readonly field: string;
  readonly message: string;
}

export type WindowFormResult =
  | { readonly ok: true; readonly window: MaintenanceWindow }
  | { readonly ok: false; readonly problems: readonly FieldProblem[] };

const ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** Parse `a=b, c=d`; problems name the pair that is not key=value. */
export function parseTags(text: string): { tags: Record<string, string>; bad: string[] } {
  const tags: Record<string, string> = {};
  const bad: string[] = [];
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    const k = eq > 0 ? part.slice(0, eq).trim() : '';
    if (!k) bad.push(part);
    else tags[k] = part.slice(eq + 1).trim();
  }
  return { tags, bad };
}

/**
 * Build the window. `parseLocal` turns a `datetime-local` value into epoch ms (the browser's
 * `new Date(value).getTime()`; tests pass a fixed zone).
 */
export function windowFromForm(v: WindowFormValues, parseLocal: (s: string) => number): WindowFormResult {
  const problems: FieldProblem[] = [];
  const id = v.id.trim();
  if (!ID.test(id)) problems.push({ field: 'id', message: 'Use 1–64 letters, digits, _ . or -' });
  const { tags, bad } = parseTags(v.tags);
  if (bad.length) problems.push({ field: 'tags', message: `Not key=value: ${bad.join(', ')}` });
  const series = v.series.trim();
  if (!series && Object.keys(tags).length === 0 && bad.length === 0) {
    problems.push({ field: 'series', message: 'Choose a series or give at least one tag' });
  }
  let schedule: MaintenanceWindow['schedule'] | undefined;
  if (v.kind === 'once') {
    const start = v.start ? parseLocal(v.start) : Number.NaN;
    const end = v.end ? parseLocal(v.end) : Number.NaN;
    if (!Number.isFinite(start))
      problems.push({ field: 'schedule.start', message: 'Give a start date and time' });
    if (!Number.isFinite(end)) problems.push({ field: 'schedule.end', message: 'Give an end date and time' });
    else if (Number.isFinite(start) && end <= start) {
      problems.push({ field: 'schedule.end', message: 'The end must be after the start' });
    }
    if (Number.isFinite(start) && Number.isFinite(end) && end > start)
      schedule = { kind: 'once', start, end };
  } else {
    const day = Number(v.dayOfWeek);
    const m = /^(\d{1,2}):(\d{2})$/.exec(v.startTime.trim());
    const startMinute = m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
    const duration = Number(v.durationMinutes);
    if (!(Number.isInteger(day) && day >= 0 && day <= 6) || v.dayOfWeek === '') {
      problems.push({ field: 'schedule.dayOfWeek', message: 'Choose a day' });
    }
    if (
      !(Number.isInteger(startMinute) && startMinute >= 0 && startMinute < 1440) ||
      !m ||
      Number(m[2]) > 59
    ) {
      problems.push({ field: 'schedule.startMinute', message: 'Give a start time as HH:MM (UTC)' });
    }
    if (
      !(Number.isInteger(duration) && duration >= 1 && duration <= 7 * 1440) ||
      v.durationMinutes.trim() === ''
    ) {
      problems.push({
        field: 'schedule.durationMinutes',
        message: 'Give a whole number of minutes from 1 to 10080',
      });
    }
    schedule = { kind: 'weekly', dayOfWeek: day, startMinute, durationMinutes: duration };
  }
  const reason = v.reason.trim();
  if (reason.length > 500) problems.push({ field: 'reason', message: 'At most 500 characters' });
  if (problems.length > 0 || !schedule) return { ok: false, problems };
  return {
    ok: true,
    window: {
      id,
      ...(series ? { series } : {}),
      ...(Object.keys(tags).length ? { tags } : {}),
      schedule,
      ...(reason ? { reason } : {}),
    },
  };
}
