// The scheduled handlers' event parsing: bad times are answered with the field named, never thrown
// (a throw is retried twice and parked in the dead-letter queue as a dependency failure).
import { MAX_RETENTION_DAYS, parseScheduledInvocation } from '../../functions/events';

const NOW = Date.UTC(2026, 11, 3, 9, 0, 0);
const DAY = 86_400_000;
const iso = (t: number) => new Date(t).toISOString();
const scheduled = (t: number) => ({ source: 'aws.events', 'detail-type': 'Scheduled Event', time: iso(t) });

describe('parseScheduledInvocation', () => {
  it.each([
    ['1970-01-01T00:00:00Z', 30],
    ['0001-01-01T00:00:00Z', 30],
    [iso(NOW - 31 * DAY), 30],
    [iso(NOW - 2 * DAY), 1],
  ])('rejects a manual time %s older than %i days of retention, naming time', (time, days) => {
    const r = parseScheduledInvocation({ time }, NOW, days);
    expect(r).toEqual({
      ok: false,
      issues: [
        `time: ${time} is more than ${days} days ago; the data this job reads is kept ${days} days ` +
          '(retentionDays), so a manual run may go back at most that far',
      ],
    });
  });

  it('defaults to the longest retention the config allows', () => {
    expect(MAX_RETENTION_DAYS).toBe(365);
    expect(parseScheduledInvocation({ time: '1970-01-01T00:00:00Z' }, NOW)).toMatchObject({ ok: false });
    expect(parseScheduledInvocation({ time: iso(NOW - 364 * DAY) }, NOW)).toEqual({
      ok: true,
      now: NOW - 364 * DAY,
    });
  });

  it('accepts a manual time within retention and up to 5 minutes ahead; rejects later ones', () => {
    expect(parseScheduledInvocation({ time: iso(NOW - 29 * DAY) }, NOW, 30)).toEqual({
      ok: true,
      now: NOW - 29 * DAY,
    });
    expect(parseScheduledInvocation({ time: iso(NOW + 5 * 60_000) }, NOW, 30)).toMatchObject({ ok: true });
    expect(parseScheduledInvocation({ time: iso(NOW + 6 * 60_000) }, NOW, 30)).toEqual({
      ok: false,
      issues: [`time: ${iso(NOW + 6 * 60_000)} is in the future (more than 5 minutes ahead of the clock)`],
    });
    expect(parseScheduledInvocation({}, NOW, 30)).toEqual({ ok: true, now: undefined });
  });

  it('bounds scheduled events only in the future: EventBridge drops them after their maximum age', () => {
    expect(parseScheduledInvocation(scheduled(NOW - 40 * DAY), NOW, 30)).toEqual({
      ok: true,
      now: NOW - 40 * DAY,
    });
    expect(parseScheduledInvocation(scheduled(NOW + DAY), NOW, 30)).toMatchObject({ ok: false });
  });

  it('names unknown fields and malformed times', () => {
    expect(parseScheduledInvocation({ time: 'soon' }, NOW)).toMatchObject({
      ok: false,
      issues: [expect.stringMatching(/^time: /)],
    });
    expect(parseScheduledInvocation({ tme: 'x' }, NOW)).toMatchObject({ ok: false });
  });
});
