// The tuning rules of issue #6, exactly: immediate rule (10th FP → +10%, reset, bounds), weekly rule
// (> 20% / < 5% / in between / too few labelled, bounds), counter deltas, and the evaluated week.
import fc from 'fast-check';
import {
  CHANGE_ID_PATTERN,
  changeIdOf,
  clampAdjustment,
  DEFAULT_TUNING_POLICY,
  type FeedbackLabel,
  feedbackDelta,
  fpCountRule,
  isoWeekOf,
  roundAdjustment,
  sensitivityOf,
  tuningPolicyOf,
  tuningWeek,
  weeklyRule,
} from '../../shared/domain/feedback';
import { parseMonitorConfig } from '../../shared/monitor-config';

const P = DEFAULT_TUNING_POLICY;

describe('immediate rule (fp-count)', () => {
  it('does nothing below 10 false positives', () => {
    expect(fpCountRule({ fpCount: 9, adjustment: 0 }, P)).toEqual({ fire: false });
  });

  it('raises the threshold by 10% on the 10th and consumes 10 counts (the reset)', () => {
    expect(fpCountRule({ fpCount: 10, adjustment: 0 }, P)).toEqual({ fire: true, to: 0.1, consume: 10 });
    expect(fpCountRule({ fpCount: 10, adjustment: 0.2 }, P)).toEqual({ fire: true, to: 0.3, consume: 10 });
  });

  it('stays within +50%: at the bound it still resets the counter but changes nothing', () => {
    expect(fpCountRule({ fpCount: 10, adjustment: 0.45 }, P)).toEqual({ fire: true, to: 0.5, consume: 10 });
    expect(fpCountRule({ fpCount: 10, adjustment: 0.5 }, P)).toEqual({ fire: true, to: 0.5, consume: 10 });
  });

  it('five raises from 0 reach exactly +0.5 with no float dust, and a sixth stays there', () => {
    let adjustment = 0;
    for (let i = 0; i < 6; i++) {
      const d = fpCountRule({ fpCount: 10, adjustment }, P);
      if (!d.fire) throw new Error('expected the rule to fire');
      adjustment = d.to;
    }
    expect(adjustment).toBe(0.5);
  });
});

describe('weekly rule', () => {
  const counts = (falsePositives: number, confirmed: number, alerted = falsePositives + confirmed + 5) => ({
    alerted,
    labelled: falsePositives + confirmed,
    falsePositives,
    confirmed,
  });

  it('> 20% false positives: one step less sensitive', () => {
    expect(weeklyRule(counts(3, 7), 0, P)).toEqual({ outcome: 'high-fp-rate', rate: 0.3, to: 0.1 });
  });

  it('exactly 20% is in band (strictly greater is required)', () => {
    expect(weeklyRule(counts(2, 8), 0, P)).toEqual({ outcome: 'in-band', rate: 0.2, to: 0 });
  });

  it('< 5% false positives: one step more sensitive', () => {
    expect(weeklyRule(counts(0, 10), 0, P)).toEqual({ outcome: 'low-fp-rate', rate: 0, to: -0.1 });
    expect(weeklyRule(counts(1, 20), 0.2, P)).toEqual({ outcome: 'low-fp-rate', rate: 0.047619, to: 0.1 });
  });

  it('between 5% and 20%: no change', () => {
    expect(weeklyRule(counts(1, 9), 0.3, P)).toEqual({ outcome: 'in-band', rate: 0.1, to: 0.3 });
  });

  it('fewer than minLabelled labelled: no change, whatever the rate', () => {
    expect(weeklyRule(counts(9, 0), 0, P)).toEqual({ outcome: 'too-few-labelled', rate: 1, to: 0 });
    expect(weeklyRule(counts(0, 0, 50), 0, P)).toEqual({ outcome: 'too-few-labelled', rate: null, to: 0 });
  });

  it('stays within −50%..+50%', () => {
    expect(weeklyRule(counts(10, 0), 0.5, P).to).toBe(0.5);
    expect(weeklyRule(counts(0, 10), -0.5, P).to).toBe(-0.5);
    expect(weeklyRule(counts(0, 10), -0.45, P).to).toBe(-0.5);
  });

  it('never leaves the bounds, whatever the counts and starting point (property)', () => {
    fc.assert(
      fc.property(
        fc.nat(50),
        fc.nat(50),
        fc.integer({ min: -5, max: 5 }).map((n) => n / 10),
        (fp, confirmed, start) => {
          const to = weeklyRule(counts(fp, confirmed), start, P).to;
          return to >= P.minAdjustment && to <= P.maxAdjustment && to === roundAdjustment(to);
        },
      ),
    );
  });
});

