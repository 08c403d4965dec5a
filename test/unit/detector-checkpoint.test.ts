import { createHash } from 'node:crypto';
import {
  DETECTOR_VERSION,
  type DetectorSnapshot,
  SeriesDetector,
  SnapshotError,
} from '../../shared/domain/detectors/series-detector';
import { SortedWindow } from '../../shared/domain/detectors/sorted-window';
import { parseMonitorConfig } from '../../shared/monitor-config';
import { noise } from '../helpers/series';

const detection = parseMonitorConfig({
  series: [{ metric: 'x', namespace: 'N', metricName: 'M' }],
}).detection;
const PERIOD = 5 * 60_000;
const PER_DAY = 288;
const T0 = Date.UTC(2026, 0, 5);

/** Three weeks of a daily pattern with noise, a few incidents, and some NaN gaps. */
function series(): { ts: number; value: number }[] {
  const values = noise(21 * PER_DAY, 0, 3, 29).map(
    (e, i) => 200 + 80 * Math.sin((2 * Math.PI * i) / PER_DAY) + e,
  );
  values[9 * PER_DAY + 40] = 900;
  for (let i = 15 * PER_DAY; i < 15 * PER_DAY + 60; i++) values[i]! += 60;
  values[19 * PER_DAY + 100] = 90; // the daily peak's usual value, at the wrong time
  return values.map((value, i) => ({ ts: T0 + i * PERIOD, value: i % 97 === 5 ? Number.NaN : value }));
}

const verdictsOf = (d: SeriesDetector, points: { ts: number; value: number }[]) =>
  points.map((p) => d.push(p.ts, p.value));

describe('detector snapshots', () => {
  const points = series();
  const stream = verdictsOf(new SeriesDetector(detection, PERIOD), points);

  it('resume the stream exactly: verdicts after a JSON round trip equal the uninterrupted ones', () => {
    expect(stream.some((v) => v.fired && v.model === 'daily')).toBe(true);
    for (const cut of [50, 3 * PER_DAY, 12 * PER_DAY + 7, 15 * PER_DAY + 20]) {
      const first = new SeriesDetector(detection, PERIOD);
      verdictsOf(first, points.slice(0, cut));
      const json: DetectorSnapshot = JSON.parse(JSON.stringify(first.snapshot()));
      const resumed = SeriesDetector.restore(detection, PERIOD, 1, json);
      expect(resumed).toBeDefined();
      expect(resumed!.lastTs).toBe(first.lastTs);
      expect(verdictsOf(resumed!, points.slice(cut))).toEqual(stream.slice(cut));
    }
  });

  it('are refused by a detector with other settings, period or sensitivity (it re-warms instead)', () => {
    const d = new SeriesDetector(detection, PERIOD);
    verdictsOf(d, points.slice(0, 500));
    const snap = d.snapshot();
    expect(SeriesDetector.restore(detection, PERIOD, 1.1, snap)).toBeUndefined();
    expect(SeriesDetector.restore(detection, 60_000, 1, snap)).toBeUndefined();
    expect(SeriesDetector.restore({ ...detection, historyPoints: 10 }, PERIOD, 1, snap)).toBeUndefined();
    // Detect-level knobs change no verdict: the checkpoint still fits.
    expect(
      SeriesDetector.restore({ ...detection, lateOverlapMinutes: 3 } as typeof detection, PERIOD, 1, snap),
    ).toBeDefined();
    expect(snap.fingerprint).toContain(`"v":${DETECTOR_VERSION}`);
  });

  it('that are malformed are a SnapshotError naming the problem, never a half-restored detector', () => {
    const d = new SeriesDetector(detection, PERIOD);
    verdictsOf(d, points.slice(0, 3000));
    const snap = d.snapshot();
    const bad = (patch: Partial<DetectorSnapshot>) => () =>
      SeriesDetector.restore(detection, PERIOD, 1, { ...snap, ...patch });
    const b = snap.baseline;
    expect(bad({ baseline: { ...b, level: new Array(1001).fill(1) } })).toThrow(/exceed capacity/);
    expect(bad({ baseline: { ...b, level: [1, Number.NaN] } })).toThrow(SnapshotError);
    expect(bad({ baseline: { ...b, profiles: [] } })).toThrow(/seasonal profiles/);
    expect(bad({ baseline: { ...b, profiles: b.profiles.map((p) => ({ ...p, values: [1] })) } })).toThrow(
      /slots/,
    );
    expect(bad({ baseline: { ...b, levelScale: { mean: -1, n: 3 } } })).toThrow(/scale/);
    expect(bad({ tails: { ...snap.tails, point: { bins: [[9999, 1]], unit: 1, total: 1 } } })).toThrow(
      /tail bin/,
    );
    expect(bad({ incident: { ...snap.incident, dir: 5 } })).toThrow(/incident/);
    expect(bad({ index: -1 })).toThrow(/counts/);
  });

  it('SortedWindow.values / of round-trip a full, wrapped window', () => {
    const w = new SortedWindow(7);
    for (let i = 0; i < 23; i++) w.push((i * 5) % 11);
    const back = SortedWindow.of(7, w.values());
    expect(back.values()).toEqual(w.values());
    for (const q of [0, 0.3, 0.5, 1]) expect(back.quantile(q)).toBe(w.quantile(q));
    expect(back.push(100)).toBe(w.push(100));
  });
});

describe('DETECTOR_VERSION', () => {
  // A change detector, not a benchmark: checkpoints of an older algorithm must not be resumed by a
  // newer one, so a change in verdicts must come with a version bump (and a new line here).
  const DIGESTS: Record<number, string> = {
    2: '7761abbc3826e21f',
    3: 'b198fe639b7cf8e8',
  };
  it('is bumped whenever verdicts change', () => {
    const scores = verdictsOf(new SeriesDetector(detection, PERIOD), series()).map(
      (v) => `${v.score.toFixed(9)}${v.fired ? '!' : ''}${v.severity ?? ''}`,
    );
    const digest = createHash('sha256').update(scores.join(',')).digest('hex').slice(0, 16);
    expect({ version: DETECTOR_VERSION, digest }).toEqual({
      version: DETECTOR_VERSION,
      digest: DIGESTS[DETECTOR_VERSION],
    });
  });
});
