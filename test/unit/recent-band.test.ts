// The band detect keeps for the health sparklines: one verdict → band rule shared with the series
// chart, the hour kept per shard (merge, trim, retry, dropped series) and its stored encoding.

import { gzipSync } from 'node:zlib';
import { MemoryRecentBandStore } from '../../shared/adapters/memory-stores';
import { encodeRecentBands, parseRecentBands } from '../../shared/adapters/recent-band-codec';
import { WarmRecentBandStore } from '../../shared/adapters/warm-recent-band-store';
import { SeriesDetector } from '../../shared/domain/detectors/series-detector';
import {
  bandPointOf,
  bandWithin,
  MAX_BAND_POINTS,
  mergeRecentBands,
  RECENT_BAND_SPAN_MS,
  type RecentBands,
} from '../../shared/domain/recent-band';
import { ValidationError } from '../../shared/errors';
import { parseMonitorConfig } from '../../shared/monitor-config';
import { SPARKLINE } from '../../shared/use-cases/dashboard';

const MIN = 60_000;
const NOW = Date.UTC(2026, 11, 4, 12);
const band = (ts: number, low = 1, high = 2) => ({ ts, low, high });

describe('bandPointOf', () => {
  const detection = parseMonitorConfig({
    series: [{ metric: 'm', namespace: 'N', metricName: 'M' }],
  }).detection;

  it('is undefined while the detector warms up, then the z-score bounds around the level', () => {
    const detector = new SeriesDetector(detection, MIN, 1);
    const verdicts = Array.from({ length: 400 }, (_, i) => ({
      ts: i * MIN,
      verdict: detector.push(i * MIN, 50 + Math.sin(i) * 2, true),
    }));
    expect(bandPointOf(0, verdicts[0]!.verdict)).toBeUndefined();
    const last = verdicts.at(-1)!;
    const z = last.verdict.results.find((r) => r.method === 'zscore')!;
    const point = bandPointOf(last.ts, last.verdict)!;
    expect(point).toEqual({ ts: last.ts, low: z.expectedLow, high: z.expectedHigh });
    expect(point.low).toBeLessThan(50);
    expect(point.high).toBeGreaterThan(50);
  });
});

describe('mergeRecentBands', () => {
  it('keeps each series its last hour, fresh points replacing kept ones at the same time', () => {
    const previous: RecentBands = {
      at: NOW - 5 * MIN,
      series: { a: [band(NOW - 65 * MIN), band(NOW - 30 * MIN), band(NOW - 5 * MIN, 1, 2)] },
    };
    const fresh = new Map([['a', [band(NOW - 5 * MIN, 3, 4), band(NOW, 3, 4)]]]);

    const kept = mergeRecentBands(previous, fresh, new Set(['a']), NOW);

    expect(kept).toEqual({
      at: NOW,
      series: { a: [band(NOW - 30 * MIN), band(NOW - 5 * MIN, 3, 4), band(NOW, 3, 4)] },
    });
  });

  it('drops series no longer in the shard and keeps those not judged this cycle', () => {
    const previous: RecentBands = { at: NOW, series: { gone: [band(NOW - MIN)], quiet: [band(NOW - MIN)] } };

    const kept = mergeRecentBands(previous, new Map(), new Set(['quiet', 'new']), NOW);

    expect(kept.series).toEqual({ quiet: [band(NOW - MIN)] });
  });

  it('never moves back: re-running an older cycle keeps the newer hour', () => {
    const newer = mergeRecentBands(
      undefined,
      new Map([['a', [band(NOW - MIN), band(NOW)]]]),
      new Set(['a']),
      NOW,
    );

    const rerun = mergeRecentBands(
      newer,
      new Map([['a', [band(NOW - 10 * MIN, 5, 6)]]]),
      new Set(['a']),
      NOW - 5 * MIN,
    );

    expect(rerun).toEqual({
      at: NOW,
      series: { a: [band(NOW - 10 * MIN, 5, 6), band(NOW - MIN), band(NOW)] },
    });
  });

  it('keeps at most MAX_BAND_POINTS per series, the newest', () => {
    const many = Array.from({ length: MAX_BAND_POINTS + 10 }, (_, i) => band(NOW - i * 500));
    const kept = mergeRecentBands(undefined, new Map([['a', many]]), new Set(['a']), NOW).series.a!;
    expect(kept).toHaveLength(MAX_BAND_POINTS);
    expect(kept.at(-1)!.ts).toBe(NOW);
    // …so what is written can always be read back.
    expect(() => parseRecentBands(encodeRecentBands({ at: NOW, series: { a: kept } }), 'k')).not.toThrow();
  });

  it('is idempotent for a retried cycle (same now, same points)', () => {
    const fresh = new Map([['a', [band(NOW - MIN), band(NOW)]]]);
    const once = mergeRecentBands(undefined, fresh, new Set(['a']), NOW);
    expect(mergeRecentBands(once, fresh, new Set(['a']), NOW)).toEqual(once);
  });

  it('spans what the health sparkline shows', () => {
    expect(RECENT_BAND_SPAN_MS).toBe(SPARKLINE.spanMs);
    expect(bandWithin([band(1), band(5), band(9)], 2, 9)).toEqual([band(5), band(9)]);
    expect(bandWithin(undefined, 0, 1)).toEqual([]);
  });
});

