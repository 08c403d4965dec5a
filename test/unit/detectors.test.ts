import fc from 'fast-check';
import {
  type Anomaly,
  decide,
  evaluateSeries,
  memoryPoints,
  runDetectors,
  scanSeries,
} from '../../shared/domain/anomaly';
import { NEUTRAL_SEMANTICS, semanticsOf } from '../../shared/domain/detectors/semantics';
import { SeriesDetector } from '../../shared/domain/detectors/series-detector';
import { SortedWindow } from '../../shared/domain/detectors/sorted-window';
import { alertLevelOf } from '../../shared/domain/types';
import { parseMonitorConfig } from '../../shared/monitor-config';
import { asPoints, NOISY, noise } from '../helpers/series';

const detection = parseMonitorConfig({
  series: [{ metric: 'x', namespace: 'N', metricName: 'M' }],
}).detection;
// Neutral semantics (both directions, no minimum move, no bounds): these tests are about the scorers.
const spec = { id: 'N/M//Average/60', metric: 'x', label: 'x', unit: '%', semantics: NEUTRAL_SEMANTICS };
const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1);
const all = (values: number[], config = detection, sensitivity = 1) =>
  evaluateSeries(spec, asPoints(values), T0, T0 + values.length * MIN, config, sensitivity);
const indexOf = (ts: number) => (ts - T0) / MIN;

describe('SortedWindow', () => {
  it('keeps exact order statistics of the last `capacity` values', () => {
    const w = new SortedWindow(50);
    const values = noise(500, 0, 10, 3);
    values.forEach((v, i) => {
      w.push(v);
      const held = values.slice(Math.max(0, i - 49), i + 1).sort((a, b) => a - b);
      expect(w.size).toBe(held.length);
      expect(w.max()).toBe(held.at(-1));
      expect(w.min()).toBe(held[0]);
      const h = (held.length - 1) * 0.25;
      const lo = Math.floor(h);
      expect(w.quantile(0.25)).toBeCloseTo(
        held[lo]! + (held[Math.min(lo + 1, held.length - 1)]! - held[lo]!) * (h - lo),
        12,
      );
      expect(w.countAtLeast(v)).toBe(held.filter((x) => x >= v).length);
    });
  });

  it('returns what it evicts and knows its mean', () => {
    const w = new SortedWindow(3);
    expect([w.push(1), w.push(0), w.push(5), w.push(2), w.push(0)]).toEqual([NaN, NaN, NaN, 1, 0]);
    expect(w.mean()).toBeCloseTo(7 / 3, 12); // 5, 2, 0
    w.push(-4);
    expect(w.mean()).toBeCloseTo(-2 / 3, 12); // 2, 0, −4
    expect(new SortedWindow(2).mean()).toBeNaN();
    expect(w.minGap()).toBe(2); // 2, 0, −4
    w.push(2);
    w.push(2);
    expect(w.minGap()).toBe(6); // −4, 2, 2
    w.push(2);
    expect(w.minGap()).toBeNaN(); // all equal
  });
});

