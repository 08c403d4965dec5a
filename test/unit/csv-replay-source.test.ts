import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CsvReplaySource,
  medianSpacingSeconds,
  parseReplayCsv,
  parseReplayTimestamp,
  replayMetricName,
} from '../../shared/adapters/csv-replay-source';
import { createReplayTimeline, ReplayClock } from '../../shared/adapters/replay-clock';
import { ValidationError } from '../../shared/errors';

const T0 = Date.UTC(2014, 3, 1); // 2014-04-01 00:00:00 UTC
const MIN = 60_000;
const REAL_NOW = Date.UTC(2024, 0, 1, 12); // 2024-01-01 12:00:00 UTC

/** NAB-style file: 5-minute points with a bad timestamp, a blank value, a non-number and a blank line. */
const NAB = [
  'timestamp,value',
  '2014-04-01 00:00:00,10.5',
  '2014-04-01 00:05:00,11',
  'not-a-date,12',
  '2014-04-01 00:10:00,',
  '',
  '2014-04-01 00:15:00,abc',
  '2014-04-01 00:20:00,13.25',
  '2014-04-01 00:15:00,12',
  '',
].join('\n');

describe('parseReplayTimestamp', () => {
  it('reads NAB, ISO (no zone = UTC), offsets and epoch seconds or milliseconds', () => {
    expect(parseReplayTimestamp('2014-04-01 00:00:00')).toBe(T0);
    expect(parseReplayTimestamp('2014-04-01T00:00:00')).toBe(T0);
    expect(parseReplayTimestamp('2014-04-01T00:00:00.250Z')).toBe(T0 + 250);
    expect(parseReplayTimestamp('2014-04-01T02:00:00+02:00')).toBe(T0);
    expect(parseReplayTimestamp('2014-03-31T19:00:00-0500')).toBe(T0);
    expect(parseReplayTimestamp('2014-04-01')).toBe(T0);
    expect(parseReplayTimestamp(String(T0 / 1000))).toBe(T0);
    expect(parseReplayTimestamp(String(T0))).toBe(T0);
  });

  it('rejects what is not a valid timestamp', () => {
    for (const bad of [
      '',
      'yesterday',
      '2014-02-30 00:00:00',
      '2014-04-01 25:00:00',
      '04/01/2014 00:00',
      '-5',
    ]) {
      expect(parseReplayTimestamp(bad)).toBeUndefined();
    }
  });
});

describe('parseReplayCsv', () => {
  it('keeps valid rows sorted and reports bad rows with line numbers', () => {
    // Act
    const parsed = parseReplayCsv(NAB);

    // Assess
    expect(parsed.points).toEqual([
      { ts: T0, value: 10.5 },
      { ts: T0 + 5 * MIN, value: 11 },
      { ts: T0 + 15 * MIN, value: 12 },
      { ts: T0 + 20 * MIN, value: 13.25 },
    ]);
    expect(parsed.badRows).toBe(3);
    expect(parsed.duplicates).toBe(0);
    expect(parsed.issues).toEqual([
      { line: 4, reason: 'bad timestamp "not-a-date"' },
      { line: 5, reason: 'blank value' },
      { line: 7, reason: 'value is not a finite number "abc"' },
    ]);
  });

  it('keeps the later of two rows with one timestamp and reports the superseded one', () => {
    const parsed = parseReplayCsv('timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:00:00,2\n');
    expect(parsed.points).toEqual([{ ts: T0, value: 2 }]);
    expect(parsed.duplicates).toBe(1);
    expect(parsed.issues).toEqual([{ line: 2, reason: 'duplicate timestamp, superseded by line 3' }]);
  });

  it('accepts no header, CRLF, quotes, a BOM, reordered columns and epoch timestamps', () => {
    expect(parseReplayCsv(`${T0 / 1000},1\r\n${T0 / 1000 + 60},2\r\n`).points).toEqual([
      { ts: T0, value: 1 },
      { ts: T0 + MIN, value: 2 },
    ]);
    expect(parseReplayCsv('\uFEFF"value","timestamp"\n"3","2014-04-01 00:00:00"\n').points).toEqual([
      { ts: T0, value: 3 },
    ]);
  });

  it('treats a first row with a bad timestamp but a numeric value as a bad row, not a header', () => {
    const parsed = parseReplayCsv('2014-13-01 00:00:00,5\n2014-04-01 00:00:00,6\n');
    expect(parsed.points).toEqual([{ ts: T0, value: 6 }]);
    expect(parsed.issues).toEqual([{ line: 1, reason: 'bad timestamp "2014-13-01 00:00:00"' }]);
  });

  it('counts a row with a missing column', () => {
    expect(parseReplayCsv('timestamp,value\n2014-04-01 00:00:00\n').issues).toEqual([
      { line: 2, reason: 'missing column' },
    ]);
  });
});

