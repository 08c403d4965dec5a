// (adapter) --> MetricSource port (shared/ports.ts) for the local stack (DESIGN §7): replays a NAB-format
// CSV (`timestamp,value`) through the real collect/detect path, faster than real time. The file is
// rebased so that it ends at the real "now" of the start (replay-clock.ts): every point lies in the
// past, and the replay clock reaches that "now" when the file is exhausted.
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { MetricPoint, SeriesSpec } from '../domain/types';
import { ValidationError } from '../errors';
import { seriesIdOf } from '../monitor-config';
import type { FetchResult, MetricSource } from '../ports';
import { type AfterEnd, createReplayTimeline, ReplayClock, type ReplayTimeline } from './replay-clock';

/** Namespace of every replayed series. */
export const REPLAY_NAMESPACE = 'Local/Replay';

/** Period used when a file has a single valid row, so no spacing can be measured. */
export const DEFAULT_REPLAY_PERIOD_SECONDS = 60;

/** Row problems kept with their line numbers; the rest are only counted. */
const MAX_ISSUES = 100;

/** Below this a numeric timestamp is epoch seconds, above it epoch milliseconds (1e11 s is year 5138). */
const EPOCH_SECONDS_LIMIT = 1e11;

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Parse one timestamp: `YYYY-MM-DD HH:MM:SS` (NAB; no zone means UTC), ISO 8601 (no zone means UTC
 * too, unlike `Date.parse`), or epoch seconds / milliseconds.
 * @returns epoch milliseconds, or undefined when the text is not a valid timestamp
 */
export function parseReplayTimestamp(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    return Math.round(n < EPOCH_SECONDS_LIMIT ? n * 1000 : n);
  }
  const m = DATE_TIME.exec(t);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const ts = Date.UTC(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], ms);
  const back = new Date(ts);
  // Date.UTC rolls 2014-02-30 over to March: a component that did not survive the round trip was invalid.
  if (
    back.getUTCFullYear() !== parts[0] ||
    back.getUTCMonth() !== parts[1] ||
    back.getUTCDate() !== parts[2] ||
    back.getUTCHours() !== parts[3] ||
    back.getUTCMinutes() !== parts[4] ||
    back.getUTCSeconds() !== parts[5]
  ) {
    return undefined;
  }
  if (zone === undefined || zone.toUpperCase() === 'Z') return ts;
  const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
  if (!z) return undefined;
  const minutes = Number(z[2]) * 60 + Number(z[3] ?? 0);
  return ts - (z[1] === '-' ? -1 : 1) * minutes * 60_000;
}

/** One row that was not used, with its 1-based line number. */
export interface CsvRowIssue {
  readonly line: number;
  readonly reason: string;
}

/** A parsed replay file. */
export interface ParsedReplayCsv {
  /** Valid points, sorted by time, one per timestamp; `ts` is the file's own epoch ms. */
  readonly points: readonly { readonly ts: number; readonly value: number }[];
  /** Rows dropped as invalid (bad timestamp, blank or non-numeric value, missing column). */
  readonly badRows: number;
  /** Rows superseded by a later row with the same timestamp (the later row wins). */
  readonly duplicates: number;
  /** The first problems, bad rows and duplicates, with line numbers. */
  readonly issues: readonly CsvRowIssue[];
}

const unquote = (field: string): string => field.trim().replace(/^"(.*)"$/, '$1');

/**
 * Parse NAB-format CSV text: an optional header naming `timestamp` and `value` columns (any order;
 * without those names, or without a header, the first two columns), then one row per point. Blank
 * lines are ignored; bad rows are counted and reported with their line numbers, never thrown.
 */
