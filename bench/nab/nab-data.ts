// Loading the NAB layout (../shared/nab, see SOURCE.md there): data CSVs, label windows, profiles and
// published detector results. Pure parsers first; the thin fs readers at the bottom use them.
// NAB data is never copied into this repository.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  type NabProfile,
  type NabProfileName,
  parseProfiles,
  probationRows,
  type RowWindow,
  type ScorableFile,
} from './scorer';

/** A window as stored in `combined_windows.json`: inclusive `[start, end]` timestamp strings. */
export type WindowLimits = readonly [start: string, end: string];

/** One NAB data file: `timestamp,value` rows, oldest first. */
export interface NabSeries {
  /** Corpus-relative key, e.g. `realKnownCause/nyc_taxi.csv` (the key used by the label files). */
  key: string;
  timestamps: string[];
  values: number[];
}

/** One NAB data file with its windows resolved to row indices. */
export interface NabFile extends NabSeries {
  /** Label windows as timestamps, from `combined_windows.json`. */
  windowLimits: WindowLimits[];
  /** Label windows as inclusive row ranges, ordered. */
  windows: RowWindow[];
  /** NAB's probationary period for this file, in rows. */
  probationRows: number;
}

/** The loaded corpus. */
export interface NabCorpus {
  files: NabFile[];
  /** Every label window (the denominator of NAB's normalisation). */
  windowCount: number;
}

/** Thrown when the corpus is inconsistent (missing column, unknown timestamp, misaligned results). */
export class NabDataError extends Error {
  override name = 'NabDataError';
}

// ---------------------------------------------------------------------------------------------
// Pure parsers
// ---------------------------------------------------------------------------------------------

/** Splits a simple CSV (no quoting, as in NAB) into a header and rows of cells. */
export function parseCsv(text: string): { header: string[]; rows: string[][] } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const first = lines[0];
  if (first === undefined) throw new NabDataError('empty CSV');
  const header = first.split(',').map((h) => h.trim());
  return { header, rows: lines.slice(1).map((l) => l.split(',')) };
}

function column(header: string[], name: string, what: string): number {
  const i = header.indexOf(name);
  if (i < 0) throw new NabDataError(`${what}: no "${name}" column (header: ${header.join(',')})`);
  return i;
}

function numberCell(cell: string | undefined, what: string, row: number): number {
  const v = cell === undefined ? Number.NaN : Number(cell.trim());
  if (cell === undefined || cell.trim() === '' || Number.isNaN(v)) {
    throw new NabDataError(`${what}: row ${row + 1} has no numeric value ("${cell ?? ''}")`);
  }
  return v;
}

/**
 * Canonical form of a NAB timestamp so that `2014-04-10 07:15:00.000000` (label files) and
 * `2014-04-10 07:15:00` (data files) compare equal, as they do in NAB once pandas parses both
 * as datetimes. `T` or space separators are accepted; trailing zeros of the fraction are dropped.
 * Strings in any other shape are returned trimmed and compared verbatim.
 */
export function canonicalTimestamp(ts: string): string {
  const s = ts.trim();
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d*))?$/.exec(s);
  if (!m) return s;
  const frac = (m[3] ?? '').replace(/0+$/, '');
  return `${m[1]} ${m[2]}${frac ? `.${frac}` : ''}`;
}

/** Parses a NAB data CSV (`timestamp,value`, columns found by name). */
export function parseDataCsv(key: string, text: string): NabSeries {
  const { header, rows } = parseCsv(text);
  const t = column(header, 'timestamp', key);
  const v = column(header, 'value', key);
  return {
    key,
    timestamps: rows.map((r) => (r[t] ?? '').trim()),
    values: rows.map((r, i) => numberCell(r[v], key, i)),
  };
}

/** Parses a NAB results CSV, reading `anomaly_score` (and `timestamp`) by header name. */
export function parseResultsCsv(what: string, text: string): { timestamps: string[]; scores: number[] } {
  const { header, rows } = parseCsv(text);
  const t = column(header, 'timestamp', what);
  const s = column(header, 'anomaly_score', what);
  return {
    timestamps: rows.map((r) => (r[t] ?? '').trim()),
    scores: rows.map((r, i) => numberCell(r[s], what, i)),
  };
}

/** Validates a parsed `combined_windows.json`: file key → list of `[start, end]` timestamps. */
export function parseWindows(json: unknown): Record<string, WindowLimits[]> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new NabDataError('combined_windows.json: not an object');
  }
  const out: Record<string, WindowLimits[]> = {};
  for (const [key, list] of Object.entries(json)) {
    if (!Array.isArray(list)) throw new NabDataError(`combined_windows.json: ${key} is not a list`);
    out[key] = list.map((w: unknown) => {
      if (!Array.isArray(w) || w.length !== 2 || typeof w[0] !== 'string' || typeof w[1] !== 'string') {
        throw new NabDataError(`combined_windows.json: ${key} has a malformed window`);
      }
      return [w[0], w[1]] as const;
    });
  }
  return out;
}

/**
 * Maps window timestamps to inclusive row indices by exact timestamp match (after
 * {@link canonicalTimestamp}), as NAB's sweeper does (`timestamps.index(...)`), first occurrence
 * winning. Windows come back sorted by start row.
 *
 * If a start or end timestamp is not a row of the file this throws {@link NabDataError}: NAB
 * itself would silently never enter a window whose start is missing (dropping it from the score
 * while still counting it when normalising) and crash on a missing end, so failing loudly is the
 * only behaviour that cannot skew a score.
 */