describe('medianSpacingSeconds', () => {
  it('is the median gap in whole seconds, robust to an outage', () => {
    // 5-minute points with one 2-hour gap
    const ts = [0, 5, 10, 15, 135, 140].map((m) => T0 + m * MIN);
    expect(medianSpacingSeconds(ts)).toBe(300);
    expect(medianSpacingSeconds([T0, T0 + 1000, T0 + 3000, T0 + 6000])).toBe(2);
    expect(medianSpacingSeconds([T0, T0 + 100])).toBe(1);
    expect(medianSpacingSeconds([T0])).toBeUndefined();
  });
});

describe('replayMetricName', () => {
  it('is replay_ + the name in snake_case, within the friendly-name limit', () => {
    expect(replayMetricName('ec2_cpu_utilization_5f5533')).toBe('replay_ec2_cpu_utilization_5f5533');
    expect(replayMetricName('rogueAgentKeyHold')).toBe('replay_rogue_agent_key_hold');
    expect(replayMetricName('Twitter_volume_AAPL')).toBe('replay_twitter_volume_aapl');
    expect(replayMetricName('my file (2).v1')).toBe('replay_my_file_2_v1');
    expect(replayMetricName('***')).toBe('replay_series');
    expect(replayMetricName('x'.repeat(100))).toMatch(/^[a-z][a-z0-9_]{0,62}$/);
  });
});

describe('createReplayTimeline', () => {
  it('rebases the file to end at real now, all of it in the past', () => {
    // Prepare: a 2-day file
    const first = T0;
    const last = T0 + 2 * 24 * 60 * MIN;

    // Act
    const timeline = createReplayTimeline(first, last, REAL_NOW, 600);

    // Assess
    expect(timeline.offset).toBe(REAL_NOW - (last - first) - first);
    expect(timeline.virtualStart).toBe(REAL_NOW - 2 * 24 * 60 * MIN);
    expect(first + timeline.offset).toBe(timeline.virtualStart);
    expect(last + timeline.offset).toBe(REAL_NOW);
    expect(timeline.virtualEnd).toBe(REAL_NOW);
    expect(timeline.realDurationMs).toBe((2 * 24 * 60 * MIN) / 600);
  });

  it('rejects a reversed span and a non-positive speed in one message', () => {
    expect(() => createReplayTimeline(T0 + 1, T0, REAL_NOW, 0)).toThrow(
      /fileLastTs .* is before fileFirstTs.*; speed must be a positive number, got 0/,
    );
  });
});

describe('ReplayClock', () => {
  it('runs speed times faster than the real clock from virtualStart', () => {
    // Prepare
    let real = REAL_NOW;
    const clock = new ReplayClock({ virtualStart: T0, speed: 600, realClock: () => real });

    // Act / Assess
    expect(clock.now()).toBe(T0);
    real += 1000;
    expect(clock.now()).toBe(T0 + 10 * MIN);
    real += 5500;
    expect(clock.now()).toBe(T0 + 65 * MIN);
    expect(clock.ended()).toBe(false);
  });

  it('reaches real now when the file is exhausted, then follows real time (never ahead of it)', () => {
    // Prepare: 1 day of data at 1440× takes one real minute
    let real = REAL_NOW;
    const timeline = createReplayTimeline(T0, T0 + 24 * 60 * MIN, REAL_NOW, 1440);
    const clock = ReplayClock.fromTimeline(timeline, { realClock: () => real });

    // Act / Assess
    expect(clock.now()).toBe(REAL_NOW - 24 * 60 * MIN);
    real += 30_000;
    expect(clock.now()).toBe(REAL_NOW - 12 * 60 * MIN);
    real = REAL_NOW + MIN;
    expect(clock.now()).toBe(REAL_NOW);
    expect(clock.ended()).toBe(true);
    real = REAL_NOW + 3 * MIN;
    expect(clock.now()).toBe(REAL_NOW + 2 * MIN);
    expect(clock.now()).toBeLessThan(real);
  });

  it('holds at the end when asked to', () => {
    let real = REAL_NOW;
    const timeline = createReplayTimeline(T0, T0 + 60 * MIN, REAL_NOW, 60);
    const clock = ReplayClock.fromTimeline(timeline, { afterEnd: 'hold', realClock: () => real });
    real += 10 * MIN;
    expect(clock.now()).toBe(REAL_NOW);
  });

  it('rejects a non-positive speed', () => {
    expect(() => new ReplayClock({ virtualStart: 0, speed: -1 })).toThrow(ValidationError);
  });
});

