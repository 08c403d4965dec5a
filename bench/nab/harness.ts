// The NAB harness's one path through production code: every file replayed point by point through
// scanSeries (the function detect, the local stack and the preview use), scored with NAB's rules.
// Shared by `bench:nab` (the table) and `bench:nab-tune` (leave-one-category-out tuning).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { medianSpacingSeconds, parseReplayTimestamp } from '../../shared/adapters/csv-replay-source';
import { scanSeries } from '../../shared/domain/anomaly';
import { NullDetector } from '../../shared/domain/detectors/series-detector';
import type { DetectionConfig } from '../../shared/monitor-config';
import { listKeysIn, type NabFile, parseWindows, readSeriesIn, toNabFile, withScores } from './nab-data';
import {
  NAB_PROFILE_NAMES,
  NAB_PROFILES,
  type NabProfileName,
  normalise,
  optimiseThreshold,
  type ScorableFile,
  scoreCorpus,
} from './scorer';

/** One replayable NAB file: its rows as points and the period `npm start -- --replay` would derive. */
export interface HarnessFile {
  readonly key: string;
  readonly category: string;
  readonly nab: NabFile;
  readonly points: readonly { ts: number; value: number }[];
  readonly periodMs: number;
}

export function loadHarnessFiles(dataDir: string, windowsFile: string): HarnessFile[] {
  const windows = parseWindows(JSON.parse(readFileSync(windowsFile, 'utf8')));
  return listKeysIn(dataDir).map((key) => {
    const nab = toNabFile(readSeriesIn(dataDir, key), windows);
    const points = nab.timestamps.map((t, j) => ({
      ts: parseReplayTimestamp(t) ?? Number.NaN,
      value: nab.values[j]!,
    }));
    const periodMs = (medianSpacingSeconds(points.map((p) => p.ts)) ?? 60) * 1000;
    return { key, category: key.split('/')[0]!, nab, points, periodMs };
  });
}

/** Per-row scores of one file through the production detector (or the null detector). */
export function scoreFile(
  file: HarnessFile,
  detection: DetectionConfig,
  detector: 'production' | 'null',
): number[] {
  const scores = new Array<number>(file.points.length).fill(0);
  if (detector === 'null') {
    const d = new NullDetector();
    file.points.forEach((p, k) => {
      scores[k] = d.push(p.ts, p.value).score;
    });
    return scores;
  }
  // scanSeries visits the row objects themselves; a row it skips (non-finite, none in NAB) keeps 0.
  const index = new Map(file.points.map((p, k) => [p, k]));
  scanSeries(
    file.points,
    Number.NEGATIVE_INFINITY,
    Number.POSITIVE_INFINITY,
    detection,
    1,
    file.periodMs,
    (p, v) => {
      const k = index.get(p);
      if (k !== undefined) scores[k] = v.score;
    },
  );
  return scores;
}

export function scorable(file: HarnessFile, scores: number[]): ScorableFile {
  return withScores(file.nab, scores);
}

export interface ProfileResult {
  readonly score: number;
  readonly raw: number;
  readonly threshold: number;
  readonly windowsHit: number;
  readonly falsePositives: number;
}

/** Each profile's best single threshold over these files, normalised by their windows. */
export function bestScores(files: readonly ScorableFile[]): Record<NabProfileName, ProfileResult> {
  const windows = files.reduce((n, f) => n + f.windows.length, 0);
  const out = {} as Record<NabProfileName, ProfileResult>;
  for (const name of NAB_PROFILE_NAMES) {
    const best = optimiseThreshold(files, NAB_PROFILES[name]);
    out[name] = {
      score: normalise(best.raw, windows, NAB_PROFILES[name]),
      raw: best.raw,
      threshold: best.threshold,
      windowsHit: best.windowsHit,
      falsePositives: best.fpCount,
    };
  }
  return out;
}

/** Scores of these files at given per-profile thresholds (held-out scoring). */
export function scoresAt(
  files: readonly ScorableFile[],
  thresholds: Record<NabProfileName, number>,
): Record<NabProfileName, ProfileResult> {
  const windows = files.reduce((n, f) => n + f.windows.length, 0);
  const out = {} as Record<NabProfileName, ProfileResult>;
  for (const name of NAB_PROFILE_NAMES) {
    const c = scoreCorpus(files, thresholds[name], NAB_PROFILES[name]);
    out[name] = {
      score: normalise(c.raw, windows, NAB_PROFILES[name]),
      raw: c.raw,
      threshold: thresholds[name],
      windowsHit: c.windowsHit,
      falsePositives: c.fpCount,
    };
  }
  return out;
}

/** Categories (the corpus's subfolders) in a stable order. */
export function categoriesOf(files: readonly HarnessFile[]): string[] {
  return [...new Set(files.map((f) => f.category))].sort();
}

export const nabPaths = (nabDir: string, data?: string, windows?: string) => ({
  dataDir: path.resolve(data ?? path.join(nabDir, 'data')),
  windowsFile: path.resolve(windows ?? path.join(nabDir, 'combined_windows.json')),
});
