// The dashboard's pure pieces: downsampling, a series' state, the alert funnel, the timeline cursor, the
// range rules and how an anomaly row is shaped.
import fc from 'fast-check';
import { memoryPoints, scanSeries } from '../../shared/domain/anomaly';
import {
  alertFunnel,
  alertQuality,
  currentWindowMs,
  decodeCursor,
  downsample,
  encodeCursor,
  learningUntil,
  newerFirst,
  STATE_WINDOW_MS,
  seriesState,
  WARM_UP_POINTS,
} from '../../shared/domain/dashboard';
import { ValidationError } from '../../shared/errors';
import { parseMonitorConfig } from '../../shared/monitor-config';
import type { AnomalyDetail } from '../../shared/ports';
import {
  alertIdOfAnomaly,
  anomalyRow,
  bandLookbackMs,
  expectedBand,
  resolveRange,
  seriesRangeLimits,
} from '../../shared/use-cases/dashboard';

const MIN = 60_000;
const DAY = 86_400_000;

describe('downsample', () => {
  const points = Array.from({ length: 1440 }, (_, i) => ({ ts: i * MIN, value: i === 700 ? 1000 : i % 10 }));

  it('returns the points as they are when they fit', () => {
    const r = downsample(points.slice(0, 100), 0, 99 * MIN, 100);
    expect(r.downsampled).toBe(false);
    expect(r.points).toEqual(points.slice(0, 100));
    expect(r.points[0]).not.toHaveProperty('min');
  });

  it('makes at most maxPoints buckets of mean/min/max, stamped with their start, keeping spikes in max', () => {
    const r = downsample(points, 0, 1440 * MIN, 144);
    expect(r.downsampled).toBe(true);
    expect(r.points).toHaveLength(144);
    expect(r.points[0]).toEqual({ ts: 0, value: 4.5, min: 0, max: 9 });
    expect(r.points[70]).toEqual({ ts: 700 * MIN, value: (1000 + 45) / 10, min: 1, max: 1000 });
  });

  it('leaves empty buckets out, ignores points outside the range and non-finite values', () => {
    const gappy = [
      { ts: -5, value: 1 },
      { ts: 0, value: 1 },
      { ts: 1, value: Number.NaN },
      { ts: 2, value: 3 },
      { ts: 90, value: 5 },
      { ts: 100, value: 7 },
      { ts: 101, value: 9 },
    ];
    expect(downsample(gappy, 0, 100, 2)).toEqual({
      downsampled: true,
      points: [
        { ts: 0, value: 2, min: 1, max: 3 },
        { ts: 50, value: 6, min: 5, max: 7 },
      ],
    });
    expect(downsample(gappy, 0, 100, 10).points).toHaveLength(4);
  });

  it('never returns more than maxPoints, and every bucket holds its mean between min and max (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            ts: fc.integer({ min: 0, max: 10_000 }),
            value: fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
          }),
          {
            maxLength: 300,
          },
        ),
        fc.integer({ min: 1, max: 50 }),
        (raw, maxPoints) => {
          const sorted = [...raw].sort((a, b) => a.ts - b.ts);
          const r = downsample(sorted, 0, 10_000, maxPoints);
          expect(r.points.length).toBeLessThanOrEqual(maxPoints);
          expect(r.downsampled).toBe(sorted.length > maxPoints);
          if (r.downsampled) {
            for (const p of r.points) {
              expect(p.min! <= p.value + 1e-6 && p.value <= p.max! + 1e-6).toBe(true);
            }
          }
        },
      ),
    );
  });
});

describe('seriesState', () => {
  const now = 1_000 * MIN;
  it('is anomalous with an anomaly in the last 5 minutes, whatever the data', () => {
    expect(seriesState(undefined, now - STATE_WINDOW_MS, now)).toBe('anomalous');
    expect(seriesState(now, now - 1, now)).toBe('anomalous');
  });
  it('is no-data without a point in the last 5 minutes, ok otherwise', () => {
    expect(seriesState(undefined, undefined, now)).toBe('no-data');
    expect(seriesState(now - STATE_WINDOW_MS - 1, now - STATE_WINDOW_MS - 1, now)).toBe('no-data');
    expect(seriesState(now - STATE_WINDOW_MS, undefined, now)).toBe('ok');
  });
  it('counts a point as current for one collect cycle plus two periods: 5-minute cycles, 1-minute points', () => {
    // Collect every 5 min with a 2-min settle delay: the newest 1-minute point is 3–8 minutes old.
    const window = currentWindowMs(MIN, 7 * MIN);
    expect(window).toBe(9 * MIN);
    expect(seriesState(now - 8 * MIN, undefined, now, window)).toBe('ok');
    expect(seriesState(now - 10 * MIN, undefined, now, window)).toBe('no-data');
    expect(currentWindowMs(MIN, 0)).toBe(STATE_WINDOW_MS);
  });
});