describe('SeriesDetector on synthetic series', () => {
  it('finds the one spike in noise: zscore, critical, explained', () => {
    const values = noise(300);
    values[250] = 30; // ≈ 19 sigma
    const found = all(values);
    expect(found.map((a) => indexOf(a.ts))).toEqual([250]);
    const a = found[0]!;
    expect(a.methods[0]).toBe('zscore');
    expect(a.severity).toBe('critical');
    expect(a.level).toBe('CRITICAL');
    expect(a.model).toBe('level');
    expect(a.expectedLow).toBeLessThan(11);
    expect(a.expectedHigh).toBeGreaterThan(11);
    expect(a.expectedHigh).toBeLessThan(30);
    expect(a.deviation).toBeGreaterThan(10);
    expect(a.score).toBeGreaterThan(0.5);
    expect(a.score).toBeLessThanOrEqual(1);
    expect(a.explanation).toMatch(
      /^x = 30 % at 2026-01-01T04:10:00.000Z: outside expected [\d.]+–[\d.]+ %; zscore robust z=/,
    );
  });

  // The point stream would see a sustained 2.5-sigma move first; these tests raise its floor so the
  // level-shift stream is the one that must find it.
  const shiftOnly = { ...detection, zscore: { ...detection.zscore, floor: 5 } };

  it('reports a level shift only at a point that is itself on the moved side', () => {
    const values = noise(700);
    for (let i = 400; i < 700; i++) values[i]! += 2.5;
    const found = all(values, shiftOnly).filter((a) => a.methods.includes('level_shift'));
    expect(found.length).toBeGreaterThan(0);
    for (const a of found) {
      const f = a.findings.find((x) => x.method === 'level_shift')!;
      // Half the recent median's distance at least, on its side.
      expect((a.value - a.baseline) * f.deviation).toBeGreaterThan(0);
    }
  });

  it('finds a level shift within its persistence window, by level_shift', () => {
    const values = noise(600);
    for (let i = 400; i < 600; i++) values[i]! += 2.5; // 2.5 sigma: no single point stands out much
    const found = all(values, shiftOnly);
    const shift = found.find((a) => a.methods.includes('level_shift'));
    expect(shift).toBeDefined();
    expect(indexOf(shift!.ts)).toBeGreaterThanOrEqual(400);
    expect(indexOf(shift!.ts)).toBeLessThan(440);
    // One incident, one early detection (the refractory period holds the rest).
    expect(found.filter((a) => indexOf(a.ts) >= 400 && indexOf(a.ts) < 500)).toHaveLength(1);
  });

  it('learns a daily pattern: the usual cycle is quiet, the right value at the wrong time is not', () => {
    const period = 5 * MIN;
    const perDay = 288;
    const values = noise(6 * perDay, 0, 2, 11).map(
      (e, i) => 100 + 50 * Math.sin((2 * Math.PI * i) / perDay) + e,
    );
    const trough = 5 * perDay + Math.round(0.75 * perDay); // day 6, 18:00: normally ≈ 50
    values[trough] = 150; // the daily peak level, but at the daily low
    const points = asPoints(values, T0, period);
    const seasonalSpec = { ...spec, period: 300 };
    const found = evaluateSeries(seasonalSpec, points, T0 + 3 * 86_400_000, T0 + 7 * 86_400_000, detection);
    const hit = found.find((a) => (a.ts - T0) / period === trough);
    expect(hit?.model).toBe('daily');
    expect(hit?.level).toBe('CRITICAL');
    expect(hit?.explanation).toContain('(same time on previous days)');
    // The rest of the cycle pages nothing (a noise record or two may be recorded as INFO).
    expect(found.filter((a) => a !== hit && a.level !== 'INFO')).toEqual([]);
  });

  it('stays quiet on flat lines and pages nothing on three days of pure noise', () => {
    expect(all(new Array(500).fill(3))).toEqual([]);
    const days = all(noise(3 * 1440, 40, 3, 5));
    expect(days.filter((a) => alertLevelOf(a.severity) !== 'INFO')).toEqual([]);
    // Records do happen in noise (that is what records are), a handful, all INFO.
    expect(days.length).toBeLessThan(10);
  });

  it('fires once per incident: a second spike inside the refractory period is held, a later one is not', () => {
    const values = noise(600);
    values[250] = 40;
    values[270] = 41;
    values[450] = 42;
    expect(all(values).map((a) => indexOf(a.ts))).toEqual([250, 450]);
  });

  it('takes the sensitivity multiplier: 50% less sensitive misses a borderline point', () => {
    const values = noise(400);
    // The smallest jump that fires at full sensitivity is borderline: 1.5× less sensitive misses it.
    const fires = (jump: number, s: number) => {
      values[350] = 11 + jump;
      return all(values, detection, s).filter((a) => indexOf(a.ts) === 350);
    };
    const borderline = [4, 5, 6, 7, 8, 9, 10].find((j) => fires(j, 1).length > 0)!;
    expect(borderline).toBeDefined();
    expect(fires(borderline, 1)[0]!.sensitivity).toBe(1);
    expect(fires(borderline, 1.5)).toEqual([]);
    expect(fires(30, 1.5).map((x) => x.sensitivity)).toEqual([1.5]);
  });

  it('warms up before a full verdict, but judges a new range from the start', () => {
    const values = noise(150);
    values[40] = 15; // 4 sigma, inside the range a young series may still show: no verdict yet
    expect(all(values)).toEqual([]);
    values[50] = 100; // far beyond everything seen: the new-range rule fires in warm-up
    expect(all(values).map((a) => [indexOf(a.ts), a.methods])).toEqual([[50, ['new_range']]]);
  });
});

