// (domain) detector checkpoints kept between detect runs in one process (a warm Lambda, the local
// stack, a replay). Detection is a stream; without a checkpoint a run re-warms the detector from the
// finite memory it reads (same verdicts for the level baseline, see memoryPoints). With one it feeds
// only the new points — and the seasonal baselines keep their full look-back.
import type { SeriesDetector } from './series-detector';

interface Entry {
  readonly detector: SeriesDetector;
  readonly sensitivity: number;
}

/** Series id → the detector state after the last final point of the previous successful run. */
export class DetectorCache {
  private readonly entries = new Map<string, Entry>();

  /** Take (and remove) the checkpoint of a series, if it was made at this sensitivity. */
  take(series: string, sensitivity: number): SeriesDetector | undefined {
    const entry = this.entries.get(series);
    this.entries.delete(series);
    return entry && entry.sensitivity === sensitivity ? entry.detector : undefined;
  }

  put(series: string, sensitivity: number, detector: SeriesDetector): void {
    this.entries.set(series, { detector, sensitivity });
  }

  get size(): number {
    return this.entries.size;
  }
}