describe('learning and muted states (issue 16)', () => {
  const now = 1_000 * MIN;
  it('learningUntil is the first point plus the warm-up of WARM_UP_POINTS periods', () => {
    expect(learningUntil(now, MIN)).toBe(now + WARM_UP_POINTS * MIN);
    expect(learningUntil(now, 5 * MIN)).toBe(now + WARM_UP_POINTS * 5 * MIN);
  });
  it('is learning before learningUntil, ok from then; no-data and anomalous win over learning', () => {
    expect(seriesState(now, undefined, now, undefined, { learningUntil: now + 1 })).toBe('learning');
    expect(seriesState(now, undefined, now, undefined, { learningUntil: now })).toBe('ok');
    expect(seriesState(now, now, now, undefined, { learningUntil: now + 1 })).toBe('anomalous');
    expect(seriesState(undefined, undefined, now, undefined, { learningUntil: now + 1 })).toBe('no-data');
  });
  it('is muted in a maintenance window, whatever else holds', () => {
    expect(seriesState(now, now, now, undefined, { muted: true })).toBe('muted');
  });
});

describe('expected band (issue 16)', () => {
  const detection = parseMonitorConfig({
    series: [{ metric: 'm', namespace: 'N', metricName: 'M' }],
  }).detection;
  const points = Array.from({ length: 600 }, (_, i) => ({
    ts: i * MIN,
    value: 50 + Math.sin(i * 1.3) * 2 + (i === 500 ? 40 : 0),
  }));

  it("is each point's z-score range from the production detector, once it has one", () => {
    const band = expectedBand(points, { from: 0, to: 599 * MIN, maxPoints: 800 }, detection, 1, MIN);
    const want: { ts: number; low: number; high: number }[] = [];
    scanSeries(points, 0, 599 * MIN, detection, 1, MIN, (p, v) => {
      const z = v.results.find((r) => r.method === 'zscore')!;
      if (Number.isFinite(z.expectedLow)) want.push({ ts: p.ts, low: z.expectedLow, high: z.expectedHigh });
    });
    expect(band.length).toBeGreaterThan(400);
    // The first points have no range: the detector needs residuals first.
    expect(band[0]!.ts).toBeGreaterThan(0);
    expect(band).toEqual(want);
  });

  it('bucketed, keeps the widest range of each bucket, stamped like the downsampled points', () => {
    const raw = expectedBand(points, { from: 0, to: 599 * MIN, maxPoints: 800 }, detection, 1, MIN);
    const band = expectedBand(points, { from: 0, to: 599 * MIN, maxPoints: 10 }, detection, 1, MIN, true);
    expect(band.length).toBeLessThanOrEqual(10);
    const width = Math.ceil((599 * MIN) / 10);
    const inBucket = raw.filter((b) => b.ts >= band[0]!.ts && b.ts < band[0]!.ts + width);
    expect(band[0]!.low).toBe(Math.min(...inBucket.map((b) => b.low)));
    expect(band[0]!.high).toBe(Math.max(...inBucket.map((b) => b.high)));
    expect(downsample(points, 0, 599 * MIN, 10).points.map((p) => p.ts)).toEqual(
      expect.arrayContaining(band.map((b) => b.ts)),
    );
  });

  it('replays from far enough back for the weekly baseline (4 weeks by default) or the memory', () => {
    expect(bandLookbackMs(detection, MIN)).toBe(28 * DAY + MIN);
    const noSeason = { ...detection, seasonality: { ...detection.seasonality, enabled: false } };
    expect(bandLookbackMs(noSeason, MIN)).toBe(memoryPoints(noSeason) * MIN);
  });
});