export function parseReplayCsv(text: string): ParsedReplayCsv {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let tsCol = 0;
  let valueCol = 1;
  let firstRow = 0;
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first >= 0) {
    const fields = lines[first]!.split(',').map(unquote);
    const numeric = (f: string | undefined) => f !== undefined && DECIMAL.test(f);
    if (parseReplayTimestamp(fields[0] ?? '') === undefined && !numeric(fields[1])) {
      // A header: the first non-blank line holds neither a timestamp nor a value. A row with a bad
      // timestamp but a numeric value is a bad data row, reported below.
      const names = fields.map((f) => f.toLowerCase());
      if (names.includes('timestamp') && names.includes('value')) {
        tsCol = names.indexOf('timestamp');
        valueCol = names.indexOf('value');
      }
      firstRow = first + 1;
    }
  }

  const byTs = new Map<number, { value: number; line: number }>();
  const issues: CsvRowIssue[] = [];
  let badRows = 0;
  let duplicates = 0;
  const report = (line: number, reason: string): void => {
    if (issues.length < MAX_ISSUES) issues.push({ line, reason });
  };
  for (let i = firstRow; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const fields = line.split(',').map(unquote);
    const rawTs = fields[tsCol];
    const rawValue = fields[valueCol];
    const ts = rawTs === undefined ? undefined : parseReplayTimestamp(rawTs);
    let reason: string | undefined;
    if (rawTs === undefined || rawValue === undefined) reason = 'missing column';
    else if (ts === undefined) reason = `bad timestamp "${rawTs.slice(0, 40)}"`;
    else if (rawValue === '') reason = 'blank value';
    else if (!DECIMAL.test(rawValue) || !Number.isFinite(Number(rawValue))) {
      reason = `value is not a finite number "${rawValue.slice(0, 40)}"`;
    }
    if (reason !== undefined || ts === undefined) {
      badRows++;
      report(i + 1, reason ?? 'bad row');
      continue;
    }
    const earlier = byTs.get(ts);
    if (earlier) {
      duplicates++;
      report(earlier.line, `duplicate timestamp, superseded by line ${i + 1}`);
    }
    byTs.set(ts, { value: Number(rawValue), line: i + 1 });
  }
  const points = [...byTs.entries()].map(([ts, { value }]) => ({ ts, value })).sort((a, b) => a.ts - b.ts);
  return { points, badRows, duplicates, issues };
}

/**
 * Median spacing of sorted timestamps, in whole seconds (at least 1): the series' period. The median
 * ignores the odd gap or burst that a mean would not.
 * @returns undefined with fewer than two timestamps
 */
export function medianSpacingSeconds(sortedTs: readonly number[]): number | undefined {
  if (sortedTs.length < 2) return undefined;
  const gaps = sortedTs
    .slice(1)
    .map((ts, i) => ts - sortedTs[i]!)
    .sort((a, b) => a - b);
  const mid = Math.floor(gaps.length / 2);
  const median = gaps.length % 2 === 1 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2;
  return Math.max(1, Math.round(median / 1000));
}

/**
 * The friendly metric name of a replayed file: `replay_` + its name in snake_case, at most 63
 * characters (the config's friendly-name rule). `rogueAgentKeyHold` → `replay_rogue_agent_key_hold`.
 */
export function replayMetricName(name: string): string {
  const snake = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return `replay_${snake || 'series'}`.slice(0, 63).replace(/_+$/, '');
}

/** Settings of a replay. */
export interface CsvReplayOptions {
  /** Speed-up factor: virtual milliseconds per real millisecond (600 = ten minutes of data per second). */
  readonly speed: number;
  /** Name of the replay: the metric name's source and the `file` dimension. @default the file's base name (fromFile), else 'series' */
  readonly name?: string;
  /** Where the text came from, for messages. @default the name */
  readonly source?: string;
  /** Real time the replay starts at and the file is rebased to end at. @default realClock() */
  readonly realNow?: number;
  /** The real clock behind the replay clock. @default Date.now */
  readonly realClock?: () => number;
  /** What the replay clock does once the file is exhausted. @default 'realtime' (see AfterEnd) */
  readonly afterEnd?: AfterEnd;
  /**
   * Add a `run` dimension (the start time, ISO) so that each run is its own series. A restart rebases
   * the file to a new "now"; without it, two runs' points would share a series in a persistent store
   * and both timelines would land in every detection window. @default true
   */
  readonly perRunSeries?: boolean;
}

/**
 * A CSV replayed as one series. Points are rebased (timeline.offset) so the last lands on `realNow`;
 * `clock` runs from the first rebased point to the last at `speed`.
 */
