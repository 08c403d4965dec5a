// (adapter) --> MetricSource + Clock for the local stack: replays a NAB-format CSV (timestamp,value)
// through the real collect/detect path, faster than real time. The file is rebased so that it ends
// "now": every point lies in the past, inside the retention window, and the dashboard's last 24 h
// shows the end of the file.
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { MetricPoint, SeriesSpec } from '../domain/types';
import { ValidationError } from '../errors';
import { seriesIdOf } from '../monitor-config';
import type { Clock, FetchResult, MetricSource } from '../ports';

/** Parse one timestamp: `YYYY-MM-DD HH:MM:SS` (UTC, NAB), ISO 8601, or epoch seconds/milliseconds. */
export function parseTimestamp(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    return n < 1e11 ? n * 1000 : n;
  }
  const nab = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(:\d{2}(\.\d+)?)?)$/.exec(t);
  return Date.parse(nab ? `${nab[1]}T${nab[2]}Z` : t);
}

/** Result of parsing a CSV: valid points (sorted, one per timestamp) and the line numbers skipped. */
export interface ParsedCsv {
  readonly points: { ts: number; value: number }[];
  readonly badLines: number[];
}

/** Parse `timestamp,value` CSV text (a header line is optional). Bad rows are skipped and reported. */
export function parseNabCsv(text: string): ParsedCsv {
  const byTs = new Map<number, number>();
  const badLines: number[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const [rawTs, rawValue] = line.split(',');
    if (i === 0 && rawTs !== undefined && !/\d/.test(rawTs)) return; // header
    const ts = parseTimestamp(rawTs ?? '');
    const value = rawValue === undefined || rawValue.trim() === '' ? Number.NaN : Number(rawValue);
    if (!Number.isFinite(ts) || !Number.isFinite(value)) badLines.push(i + 1);
    else byTs.set(ts, value);
  });
  const points = [...byTs.entries()].map(([ts, value]) => ({ ts, value })).sort((a, b) => a.ts - b.ts);
  return { points, badLines };
}

/** Virtual time running `speed` times faster than the real clock from `virtualStart`. */
export class ReplayClock implements Clock {
  private readonly realStart: number;

  public constructor(
    private readonly virtualStart: number,
    private readonly speed: number,
    private readonly realNow: () => number = Date.now,
  ) {
    this.realStart = realNow();
  }

  /** The virtual now (epoch ms). */
  public now(): number {
    return this.virtualStart + (this.realNow() - this.realStart) * this.speed;
  }
}

/** Options of a replay. */
export interface ReplayOptions {
  /** Real time at start; the file is rebased to end here. @default Date.now() */
  readonly realNow?: number;
  /** Speed-up factor. */
  readonly speed: number;
  /** Injected real clock for tests. @default Date.now */
  readonly realClock?: () => number;
  /** Name shown in the series label. @default the file's base name */
  readonly name?: string;
}

/** A CSV replayed as one series. */
export class CsvReplaySource implements MetricSource {
  public readonly series: SeriesSpec;
  public readonly clock: ReplayClock;
  public readonly firstTs: number;
  public readonly lastTs: number;
  public readonly badLines: readonly number[];
  private readonly points: MetricPoint[];

  /** Read and parse `path`. @throws ValidationError when it holds no valid row */
  public static fromFile(path: string, options: ReplayOptions): CsvReplaySource {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (cause) {
      throw new ValidationError(`Cannot read replay file ${path}`, [], { cause });
    }
    return new CsvReplaySource(parseNabCsv(text), { name: basename(path, extname(path)), ...options }, path);
  }

  public constructor(parsed: ParsedCsv, options: ReplayOptions, source = 'replay') {
    if (parsed.points.length < 2) {
      throw new ValidationError(`Replay file ${source} has fewer than 2 valid rows`, [
        `timestamp,value rows expected; ${parsed.badLines.length} bad lines`,
      ]);
    }
    const realNow = options.realNow ?? (options.realClock ?? Date.now)();
    const first = parsed.points[0]!.ts;
    const last = parsed.points.at(-1)!.ts;
    const offset = realNow - last;
    const metric = `replay_${(options.name ?? 'series')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')}`.slice(0, 63);
    const gaps = parsed.points
      .slice(1)
      .map((p, i) => p.ts - parsed.points[i]!.ts)
      .sort((a, b) => a - b);
    const period = Math.max(1, Math.round((gaps[Math.floor(gaps.length / 2)] ?? 60_000) / 1000));
    // Each replay run is its own series: a restart rebases the file to a new "now", and mixing two
    // runs' points in one series would put both timelines into every detection window.
    const dimensions = { file: options.name ?? 'series', run: new Date(realNow).toISOString() };
    this.series = {
      id: seriesIdOf('Local/Replay', metric, dimensions, 'Average', period),
      metric,
      label: metric,
      namespace: 'Local/Replay',
      metricName: metric,
      dimensions,
      stat: 'Average',
      period,
      scale: 1,
      tags: { resource: metric, service: 'replay' },
    };
    this.points = parsed.points.map((p) => ({ series: this.series.id, ts: p.ts + offset, value: p.value }));
    this.firstTs = first + offset;
    this.lastTs = last + offset;
    this.badLines = parsed.badLines;
    this.clock = new ReplayClock(this.firstTs, options.speed, options.realClock ?? Date.now);
  }

  /** Number of valid points. */
  public get pointCount(): number {
    return this.points.length;
  }

  /** Rebased points of this series with start <= ts < end. */
  public async fetch(series: readonly SeriesSpec[], start: number, end: number): Promise<FetchResult> {
    if (!series.some((s) => s.id === this.series.id))
      return { points: [], skipped: 0, calls: 0, warnings: [] };
    return {
      points: this.points.filter((p) => p.ts >= start && p.ts < end),
      skipped: 0,
      calls: 0,
      warnings: [],
    };
  }

  /** True once the virtual clock has passed the last point. */
  public done(now: number): boolean {
    return now >= this.lastTs;
  }
}