describe('series ranges bounded by point count (issue 16)', () => {
  it('allows maxPoints periods of the series, and names from with the bound in points and days', () => {
    const limits = seriesRangeLimits(300, 100_000);
    expect(resolveRange({ from: 0, to: 100_000 * 300_000 }, 0, limits)).toEqual({
      from: 0,
      to: 100_000 * 300_000,
    });
    expect(() => resolveRange({ from: 0, to: 100_000 * 300_000 + 1 }, 0, limits)).toThrow(
      expect.objectContaining({
        field: 'from',
        issues: [
          'from: the range may span at most 100000 points of this series (347 days at its 300 s period)',
        ],
      }),
    );
  });
});

describe('alertQuality (issue 16)', () => {
  it('counts pages, anomalies per page and precision from labels per metric and overall', () => {
    const rows = [
      { metric: 'cpu', alertState: 'sent' as const, feedback: { label: 'confirmed' }, alert: 'a1' },
      {
        metric: 'cpu',
        alertState: 'deduplicated' as const,
        feedback: { label: 'false-positive' },
        alert: 'a1',
      },
      { metric: 'mem', alertState: 'grouped' as const, feedback: { label: 'confirmed' }, alert: 'a1' },
      { metric: 'cpu', alertState: 'sent' as const, alert: 'a2' },
      { metric: 'cpu', alertState: 'rate-limited' as const },
      { metric: 'mem', alertState: 'suppressed' as const, feedback: { label: 'false-positive' } },
    ];
    const [all, cpu, mem] = alertQuality(rows, (i) => rows[i]!.alert, 14 * DAY);
    expect(all).toEqual({
      metric: null,
      pages: 2,
      pagesPerWeek: 1,
      anomalies: 6,
      inPages: 4,
      anomaliesPerPage: 2,
      falsePositives: 1,
      confirmed: 2,
      precision: 2 / 3,
      rateLimited: 1,
      suppressed: 1,
      resolved: 0,
      medianMinutesToResolved: null,
    });
    expect(cpu).toMatchObject({ metric: 'cpu', pages: 2, inPages: 3, anomaliesPerPage: 1.5, precision: 0.5 });
    // A label on an anomaly that never paged does not count toward precision.
    expect(mem).toMatchObject({ metric: 'mem', pages: 1, falsePositives: 0, confirmed: 1, precision: 1 });
  });

  it('takes the median time to RESOLVED over the pages resolved, per metric and overall', () => {
    const rows = [
      { metric: 'cpu', alertState: 'sent' as const, alert: 'a1' },
      { metric: 'cpu', alertState: 'sent' as const, alert: 'a2' },
      { metric: 'cpu', alertState: 'sent' as const, alert: 'a3' },
      { metric: 'mem', alertState: 'sent' as const, alert: 'a4' },
    ];
    // a1 resolved after 20 min, a2 after 40, a3 still open, a4 after 3 h.
    const after: Record<string, number> = { a1: 20 * MIN, a2: 40 * MIN, a4: 180 * MIN };
    const [all, cpu, mem] = alertQuality(
      rows,
      (i) => rows[i]!.alert,
      7 * DAY,
      (id) => after[id],
    );
    expect(cpu).toMatchObject({ resolved: 2, medianMinutesToResolved: 30 });
    expect(mem).toMatchObject({ resolved: 1, medianMinutesToResolved: 180 });
    expect(all).toMatchObject({ pages: 4, resolved: 3, medianMinutesToResolved: 40 });
  });
});

describe('alertFunnel', () => {
  it('counts each state and divides paged (sent + grouped) by anomalies at or above the page level', () => {
    const f = alertFunnel(
      [
        { alertState: 'sent', level: 'CRITICAL' },
        { alertState: 'grouped', level: 'WARNING' },
        { alertState: 'deduplicated', level: 'CRITICAL' },
        { alertState: 'rate-limited', level: 'WARNING' },
        { alertState: 'suppressed', level: 'CRITICAL' },
        { alertState: 'below-severity', level: 'INFO' },
        { alertState: 'pending', level: 'WARNING' },
        { alertState: 'failed', level: 'CRITICAL' },
      ],
      'WARNING',
    );
    expect(f).toEqual({
      anomalies: 8,
      sent: 1,
      grouped: 1,
      deduplicated: 1,
      rateLimited: 1,
      suppressed: 1,
      belowSeverity: 1,
      pending: 1,
      failed: 1,
      conversionRate: 2 / 7,
    });
    expect(alertFunnel([{ alertState: 'sent', level: 'CRITICAL' }], 'CRITICAL').conversionRate).toBe(1);
  });

  it('is 0, not NaN, when nothing reached the page level', () => {
    expect(alertFunnel([], 'WARNING').conversionRate).toBe(0);
    expect(alertFunnel([{ alertState: 'below-severity', level: 'INFO' }], 'WARNING').conversionRate).toBe(0);
  });
});

