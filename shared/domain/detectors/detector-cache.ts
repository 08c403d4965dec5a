// (domain) detector checkpoints kept between detect runs in one process (a warm Lambda, the local
// stack, a replay). Detection is a stream; without a checkpoint a run resumes from the persisted one
// (CheckpointStore, when configured) or re-warms the detector from the finite memory it reads (same
// verdicts for the level baseline, see memoryPoints). With one it feeds only the new points — and the
// seasonal baselines keep their full look-back.
import type { SeriesDetector } from './series-detector';

interface Entry {
  readonly detector: SeriesDetector;
  readonly sensitivity: number;
}

/** Series id → the detector state after the last final point of the previous successful run. */
export class DetectorCache {
  private readonly entries = new Map<string, Entry>();
  /** Series id → lastTs of the checkpoint last persisted (this process's knowledge of the store). */
  private readonly saved = new Map<string, number>();
  /** Series this process already tried to backfill (once per process, whatever the outcome). */
  private readonly backfilled = new Set<string>();

  wasBackfilled(series: string): boolean {
    return this.backfilled.has(series);
  }

  markBackfilled(series: string): void {
    this.backfilled.add(series);
  }

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

  /** lastTs of the series' newest persisted checkpoint, −∞ when none is known. */
  savedAt(series: string): number {
    return this.saved.get(series) ?? Number.NEGATIVE_INFINITY;
  }

  /** Record that the checkpoint with this lastTs is the persisted one (undefined: none usable is). */
  markSaved(series: string, lastTs: number | undefined): void {
    if (lastTs === undefined) this.saved.delete(series);
    else this.saved.set(series, lastTs);
  }
}