export function windowsToRows(
  key: string,
  timestamps: readonly string[],
  windows: readonly WindowLimits[],
): RowWindow[] {
  const index = new Map<string, number>();
  timestamps.forEach((ts, i) => {
    const c = canonicalTimestamp(ts);
    if (!index.has(c)) index.set(c, i);
  });
  const find = (ts: string): number => {
    const i = index.get(canonicalTimestamp(ts));
    if (i === undefined) throw new NabDataError(`${key}: window timestamp ${ts} is not a row of the file`);
    return i;
  };
  return windows.map(([start, end]): RowWindow => [find(start), find(end)]).sort((a, b) => a[0] - b[0]);
}

/**
 * Builds a {@link NabFile} from a series and its label windows (`windows[key]`, none when absent).
 */
export function toNabFile(
  series: NabSeries,
  windows: Readonly<Record<string, readonly WindowLimits[]>>,
): NabFile {
  const windowLimits = [...(windows[series.key] ?? [])];
  return {
    ...series,
    windowLimits,
    windows: windowsToRows(series.key, series.timestamps, windowLimits),
    probationRows: probationRows(series.timestamps.length),
  };
}

/**
 * Pairs a file with a detector's per-row scores. The row counts must match. When the scores come
 * with their own timestamps (a results CSV) their row order is the one scored, as in NAB, which
 * scores each results file by its own `timestamp` column: if that order differs from the data
 * file's, the windows are re-resolved against it. (The published randomCutForest result for
 * `realKnownCause/machine_temperature_system_failure.csv` orders a repeated hour of the data
 * differently; it lies outside every window, so the window rows are unchanged.)
 */
export function withScores(
  file: NabFile,
  scores: readonly number[],
  scoreTimestamps?: readonly string[],
): ScorableFile {
  if (
    scores.length !== file.timestamps.length ||
    (scoreTimestamps && scoreTimestamps.length !== scores.length)
  ) {
    throw new NabDataError(`${file.key}: ${scores.length} scores for ${file.timestamps.length} rows`);
  }
  const sameRows =
    !scoreTimestamps ||
    scoreTimestamps.every((ts, i) => canonicalTimestamp(ts) === canonicalTimestamp(file.timestamps[i]!));
  const windows = sameRows ? file.windows : windowsToRows(file.key, scoreTimestamps, file.windowLimits);
  return { name: file.key, scores, windows, probationRows: file.probationRows };
}

/** Path of a published result: `results/<detector>/<subfolder>/<detector>_<file>.csv`. */
export function resultsRelativePath(detector: string, key: string): string {
  const dir = path.posix.dirname(key);
  const file = path.posix.basename(key);
  return path.posix.join('results', detector, dir, `${detector}_${file}`);
}

// ---------------------------------------------------------------------------------------------
// fs readers
// ---------------------------------------------------------------------------------------------

/**
 * The NAB folder: `$NAB_DIR` if set, else `../shared/nab` from the project root (this file is
 * `<root>/bench/nab/nab-data.ts`).
 */
export function defaultNabDir(): string {
  const fromEnv = process.env.NAB_DIR;
  return fromEnv ? path.resolve(fromEnv) : path.resolve(__dirname, '../../../shared/nab');
}

/** Keys (`<subfolder>/<file>.csv`) of every data file under `<nabDir>/data`, sorted. */
export function listDataKeys(nabDir: string): string[] {
  return listKeysIn(path.join(nabDir, 'data'));
}

/** Keys (`<subfolder>/<file>.csv`) of every CSV one level below `dataDir`, sorted. */
export function listKeysIn(dataDir: string): string[] {
  const keys: string[] = [];
  for (const sub of readdirSync(dataDir, { withFileTypes: true })) {
    if (!sub.isDirectory()) continue;
    for (const f of readdirSync(path.join(dataDir, sub.name))) {
      if (f.endsWith('.csv')) keys.push(`${sub.name}/${f}`);
    }
  }
  return keys.sort();
}

/** Reads `<nabDir>/data/<key>`. */
export function readSeries(nabDir: string, key: string): NabSeries {
  return readSeriesIn(path.join(nabDir, 'data'), key);
}

/** Reads `<dataDir>/<key>`. */
export function readSeriesIn(dataDir: string, key: string): NabSeries {
  return parseDataCsv(key, readFileSync(path.join(dataDir, key), 'utf8'));
}

/** Reads `<nabDir>/combined_windows.json`. */
export function readWindows(nabDir: string): Record<string, WindowLimits[]> {
  return parseWindows(JSON.parse(readFileSync(path.join(nabDir, 'combined_windows.json'), 'utf8')));
}

/** Reads `<nabDir>/profiles.json`. */
export function readProfiles(nabDir: string): Record<NabProfileName, NabProfile> {
  return parseProfiles(JSON.parse(readFileSync(path.join(nabDir, 'profiles.json'), 'utf8')));
}

/** Reads every data file and resolves its windows; `windowCount` counts every window in the label file. */
export function loadNabCorpus(nabDir: string = defaultNabDir()): NabCorpus {
  const windows = readWindows(nabDir);
  const files = listDataKeys(nabDir).map((key) => toNabFile(readSeries(nabDir, key), windows));
  const missing = Object.keys(windows).filter((k) => !files.some((f) => f.key === k));
  if (missing.length > 0) throw new NabDataError(`windows for files not in data/: ${missing.join(', ')}`);
  return { files, windowCount: Object.values(windows).reduce((n, w) => n + w.length, 0) };
}

/** Reads a published detector's `anomaly_score` for every corpus file, checked against the data rows. */
export function loadDetectorResults(nabDir: string, detector: string, corpus: NabCorpus): ScorableFile[] {
  return corpus.files.map((file) => {
    const rel = resultsRelativePath(detector, file.key);
    const { timestamps, scores } = parseResultsCsv(rel, readFileSync(path.join(nabDir, rel), 'utf8'));
    return withScores(file, scores, timestamps);
  });
}