describe('CsvReplaySource', () => {
  const build = (text = NAB, extra: { perRunSeries?: boolean } = {}) => {
    let real = REAL_NOW;
    const source = new CsvReplaySource(text, {
      name: 'nyc_taxi',
      speed: 300,
      realNow: REAL_NOW,
      realClock: () => real,
      ...extra,
    });
    return { source, advance: (ms: number) => (real += ms) };
  };

  it('describes one Local/Replay series named after the file, period = median spacing', () => {
    // Act
    const { source } = build();

    // Assess
    expect(source.series).toEqual({
      id: `Local/Replay/replay_nyc_taxi/file=nyc_taxi,run=2024-01-01T12:00:00.000Z/Average/300`,
      metric: 'replay_nyc_taxi',
      label: 'replay_nyc_taxi',
      namespace: 'Local/Replay',
      metricName: 'replay_nyc_taxi',
      dimensions: { file: 'nyc_taxi', run: '2024-01-01T12:00:00.000Z' },
      stat: 'Average',
      period: 300,
      scale: 1,
      tags: { resource: 'nyc_taxi', service: 'replay' },
    });
    expect(build(NAB, { perRunSeries: false }).source.series.dimensions).toEqual({ file: 'nyc_taxi' });
    expect(source.pointCount).toBe(4);
    expect(source.badRows).toBe(3);
    expect(source.issues.map((i) => i.line)).toEqual([4, 5, 7]);
  });

  it('rebases the points so the last one lands on real now', async () => {
    // Act
    const { source } = build();
    const { points } = await source.fetch([source.series], 0, Number.POSITIVE_INFINITY);

    // Assess
    expect(points.map((p) => p.ts)).toEqual([
      REAL_NOW - 20 * MIN,
      REAL_NOW - 15 * MIN,
      REAL_NOW - 5 * MIN,
      REAL_NOW,
    ]);
    expect(points.map((p) => p.value)).toEqual([10.5, 11, 12, 13.25]);
    expect(source.firstTs).toBe(REAL_NOW - 20 * MIN);
    expect(source.lastTs).toBe(REAL_NOW);
    expect(source.timeline.offset).toBe(REAL_NOW - 20 * MIN - T0);
  });

  it('fetches points with start <= ts < end of its own series only', async () => {
    // Prepare
    const { source } = build();
    const at = (m: number) => REAL_NOW - m * MIN;

    // Act
    const middle = await source.fetch([source.series], at(15), at(5));
    const inclusiveEnd = await source.fetch([source.series], at(5), at(0) + 1);
    const other = await source.fetch([{ ...source.series, id: 'other' }], 0, Number.POSITIVE_INFINITY);

    // Assess
    expect(middle).toEqual({
      points: [{ series: source.series.id, ts: at(15), value: 11 }],
      skipped: 0,
      calls: 0,
      warnings: [],
    });
    expect(inclusiveEnd.points.map((p) => p.value)).toEqual([12, 13.25]);
    expect(other.points).toEqual([]);
  });

  it('runs its clock from the first point to the last at speed, and is done at the last', () => {
    // Prepare: 20 minutes of data at 300× take 4 real seconds
    const { source, advance } = build();

    // Act / Assess
    expect(source.clock.now()).toBe(source.firstTs);
    expect(source.done(source.clock.now())).toBe(false);
    advance(2000);
    expect(source.clock.now()).toBe(REAL_NOW - 10 * MIN);
    advance(1999);
    expect(source.done(source.clock.now())).toBe(false);
    advance(1);
    expect(source.clock.now()).toBe(REAL_NOW);
    expect(source.done(source.clock.now())).toBe(true);
  });

  it('uses the default period for a single valid row', () => {
    const { source } = build('timestamp,value\n2014-04-01 00:00:00,1\n');
    expect(source.series.period).toBe(60);
    expect(source.firstTs).toBe(REAL_NOW);
  });

  it('throws a ValidationError naming the file when no valid row remains', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'replay-'));
    const path = join(dir, 'broken.csv');
    writeFileSync(path, 'timestamp,value\n2014-04-01 00:00:00,\nnope,1\n');
    try {
      // Act
      const act = () => CsvReplaySource.fromFile(path, { speed: 60, realNow: REAL_NOW });

      // Assess
      expect(act).toThrow(ValidationError);
      expect(act).toThrow(
        `Replay file ${path} has no valid timestamp,value row: line 2: blank value; line 3:`,
      );
      expect(() => CsvReplaySource.fromFile(join(dir, 'missing.csv'), { speed: 60 })).toThrow(
        /Cannot read replay file .*missing\.csv/,
      );
      expect(() => new CsvReplaySource('', { speed: 60 })).toThrow('Replay file series has no valid');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a file and names the series after its base name', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'replay-'));
    const path = join(dir, 'art_daily_small_noise.csv');
    writeFileSync(path, NAB);
    try {
      // Act
      const source = CsvReplaySource.fromFile(path, { speed: 60, realNow: REAL_NOW, perRunSeries: false });

      // Assess
      expect(source.series.id).toBe(
        'Local/Replay/replay_art_daily_small_noise/file=art_daily_small_noise/Average/300',
      );
      expect(source.pointCount).toBe(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