describe('scanSeries / evaluateSeries', () => {
  it('never looks ahead: a prefix gets the same verdicts whatever follows it', () => {
    const values = noise(500);
    values[300] = 25;
    const prefix: number[] = [];
    const full: number[] = [];
    scanSeries(asPoints(values.slice(0, 320)), T0, Number.POSITIVE_INFINITY, detection, 1, MIN, (_, v) =>
      prefix.push(v.score),
    );
    scanSeries(asPoints(values), T0, Number.POSITIVE_INFINITY, detection, 1, MIN, (_, v) =>
      full.push(v.score),
    );
    expect(full.slice(0, 320)).toEqual(prefix);
  });

  it('re-warms from memoryPoints: a cold start without a checkpoint finds the same incidents', () => {
    const values = noise(20_000, 20, 2, 9);
    values[19_500] = 60;
    for (let i = 19_700; i < 20_000; i++) values[i]! += 14;
    const points = asPoints(values);
    const from = T0 + 19_400 * MIN;
    const to = T0 + 20_000 * MIN;
    const fullRun = evaluateSeries(spec, points, from, to, detection);
    const bounded = points.filter((p) => p.ts >= from - memoryPoints(detection) * MIN);
    expect(bounded.length).toBeLessThan(points.length - 1000);
    expect(fullRun.length).toBeGreaterThanOrEqual(2);
    // Older memory only fades (weight < 1/e), so scores may differ slightly; the incidents do not.
    const times = (xs: Anomaly[]) => xs.filter((a) => a.level !== 'INFO').map((a) => a.ts);
    expect(times(fullRun).length).toBeGreaterThanOrEqual(2);
    expect(times(evaluateSeries(spec, bounded, from, to, detection))).toEqual(times(fullRun));
  });

  it('skips NaN, Infinity, duplicate and out-of-order points without throwing or firing', () => {
    const values = noise(300).map((v, i) => (i % 7 === 0 ? Number.NaN : v));
    values[200] = Number.POSITIVE_INFINITY;
    values[201] = Number.NEGATIVE_INFINITY;
    const points = asPoints(values);
    points.push({ ts: points[10]!.ts, value: 500 });
    const bad = new Set([200, 201, ...values.flatMap((v, i) => (Number.isNaN(v) ? [i] : []))]);
    for (const found of [all(values), evaluateSeries(spec, points, T0, T0 + 400 * MIN, detection)]) {
      expect(found.filter((a) => bad.has(indexOf(a.ts)) || a.value === 500)).toEqual([]);
      expect(found.filter((a) => a.level !== 'INFO')).toEqual([]);
    }
    expect(evaluateSeries(spec, [], 0, Number.MAX_SAFE_INTEGER, detection)).toEqual([]);
  });

  it('honours recordMinSeverity', () => {
    const values = noise(400);
    values[350] = 11 + 8; // a record at ≈ 7.5 robust sigmas: high
    expect(all(values).map((a) => a.severity)).toEqual(['high']);
    expect(all(values, { ...detection, recordMinSeverity: 'critical' })).toEqual([]);
  });
});

describe('decide', () => {
  it('returns null when nothing fired and an anomaly with every fired method otherwise', () => {
    expect(decide(spec, T0, 11, runDetectors(NOISY, 11, detection))).toBeNull();
    const a = decide(spec, T0, 90, runDetectors(NOISY, 90, detection))!;
    expect(a.methods).toEqual(['zscore', 'new_range']);
    expect(a.findings[0]!.method).toBe('zscore');
    expect(a.explanation).toContain('x = 90 %');
    expect(a.explanation).toContain('Severity critical (CRITICAL)');
  });
});

