// (domain) a detector's whole state as plain JSON: what a checkpoint stores and another process
// resumes from. Numbers JSON cannot hold (NaN, −∞: "not yet") are null. The shape is validated on the
// way in by the checkpoint codec (shared/adapters/checkpoint-codec.ts) and the parts by their owners.
import type { BaselineState } from './baseline';
import type { IncidentState } from './decision';
import type { TailState } from './tail';

export interface DetectorSnapshot {
  /** {@link detectorFingerprint} of the detector that took it. */
  readonly fingerprint: string;
  /** Timestamp of the last point fed. */
  readonly lastTs: number;
  readonly baseline: BaselineState;
  /** Normal deviations of the point and level-shift streams, and those of past incidents. */
  readonly tails: {
    readonly point: TailState;
    readonly shift: TailState;
    readonly incidentPoint: TailState;
    readonly incidentShift: TailState;
  };
  readonly incident: IncidentState;
  /** Residuals of the last levelShift.points points against each candidate (level, daily, weekly), oldest first. */
  readonly recent: readonly (readonly number[])[];
  readonly previous: number | null;
  readonly index: number;
  readonly lastFire: number | null;
  readonly lastFireRank: number;
  /** Everything the series has shown (the new-range rule). */
  readonly seenLow: number | null;
  readonly seenHigh: number | null;
}

/** A snapshot that does not fit the detector restoring it. */
export class SnapshotError extends Error {
  override name = 'SnapshotError';
}