describe('counter deltas', () => {
  const labels: (FeedbackLabel | undefined)[] = [undefined, 'false-positive', 'confirmed'];

  it.each([
    [undefined, 'false-positive', 1, 0],
    [undefined, 'confirmed', 0, 1],
    ['false-positive', undefined, -1, 0],
    ['false-positive', 'confirmed', -1, 1],
    ['confirmed', 'false-positive', 1, -1],
    ['false-positive', 'false-positive', 0, 0],
  ] as const)('%s → %s moves FP by %i and confirmed by %i', (from, to, fp, cf) => {
    expect(feedbackDelta(from, to)).toEqual({ falsePositives: fp, confirmed: cf });
  });

  it('any sequence of marks leaves the counters equal to the final label (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...labels), { maxLength: 30 }), (sequence) => {
        let current: FeedbackLabel | undefined;
        let fp = 0;
        let cf = 0;
        for (const next of sequence) {
          const d = feedbackDelta(current, next);
          fp += d.falsePositives;
          cf += d.confirmed;
          current = next;
        }
        return fp === (current === 'false-positive' ? 1 : 0) && cf === (current === 'confirmed' ? 1 : 0);
      }),
    );
  });
});

describe('adjustments', () => {
  it('clamps, rounds away float dust, and maps to the detector multiplier', () => {
    expect(clampAdjustment(0.1 + 0.2, P)).toBe(0.3);
    expect(clampAdjustment(0.7, P)).toBe(0.5);
    expect(clampAdjustment(-0.9, P)).toBe(-0.5);
    expect(sensitivityOf(0.1)).toBe(1.1);
    expect(sensitivityOf(-0.5)).toBe(0.5);
    expect(Object.is(roundAdjustment(-0), 0)).toBe(true);
  });

  it('reads the policy from the config section, with the seed defaults', () => {
    const config = parseMonitorConfig({
      series: [{ metric: 'cpu_percent', namespace: 'AWS/EC2', metricName: 'CPUUtilization' }],
    });
    expect(tuningPolicyOf(config.feedback)).toEqual(P);
    expect(config.feedback.weekly).toMatchObject({ day: 'SUN', hour: 3, minute: 0 });
  });

  it('rejects a config whose low FP rate is not below the high one, naming the field', () => {
    expect(() =>
      parseMonitorConfig({
        series: [{ metric: 'cpu_percent', namespace: 'AWS/EC2', metricName: 'CPUUtilization' }],
        feedback: { weekly: { lowFpRate: 0.3, highFpRate: 0.2 } },
      }),
    ).toThrow(/feedback\.weekly\.lowFpRate: must be below highFpRate/);
    expect(() =>
      parseMonitorConfig({
        series: [{ metric: 'cpu_percent', namespace: 'AWS/EC2', metricName: 'CPUUtilization' }],
        feedback: { maxAdjustment: -0.1 },
      }),
    ).toThrow(/feedback\.maxAdjustment/);
  });

  it('makes URL-safe, time-sortable change ids', () => {
    const id = changeIdOf(Date.UTC(2026, 10, 22, 3), 'cpu_percent', 7);
    expect(id).toBe('1795316400000-cpu_percent-7');
    expect(CHANGE_ID_PATTERN.test(id)).toBe(true);
    expect(changeIdOf(5, 'a', 1) < changeIdOf(10, 'a', 1)).toBe(true);
  });
});

describe('the evaluated week', () => {
  it.each([
    ['2026-11-22T03:00:00Z', '2026-W47', '2026-11-15', '2026-11-22'], // the scheduled Sunday run
    ['2026-11-22T23:59:00Z', '2026-W47', '2026-11-15', '2026-11-22'], // a retry later that Sunday
    ['2026-11-25T12:00:00Z', '2026-W47', '2026-11-15', '2026-11-22'], // a manual run midweek
    ['2026-11-29T03:00:00Z', '2026-W48', '2026-11-22', '2026-11-29'], // next Sunday
    ['2027-01-03T03:00:00Z', '2026-W53', '2026-12-27', '2027-01-03'], // 2026-12-31 is a Thursday: 53 weeks
  ])('a run at %s evaluates %s (%s → %s)', (at, label, start, end) => {
    const w = tuningWeek(Date.parse(at));
    expect(w).toEqual({
      label,
      start: Date.parse(`${start}T00:00:00Z`),
      end: Date.parse(`${end}T00:00:00Z`),
    });
  });

  it('follows the configured run day', () => {
    const w = tuningWeek(Date.parse('2026-11-25T12:00:00Z'), 'MON');
    expect(w.start).toBe(Date.parse('2026-11-16T00:00:00Z'));
    expect(w.end).toBe(Date.parse('2026-11-23T00:00:00Z'));
    expect(w.label).toBe('2026-W47');
  });

  it.each([
    ['2021-01-03', '2020-W53'],
    ['2021-01-04', '2021-W01'],
    ['2024-12-30', '2025-W01'],
    ['2026-01-01', '2026-W01'],
  ])('ISO week of %s is %s', (day, week) => {
    expect(isoWeekOf(Date.parse(`${day}T12:00:00Z`))).toBe(week);
  });
});