describe('property: scores', () => {
  const detector = () => new SeriesDetector(detection, MIN);
  it('are finite, in [0, 1], and ≥ 0.5 exactly when fired, for any finite input', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 400 }),
        (values) => {
          const d = detector();
          values.forEach((v, i) => {
            const r = d.push(i * MIN, v);
            expect(Number.isFinite(r.score)).toBe(true);
            expect(r.score).toBeGreaterThanOrEqual(0);
            expect(r.score).toBeLessThanOrEqual(1);
            expect(r.fired).toBe(r.score >= 0.5);
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('treats NaN and ±Infinity as no verdict, never a throw', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double(), fc.constant(Number.NaN), fc.constant(Number.POSITIVE_INFINITY)), {
          maxLength: 300,
        }),
        (values) => {
          const d = detector();
          values.forEach((v, i) => {
            const r = d.push(i * MIN, v);
            expect(r.score).toBeGreaterThanOrEqual(0);
            expect(r.score).toBeLessThanOrEqual(1);
            if (!Number.isFinite(v)) expect(r.fired).toBe(false);
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('quantised and sparse series', () => {
  it('does not treat one more event on a mostly-zero count as critical, but finds a burst', () => {
    const rng = noise(400, 0, 1, 21);
    const counts: number[] = rng.map((u) => (u > 1.5 ? 2 : u > 0.8 ? 1 : 0)); // ≈ 79% zeros, 14% ones, 7% twos
    counts[300] = 3;
    const quiet = all(counts).filter((a) => indexOf(a.ts) === 300);
    expect(quiet.every((a) => a.level !== 'CRITICAL')).toBe(true);
    counts[300] = 0;
    counts[350] = 40;
    const burst = all(counts).find((a) => indexOf(a.ts) === 350);
    expect(burst?.level).toBe('CRITICAL');
  });

  it('judges a burst on a count that is almost always zero (more than 90 % zeros)', () => {
    const counts: number[] = noise(1500, 0, 1, 5).map((u) => (u > 2 ? 1 : 0)); // ≈ 2 % ones
    counts[1400] = 25;
    const burst = all(counts).find((a) => indexOf(a.ts) === 1400);
    expect(burst?.level).toBe('CRITICAL');
    expect(burst?.methods).toContain('zscore');
    // The ordinary ones are not pages.
    expect(all(counts).filter((a) => indexOf(a.ts) !== 1400 && a.level !== 'INFO')).toEqual([]);
  });
});

describe('the expected range a verdict reports', () => {
  const detection = parseMonitorConfig({
    series: [{ metric: 'm', namespace: 'N', metricName: 'M' }],
  }).detection;
  const percent = semanticsOf({ metric: 'cpu_percent', unit: '%' });
  const warm = () => {
    const d = new SeriesDetector(detection, 60_000, 1, percent);
    noise(600, 40, 0.2, 11).forEach((v, i) => {
      d.push(i * 60_000, v);
    });
    return d;
  };
  const zOf = (v: ReturnType<SeriesDetector['push']>) => v.results.find((r) => r.method === 'zscore')!;

  it("is never narrower than the metric's minimum deviation, which is what decides a point counts", () => {
    // A quiet % series: its spread alone would give a range of well under a point either side.
    const inside = warm().push(600 * 60_000, 44);
    const range = zOf(inside);
    expect(percent.minDeviation).toBe(5);
    expect(range.expectedHigh - range.baseline).toBeCloseTo(5, 6);
    expect(range.baseline - range.expectedLow).toBeCloseTo(5, 6);
    // 4 points up: far beyond the spread, inside the range, not flagged.
    expect(inside.fired).toBe(false);
    // 6 points up: outside the range, flagged.
    const outside = warm().push(600 * 60_000, 46);
    expect(outside.fired).toBe(true);
    expect(46).toBeGreaterThan(zOf(outside).expectedHigh);
  });
});
