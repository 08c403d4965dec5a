// (local stack) the band the demo series' tiles draw. The demo series are not detected — their anomalies
// are seeded, so a detect cycle over them would page about made-up data — but their tiles should show
// what the detector expects as a real series' do: the production detector runs over their points as
// detect would (warmed on the seeded day, then the points the demo feed adds each minute), records
// nothing, and keeps the last hour of each one's expected range, merged as a detect shard keeps it.
import { evaluateSeriesResumable } from '../../shared/domain/anomaly';
import type { SeriesDetector } from '../../shared/domain/detectors/series-detector';
import { mergeRecentBands, RECENT_BAND_SPAN_MS, type RecentBands } from '../../shared/domain/recent-band';
import type { SeriesSpec } from '../../shared/domain/types';
import type { DetectionConfig } from '../../shared/monitor-config';
import type { MetricStore } from '../../shared/ports';
import type { KeptBandReader } from '../../shared/use-cases/dashboard';

/** The demo series' kept band, advanced with each demo feed. */
export class DemoBandKeeper {
  private readonly detectors = new Map<string, { detector: SeriesDetector; sensitivity: number }>();
  private kept: RecentBands | undefined;

  public constructor(
    private readonly deps: {
      readonly series: readonly SeriesSpec[];
      readonly store: MetricStore;
      readonly detection: DetectionConfig;
      /** The metric's threshold multiplier (its seeded adjustment). */
      readonly sensitivityOf: (metric: string) => Promise<number>;
    },
  ) {}

  /**
   * Judge each demo series' stored points up to `now` that its detector has not seen (all of them the
   * first time), and keep their expected ranges of the last hour.
   */
  public async advance(now: number): Promise<void> {
    const fresh = new Map<string, RecentBands['series'][string]>();
    for (const spec of this.deps.series) {
      const sensitivity = await this.deps.sensitivityOf(spec.metric);
      // A changed threshold is another detector: re-warm it on the stored day, as detect would.
      const kept = this.detectors.get(spec.id);
      const resume = kept?.sensitivity === sensitivity ? kept.detector : undefined;
      const from = resume ? resume.lastTs + 1 : 0;
      const points = await this.deps.store.queryRange(spec.id, from, now, now);
      const evaluated = evaluateSeriesResumable(spec, points, from, now, this.deps.detection, sensitivity, {
        ...(resume ? { resume } : {}),
        checkpointAt: now,
        bandFrom: now - RECENT_BAND_SPAN_MS,
      });
      if (evaluated.checkpoint) this.detectors.set(spec.id, { detector: evaluated.checkpoint, sensitivity });
      fresh.set(spec.id, evaluated.band);
    }
    this.kept = mergeRecentBands(this.kept, fresh, new Set(this.deps.series.map((s) => s.id)), now);
  }

  /** The kept band by series, as the health view reads it. */
  public readonly read: KeptBandReader = async () => new Map(Object.entries(this.kept?.series ?? {}));
}
