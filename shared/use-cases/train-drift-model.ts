// adapter --> (use case) --> domain: train the infrastructure isolation forest on the last N days of
// metrics and store it, with what check-drift needs to judge recent data against it.
import { z } from 'zod';
import { mapLimit } from '../async';
import {
  alignFeatures,
  anomalyRate,
  columnOf,
  type FeatureRef,
  quantilesOf,
  REPORT_QUANTILES,
} from '../domain/drift';
import { IsolationForest, thresholdForContamination } from '../domain/isolation-forest';
import type { MetricPoint } from '../domain/types';
import type { DriftConfig } from '../monitor-config';
import type { Clock, Log, MetricStore, ModelStore } from '../ports';

/** `kind` of the infra model in the model store. */
export const INFRA_MODEL_KIND = 'isolation-forest';

/** Metadata stored with the infra model (and validated when check-drift loads it). */
export const InfraModelMetadataSchema = z.looseObject({
  kind: z.literal(INFRA_MODEL_KIND),
  version: z.string().min(1),
  createdAt: z.number(),
  features: z.array(z.object({ id: z.string().min(1), label: z.string() })).min(1),
  stepSeconds: z.number().int().positive(),
  rows: z.number().int().positive(),
  droppedRows: z.number().int().min(0),
  from: z.number(),
  to: z.number(),
  seed: z.number().int(),
  trainingSeconds: z.number().min(0),
  contamination: z.number().gt(0).max(0.5),
  threshold: z.number().finite(),
  /** Share of training rows above the threshold: what a healthy window should show. */
  expectedRate: z.number().min(0).max(1),
  /** p10/p50/p90 of each feature in training, in feature order. */
  featureQuantiles: z.array(z.array(z.number().nullable()).length(REPORT_QUANTILES.length)),
});

/** Validated infra model metadata. */
export type InfraModelMetadata = z.output<typeof InfraModelMetadataSchema>;

/** Progress of a training run, for a progress bar. */
export interface TrainProgress {
  readonly stage: 'load' | 'align' | 'train' | 'score' | 'save';
  readonly done: number;
  readonly total: number;
}

/** What training needs. */
export interface TrainDeps {
  readonly metrics: MetricStore;
  readonly models: ModelStore;
  readonly clock: Clock;
  readonly log: Log;
  /** The resolved feature series, in column order. */
  readonly features: readonly FeatureRef[];
  readonly settings: DriftConfig['infra'];
  readonly onProgress?: (progress: TrainProgress) => void;
  /** Monotonic milliseconds for measuring durations. @default performance.now */
  readonly timer?: () => number;
}

/** One training request (the Lambda payload). */
export interface TrainInput {
  /** Days of history. @default settings.trainDays */
  readonly days?: number;
  /** @default settings.seed */
  readonly seed?: number;
  /** @default the clock */
  readonly now?: number;
}

/** Outcome of a training run. */
export type TrainResult =
  | {
      readonly status: 'trained';
      readonly model: string;
      readonly key: string;
      readonly version: string;
      readonly rows: number;
      readonly droppedRows: number;
      readonly features: readonly string[];
      readonly from: string;
      readonly to: string;
      readonly seed: number;
      readonly trainingSeconds: number;
      readonly contamination: number;
      readonly threshold: number;
      readonly expectedRate: number;
      readonly modelBytes: number;
    }
  | {
      readonly status: 'refused';
      readonly reason: string;
      readonly rows: number;
      readonly droppedRows: number;
      readonly minRows: number;
    };

const DAY_MS = 86_400_000;

/**
 * Train the infra model.
 * 1. Read each feature series over [now − days, now), one query per series and day (progress: `load`).
 * 2. Align them on `stepSeconds`: a row per step where every feature has data; other steps are dropped
 *    and counted.
 * 3. Refuse, saying why, with fewer than `minRows` rows.
 * 4. Fit the forest (seeded), score the training rows, set the threshold at `contamination` and
 *    record the share above it as the expected anomaly rate.
 * 5. Save model + metadata (features, rows, time range, seed, training seconds, threshold, per-feature
 *    p10/p50/p90) under a new version and move `latest` to it.
 */