describe('timeline cursor', () => {
  it('round-trips any position, series ids with slashes and unicode included (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 47 }), fc.string({ minLength: 1 }), (ts, series) => {
        const text = encodeCursor({ ts, series });
        expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodeCursor(text)).toEqual({ ts, series });
      }),
    );
  });

  it('rejects what it did not issue', () => {
    for (const bad of [
      '',
      'x',
      '!!!',
      Buffer.from('[1]').toString('base64url'),
      Buffer.from('[-1,"a"]').toString('base64url'),
      Buffer.from('{"ts":1}').toString('base64url'),
    ]) {
      expect(decodeCursor(bad)).toBeUndefined();
    }
  });

  it('orders newest first, then by series id descending (the stored sort key read backwards)', () => {
    const items = [
      { ts: 1, series: 'a' },
      { ts: 2, series: 'a' },
      { ts: 2, series: 'b' },
    ];
    expect([...items].sort(newerFirst)).toEqual([
      { ts: 2, series: 'b' },
      { ts: 2, series: 'a' },
      { ts: 1, series: 'a' },
    ]);
  });
});

describe('resolveRange', () => {
  const limits = { defaultMs: DAY, maxMs: 31 * DAY };
  it('defaults to the last day before now, or before `to`', () => {
    expect(resolveRange({}, 10 * DAY, limits)).toEqual({ from: 9 * DAY, to: 10 * DAY });
    expect(resolveRange({ to: 5 * DAY }, 10 * DAY, limits)).toEqual({ from: 4 * DAY, to: 5 * DAY });
  });
  it('names `to` when it is not after `from`, and `from` when the span is too long', () => {
    const fieldOf = (input: { from?: number; to?: number }) => {
      try {
        resolveRange(input, 100 * DAY, limits);
      } catch (error) {
        return error instanceof ValidationError ? error.field : 'other';
      }
      return undefined;
    };
    expect(fieldOf({ from: 5, to: 5 })).toBe('to');
    expect(fieldOf({ from: 0, to: 32 * DAY })).toBe('from');
    expect(fieldOf({ from: 0, to: 31 * DAY })).toBeUndefined();
  });
});

describe('anomaly rows', () => {
  const base: AnomalyDetail = {
    series: 's',
    metric: 'cpu_percent',
    label: 'cpu',
    ts: 1_795_471_200_000,
    value: 9,
    expectedLow: Number.NaN,
    expectedHigh: 3,
    baseline: 2,
    deviation: Number.POSITIVE_INFINITY,
    score: 0.7,
    methods: ['spike'],
    findings: [],
    severity: 'high',
    level: 'CRITICAL',
    explanation: 'x',
    sensitivity: 1,
    alertState: 'deduplicated',
    alertReason: 'cpu_percent-above-0123456789abcdef-1795471200000',
  };

  it('turns non-finite numbers into null and leaves out what the dashboard does not need', () => {
    const row = anomalyRow(base);
    expect(row).toMatchObject({ expectedLow: null, expectedHigh: 3, deviation: null });
    expect(row).not.toHaveProperty('findings');
    expect(row).not.toHaveProperty('sensitivity');
    expect(row).not.toHaveProperty('alertReason');
  });

  it('takes the alert of a folded-in anomaly from its reason, only when that is an alert id', () => {
    expect(alertIdOfAnomaly(base)).toBe(base.alertReason);
    expect(alertIdOfAnomaly({ ...base, alertReason: 'same run' })).toBeUndefined();
    expect(alertIdOfAnomaly({ ...base, alertState: 'suppressed', alertReason: 'window-1' })).toBeUndefined();
    expect(alertIdOfAnomaly({ ...base, alertState: 'sent', alertId: 'a-1' })).toBe('a-1');
  });
});
