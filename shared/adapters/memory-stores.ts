// (adapter) in-memory implementations of the store ports, for benchmarks, what-if replays and
// unit tests of use cases. Same contracts as the DynamoDB adapters (idempotent keys, forward-only
// watermarks), no persistence.
import type { Anomaly } from '../domain/anomaly';
import type { MetricPoint } from '../domain/types';
import type { AnomalyStore, ControlStore, MetricStore, RecordResult, WriteResult } from '../ports';

/** Points per series in a sorted array; (series, ts) is unique. */
export class MemoryMetricStore implements MetricStore {
  private readonly bySeries = new Map<string, Map<number, number>>();

  /** Upsert every finite point. */
  public async putPoints(points: readonly MetricPoint[]): Promise<WriteResult> {
    let written = 0;
    for (const p of points) {
      if (!Number.isFinite(p.value) || !Number.isFinite(p.ts)) continue;
      const series = this.bySeries.get(p.series) ?? new Map<number, number>();
      this.bySeries.set(p.series, series);
      series.set(p.ts, p.value);
      written++;
    }
    return { written, failed: [] };
  }

  /** Points with start <= ts <= end, oldest first. */
  public async queryRange(series: string, start: number, end: number): Promise<MetricPoint[]> {
    const out: MetricPoint[] = [];
    for (const [ts, value] of this.bySeries.get(series) ?? []) {
      if (ts >= start && ts <= end) out.push({ series, ts, value });
    }
    return out.sort((a, b) => a.ts - b.ts);
  }

  /** Number of stored points (all series). */
  public size(): number {
    let n = 0;
    for (const s of this.bySeries.values()) n += s.size;
    return n;
  }
}

/** Anomalies keyed by (series, ts). */
export class MemoryAnomalyStore implements AnomalyStore {
  private readonly items = new Map<string, Anomaly>();

  /** Insert unless the key exists. */
  public async record(anomalies: readonly Anomaly[]): Promise<RecordResult> {
    const created: Anomaly[] = [];
    let existing = 0;
    for (const a of anomalies) {
      const key = `${a.series}\u0000${a.ts}`;
      if (this.items.has(key)) existing++;
      else {
        this.items.set(key, a);
        created.push(a);
      }
    }
    return { created, existing, failed: [] };
  }

  /** Anomalies with start <= ts <= end, oldest first. */
  public async listRange(start: number, end: number): Promise<Anomaly[]> {
    return [...this.items.values()].filter((a) => a.ts >= start && a.ts <= end).sort((a, b) => a.ts - b.ts);
  }
}

/** Watermarks in a map. */
export class MemoryControlStore implements ControlStore {
  private readonly watermarks = new Map<string, number>();

  /** The job's watermark. */
  public async getWatermark(job: string): Promise<number | undefined> {
    return this.watermarks.get(job);
  }

  /** Forward-only. */
  public async advanceWatermark(job: string, ts: number): Promise<void> {
    const current = this.watermarks.get(job);
    if (current === undefined || current < ts) this.watermarks.set(job, ts);
  }
}