export async function trainDriftModel(deps: TrainDeps, input: TrainInput = {}): Promise<TrainResult> {
  const { settings } = deps;
  const timer = deps.timer ?? (() => performance.now());
  const now = input.now ?? deps.clock.now();
  const days = input.days ?? settings.trainDays;
  const seed = input.seed ?? settings.seed;
  const stepMs = settings.stepSeconds * 1000;
  const to = Math.floor(now / stepMs) * stepMs;
  const from = to - days * DAY_MS;
  const progress = deps.onProgress ?? (() => undefined);

  // 1. Load, a day at a time per feature: bounded queries and a progress bar that moves.
  const tasks = deps.features.flatMap((f, fi) =>
    Array.from({ length: days }, (_, d) => ({ fi, id: f.id, start: from + d * DAY_MS })),
  );
  const perFeature: MetricPoint[][] = deps.features.map(() => []);
  let done = 0;
  progress({ stage: 'load', done, total: tasks.length });
  await mapLimit(tasks, 4, async (task) => {
    const end = Math.min(task.start + DAY_MS, to) - 1;
    const points = await deps.metrics.queryRange(task.id, task.start, end, now);
    (perFeature[task.fi] as MetricPoint[]).push(...points);
    done++;
    progress({ stage: 'load', done, total: tasks.length });
  });

  // 2. Align.
  progress({ stage: 'align', done: 0, total: 1 });
  const aligned = alignFeatures(perFeature, stepMs);
  progress({ stage: 'align', done: 1, total: 1 });
  deps.log.info('Training set built', {
    features: deps.features.map((f) => f.label),
    rows: aligned.rows,
    droppedRows: aligned.droppedRows,
    days,
  });

  // 3. Enough rows?
  if (aligned.rows < settings.minRows) {
    const counts = perFeature
      .map((points, i) => `${deps.features[i]?.label}: ${points.length} points`)
      .join(', ');
    return {
      status: 'refused',
      reason:
        `Not enough data to train: ${aligned.rows} complete rows over the last ${days} days ` +
        `(${aligned.droppedRows} steps dropped for gaps), at least ${settings.minRows} needed ` +
        `(drift.infra.minRows). Per feature: ${counts}.`,
      rows: aligned.rows,
      droppedRows: aligned.droppedRows,
      minRows: settings.minRows,
    };
  }

  // 4. Train, score, threshold.
  progress({ stage: 'train', done: 0, total: 1 });
  const started = timer();
  const forest = IsolationForest.fit({ data: aligned.data, dims: aligned.dims }, { seed });
  const trainingSeconds = (timer() - started) / 1000;
  progress({ stage: 'train', done: 1, total: 1 });
  progress({ stage: 'score', done: 0, total: 1 });
  const scores = forest.scoreAll({ data: aligned.data, dims: aligned.dims });
  const threshold = thresholdForContamination(scores, settings.contamination);
  const expectedRate = anomalyRate(scores, threshold).rate;
  const featureQuantiles = deps.features.map((_, i) => quantilesOf(columnOf(aligned.data, aligned.dims, i)));
  progress({ stage: 'score', done: 1, total: 1 });

  // 5. Save.
  progress({ stage: 'save', done: 0, total: 1 });
  const body = forest.toJSON();
  const modelBytes = Buffer.byteLength(JSON.stringify(body));
  const firstRow = aligned.timestamps[0] as number;
  const lastRow = (aligned.timestamps[aligned.rows - 1] as number) + stepMs;
  const saved = await deps.models.save(settings.modelName, body, {
    kind: INFRA_MODEL_KIND,
    createdAt: now,
    features: deps.features.map((f) => ({ id: f.id, label: f.label })),
    stepSeconds: settings.stepSeconds,
    rows: aligned.rows,
    droppedRows: aligned.droppedRows,
    from: firstRow,
    to: lastRow,
    days,
    seed,
    trees: forest.treeCount,
    subsample: forest.subsample,
    trainingSeconds,
    contamination: settings.contamination,
    threshold,
    expectedRate,
    featureQuantiles,
    modelBytes,
  });
  progress({ stage: 'save', done: 1, total: 1 });
  deps.log.info('Infra drift model trained', { ...saved, rows: aligned.rows, threshold, expectedRate });
  return {
    status: 'trained',
    model: settings.modelName,
    key: saved.key,
    version: saved.version,
    rows: aligned.rows,
    droppedRows: aligned.droppedRows,
    features: deps.features.map((f) => f.label),
    from: new Date(firstRow).toISOString(),
    to: new Date(lastRow).toISOString(),
    seed,
    trainingSeconds,
    contamination: settings.contamination,
    threshold,
    expectedRate,
    modelBytes,
  };
}
