import { windowFromOptions } from '../../scripts/maintenance';
import { ValidationError } from '../../shared/errors';

describe('maintenance CLI options', () => {
  it('builds a weekly window by tag', () => {
    expect(
      windowFromOptions({
        id: 'rds-main-patch',
        tag: ['resource=rds-main'],
        weekly: 'Sun 02:00',
        duration: '60m',
        reason: 'patching',
      }),
    ).toEqual({
      id: 'rds-main-patch',
      tags: { resource: 'rds-main' },
      schedule: { kind: 'weekly', dayOfWeek: 0, startMinute: 120, durationMinutes: 60 },
      reason: 'patching',
    });
  });

  it('builds a one-off window by series', () => {
    expect(
      windowFromOptions({
        id: 'deploy',
        series: 's',
        from: '2026-11-25T10:00:00Z',
        to: '2026-11-25T11:00:00Z',
      }).schedule,
    ).toEqual({
      kind: 'once',
      start: Date.UTC(2026, 10, 25, 10),
      end: Date.UTC(2026, 10, 25, 11),
    });
  });

  it.each([
    [{ id: 'x', tag: ['resource'], weekly: 'Sun 02:00', duration: '1h' }, '--tag'],
    [{ id: 'x', series: 's', weekly: 'Someday 02:00', duration: '1h' }, '--weekly'],
    [{ id: 'x', series: 's', weekly: 'Sun 02:00' }, '--duration'],
    [{ id: 'x', series: 's' }, '--from'],
    [{ id: 'bad id!', series: 's', from: '2026-11-25T10:00Z', to: '2026-11-25T11:00Z' }, '--id'],
    [{ id: 'x', from: '2026-11-25T10:00Z', to: '2026-11-25T11:00Z' }, '--series'],
  ])('rejects %j naming %s', (options, field) => {
    try {
      windowFromOptions(options);
      throw new Error('expected a ValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues.some((i) => i.startsWith(field))).toBe(true);
    }
  });
});