describe('recent band codec', () => {
  it('round-trips a shard hour, each range to a ten-thousandth of its width', () => {
    const bands: RecentBands = {
      at: NOW,
      series: {
        'A/cpu/web 1': [{ ts: NOW - 59 * MIN, low: 1.234567891, high: 98765.4321 }, band(NOW, -3, 0)],
        // A large gauge with a narrow range: rounding by the value's size would collapse it.
        'A/free/bytes': [{ ts: NOW, low: 1234567885.123, high: 1234567895.987 }],
      },
    };

    const back = parseRecentBands(encodeRecentBands(bands), 'test');

    expect(back).toEqual({
      at: NOW,
      series: {
        'A/cpu/web 1': [{ ts: NOW - 59 * MIN, low: 1, high: 98765 }, band(NOW, -3, 0)],
        'A/free/bytes': [{ ts: NOW, low: 1234567885.123, high: 1234567895.987 }],
      },
    });
  });

  it('names what is wrong with a corrupt object', () => {
    expect(() => parseRecentBands(Buffer.from('nope'), 's3://b/k')).toThrow(
      /s3:\/\/b\/k is not gzipped JSON/,
    );
    const uneven = gzipSync(JSON.stringify({ v: 1, at: NOW, series: { a: [[0, 1], [1], [2, 3]] } }));
    expect(() => parseRecentBands(uneven, 'k')).toThrow(ValidationError);
    expect(() => parseRecentBands(uneven, 'k')).toThrow(/series\.a: columns differ in length/);
    const wrong = gzipSync(JSON.stringify({ v: 2, at: NOW, series: {} }));
    expect(() => parseRecentBands(wrong, 'k')).toThrow(/k is malformed: v/);
  });
});

describe('WarmRecentBandStore (the shard writer’s own copy)', () => {
  const shard = { index: 0, count: 2 };
  const bands = (at: number): RecentBands => ({ at, series: { a: [band(at)] } });

  it('reads the stored object once, then answers from its own last merge', async () => {
    // Prepare
    const inner = new MemoryRecentBandStore();
    await inner.save(shard, bands(1));
    let reads = 0;
    const counting = {
      load: (s: typeof shard) => {
        reads++;
        return inner.load(s);
      },
      save: inner.save.bind(inner),
    };
    const warm = new WarmRecentBandStore(counting);

    // Act / Assess
    expect(await warm.load(shard)).toEqual(bands(1));
    await warm.save(shard, bands(2));
    expect(await warm.load(shard)).toEqual(bands(2));
    expect(await warm.load(shard)).toEqual(bands(2));
    expect(reads).toBe(1);
    expect(await inner.load(shard)).toEqual(bands(2));
  });

  it('keeps what it merged when the write fails, so the next write carries it', async () => {
    const warm = new WarmRecentBandStore({
      load: async () => undefined,
      save: () => Promise.reject(new Error('SlowDown')),
    });
    await expect(warm.save(shard, bands(3))).rejects.toThrow('SlowDown');
    expect(await warm.load(shard)).toEqual(bands(3));
  });
});
