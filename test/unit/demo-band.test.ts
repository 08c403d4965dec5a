// The demo series' tiles draw the band the production detector gives their points, as a detect shard
// would keep it: warmed on the seeded history, advanced with each feed, re-warmed when a threshold moves.
import { DemoBandKeeper } from '../../infra/local/demo-band';
import { demoPoints, demoSeries } from '../../infra/local/demo-data';
import { MemoryMetricStore } from '../../shared/adapters/memory-stores';
import { evaluateSeriesResumable } from '../../shared/domain/anomaly';
import { parseMonitorConfig } from '../../shared/monitor-config';

const MIN = 60_000;
const HOUR = 60 * MIN;
const NOW = Date.UTC(2026, 11, 4, 12);
const detection = parseMonitorConfig({
  series: [{ metric: 'm', namespace: 'N', metricName: 'M' }],
}).detection;
const series = demoSeries().slice(0, 3);

/** The band one detector streaming every stored point up to `now` gives the last hour. */
async function oneStream(store: MemoryMetricStore, now: number, sensitivity = 1) {
  const out = new Map<string, unknown>();
  for (const s of series) {
    const points = await store.queryRange(s.id, 0, now);
    const band = evaluateSeriesResumable(s, points, now - HOUR + 1, now, detection, sensitivity).band;
    out.set(s.id, band);
  }
  return out;
}

describe('DemoBandKeeper', () => {
  it('keeps the last hour of what the detector expects, seeded and then fed', async () => {
    // Prepare: 3 hours seeded
    const store = new MemoryMetricStore();
    await store.putPoints(demoPoints(series, NOW - 3 * HOUR, NOW + 1, Number.POSITIVE_INFINITY));
    const keeper = new DemoBandKeeper({ series, store, detection, sensitivityOf: async () => 1 });

    // Act / Assess: after the seed
    await keeper.advance(NOW);
    const seeded = await keeper.read();
    expect(seeded).toEqual(await oneStream(store, NOW));
    expect([...seeded.values()].every((b) => b.length === 60)).toBe(true);

    // …and after two minutes of feed
    await store.putPoints(demoPoints(series, NOW + 1, NOW + 2 * MIN + 1, Number.POSITIVE_INFINITY));
    await keeper.advance(NOW + 2 * MIN);
    expect(await keeper.read()).toEqual(await oneStream(store, NOW + 2 * MIN));
  });

  it('re-warms a series when its threshold moves', async () => {
    const store = new MemoryMetricStore();
    await store.putPoints(demoPoints(series, NOW - 3 * HOUR, NOW + 1, Number.POSITIVE_INFINITY));
    let sensitivity = 1;
    const keeper = new DemoBandKeeper({ series, store, detection, sensitivityOf: async () => sensitivity });
    await keeper.advance(NOW - MIN);

    sensitivity = 1.5;
    await keeper.advance(NOW);

    expect(await keeper.read()).toEqual(await oneStream(store, NOW, 1.5));
  });
});