export class CsvReplaySource implements MetricSource {
  /** The one series this source serves. */
  public readonly series: SeriesSpec;
  /** Virtual time of the replay; pass it to the use cases as their Clock. */
  public readonly clock: ReplayClock;
  public readonly timeline: ReplayTimeline;
  /** Rebased timestamp of the first point, epoch ms. */
  public readonly firstTs: number;
  /** Rebased timestamp of the last point, epoch ms (equal to `realNow`). */
  public readonly lastTs: number;
  /** Rows dropped as invalid. */
  public readonly badRows: number;
  /** Rows superseded by a later row with the same timestamp. */
  public readonly duplicates: number;
  /** The first row problems, with line numbers. */
  public readonly issues: readonly CsvRowIssue[];
  private readonly points: readonly MetricPoint[];

  /**
   * Read and parse a CSV file; the series is named after the file's base name unless `name` is given.
   * @throws ValidationError naming the file when it cannot be read or holds no valid row
   */
  public static fromFile(path: string, options: CsvReplayOptions): CsvReplaySource {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (cause) {
      throw new ValidationError(`Cannot read replay file ${path}`, [], { cause });
    }
    return new CsvReplaySource(text, { name: basename(path, extname(path)), source: path, ...options });
  }

  /**
   * Parse CSV text and rebase it.
   * @throws ValidationError naming the source when no valid row remains, or the speed is invalid
   */
  public constructor(text: string, options: CsvReplayOptions) {
    const name = options.name ?? 'series';
    const source = options.source ?? name;
    const parsed = parseReplayCsv(text);
    const first = parsed.points[0];
    const last = parsed.points.at(-1);
    if (first === undefined || last === undefined) {
      throw new ValidationError(
        `Replay file ${source} has no valid timestamp,value row`,
        parsed.issues.length > 0
          ? parsed.issues.slice(0, 10).map((i) => `line ${i.line}: ${i.reason}`)
          : ['the file is empty'],
      );
    }
    const realClock = options.realClock ?? Date.now;
    this.timeline = createReplayTimeline(first.ts, last.ts, options.realNow ?? realClock(), options.speed);
    this.clock = ReplayClock.fromTimeline(this.timeline, {
      realClock,
      ...(options.afterEnd !== undefined ? { afterEnd: options.afterEnd } : {}),
    });

    const metric = replayMetricName(name);
    const period = medianSpacingSeconds(parsed.points.map((p) => p.ts)) ?? DEFAULT_REPLAY_PERIOD_SECONDS;
    const dimensions: Record<string, string> = { file: name };
    if (options.perRunSeries ?? true) dimensions.run = new Date(this.timeline.realStart).toISOString();
    this.series = {
      id: seriesIdOf(REPLAY_NAMESPACE, metric, dimensions, 'Average', period),
      metric,
      label: metric,
      namespace: REPLAY_NAMESPACE,
      metricName: metric,
      dimensions,
      stat: 'Average',
      period,
      scale: 1,
      tags: { resource: name, service: 'replay' },
    };
    const { offset } = this.timeline;
    this.points = parsed.points.map((p) => ({ series: this.series.id, ts: p.ts + offset, value: p.value }));
    this.firstTs = first.ts + offset;
    this.lastTs = last.ts + offset;
    this.badRows = parsed.badRows;
    this.duplicates = parsed.duplicates;
    this.issues = parsed.issues;
  }

  /** Number of valid points. */
  public get pointCount(): number {
    return this.points.length;
  }

  /**
   * Rebased points with start <= ts < end when `series` includes this source's series. Range-based
   * only: keeping to points at or before the clock's now is the caller's job (ask for end = now + 1).
   */
  public async fetch(series: readonly SeriesSpec[], start: number, end: number): Promise<FetchResult> {
    const points: MetricPoint[] = [];
    if (series.some((s) => s.id === this.series.id)) {
      for (let i = lowerBound(this.points, start); i < this.points.length; i++) {
        const p = this.points[i]!;
        if (p.ts >= end) break;
        points.push(p);
      }
    }
    return { points, skipped: 0, calls: 0, warnings: [] };
  }

  /** True once the last point is at or before `now` (every point is collectable). */
  public done(now: number): boolean {
    return this.lastTs <= now;
  }
}

/** Index of the first point with ts >= `ts` in points sorted by time. */
function lowerBound(points: readonly MetricPoint[], ts: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid]!.ts < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
