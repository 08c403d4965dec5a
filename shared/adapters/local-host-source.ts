// (adapter) --> MetricSource port (shared/ports.ts) for the local stack (DESIGN §7): this machine's own
// CPU, memory, disk and network I/O and load, sampled on a timer into a bounded ring buffer that the
// collect use case reads like it reads CloudWatch. Linux /proc where available; a metric that cannot be
// read on this host is simply not produced.
import { readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, hostname as osHostname, totalmem } from 'node:os';
import type { MetricPoint, SeriesSpec } from '../domain/types';
import { seriesIdOf } from '../monitor-config';
import type { FetchResult, MetricSource } from '../ports';

/** Namespace of every host series. */
export const HOST_NAMESPACE = 'Local/Host';

/** Default sampling interval, seconds (the local stack's `--sample-every` default). */
export const DEFAULT_SAMPLE_SECONDS = 10;

/** Default history kept in the ring buffer: 6 hours. */
export const DEFAULT_RETENTION_MS = 6 * 60 * 60 * 1000;

/** Bytes per MB as reported by the disk and network metrics (MiB, like `free -m` and `iostat -m`). */
export const BYTES_PER_MB = 1_048_576;

/** /proc/diskstats counts 512-byte sectors whatever the device's real sector size. */
const DISKSTATS_SECTOR_BYTES = 512;

/** Friendly names of the host metrics. */
export type HostMetric =
  | 'cpu_percent'
  | 'memory_percent'
  | 'disk_read_mb'
  | 'disk_write_mb'
  | 'net_rx_mb'
  | 'net_tx_mb'
  | 'load_1m';

/** The host metrics, their units and whether they need two samples (a rate over the interval). */
export const HOST_METRICS: readonly {
  readonly metric: HostMetric;
  readonly unit?: string;
  readonly rate: boolean;
}[] = [
  { metric: 'cpu_percent', unit: '%', rate: true },
  { metric: 'memory_percent', unit: '%', rate: false },
  { metric: 'disk_read_mb', unit: 'MB', rate: true },
  { metric: 'disk_write_mb', unit: 'MB', rate: true },
  { metric: 'net_rx_mb', unit: 'MB', rate: true },
  { metric: 'net_tx_mb', unit: 'MB', rate: true },
  { metric: 'load_1m', rate: false },
];

/**
 * The series a host source produces: namespace `Local/Host`, metric name = friendly name, dimension
 * `host`, stat `Average`, period = the sampling interval.
 * @param sampleSeconds - sampling interval in seconds; part of each series id
 * @param hostname - value of the `host` dimension and the `resource` tag
 */
export function hostSeries(sampleSeconds: number, hostname: string): SeriesSpec[] {
  return HOST_METRICS.map(({ metric, unit }) => {
    const dimensions = { host: hostname };
    return {
      id: seriesIdOf(HOST_NAMESPACE, metric, dimensions, 'Average', sampleSeconds),
      metric,
      label: `${metric} ${hostname}`,
      namespace: HOST_NAMESPACE,
      metricName: metric,
      dimensions,
      stat: 'Average',
      period: sampleSeconds,
      scale: 1,
      ...(unit !== undefined ? { unit } : {}),
      tags: { resource: hostname, service: 'host' },
    };
  });
}

/** This host's series at the default sampling interval (what `new HostMetricSource()` produces). */
export const HOST_SERIES: SeriesSpec[] = hostSeries(DEFAULT_SAMPLE_SECONDS, osHostname());

/** Cumulative CPU times of one core in milliseconds, as `os.cpus()[i].times`. */
export interface CpuTimes {
  readonly user: number;
  readonly nice: number;
  readonly sys: number;
  readonly idle: number;
  readonly irq: number;
}

/**
 * Raw readings of the OS. Each returns `undefined` when the reading is not available on this host,
 * which drops the metrics built on it. Injected in tests so sampling is deterministic.
 */
export interface HostReaders {
  /** Per-core cumulative CPU times (`os.cpus()`). */
  cpuTimes(): readonly CpuTimes[] | undefined;
  /** Text of `/proc/meminfo`. */
  meminfo(): string | undefined;
  /** Fallback when meminfo is unavailable: `os.totalmem()` / `os.freemem()`, bytes. */
  memory(): { readonly total: number; readonly free: number } | undefined;
  /** Text of `/proc/diskstats`. */
  diskstats(): string | undefined;
  /** Text of `/proc/net/dev`. */
  netdev(): string | undefined;
  /** `os.loadavg()` (1, 5, 15 minutes). */
  loadavg(): readonly number[] | undefined;
  /** Epoch milliseconds of the sample. */
  clock(): number;
}

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** Readers over this machine: Linux /proc files, the `os` module elsewhere. */
export const OS_READERS: HostReaders = {
  cpuTimes: () => {
    const all = cpus();
    return all.length > 0 ? all.map((c) => c.times) : undefined;
  },
  meminfo: () => readText('/proc/meminfo'),
  memory: () => ({ total: totalmem(), free: freemem() }),
  diskstats: () => readText('/proc/diskstats'),
  netdev: () => readText('/proc/net/dev'),
  // Windows returns [0, 0, 0]: there is no load average to report.
  loadavg: () => (process.platform === 'win32' ? undefined : loadavg()),
  clock: () => Date.now(),
};

/**
 * Memory in use, %: (MemTotal − MemAvailable) / MemTotal from `/proc/meminfo` (kernels before 3.14
 * lack MemAvailable: MemFree + Buffers + Cached stands in), else (total − free) / total.
 * @returns undefined when neither source is usable
 */
export function memoryPercent(
  meminfo: string | undefined,
  fallback: { readonly total: number; readonly free: number } | undefined,
): number | undefined {
  if (meminfo !== undefined) {
    const kb = (key: string): number | undefined => {
      const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(meminfo);
      return m?.[1] === undefined ? undefined : Number(m[1]);
    };
    const total = kb('MemTotal');
    const free = kb('MemFree');
    const available =
      kb('MemAvailable') ??
      (free === undefined ? undefined : free + (kb('Buffers') ?? 0) + (kb('Cached') ?? 0));
    if (total !== undefined && total > 0 && available !== undefined) {
      return clampPercent((100 * (total - available)) / total);
    }
  }
  if (fallback && fallback.total > 0)
    return clampPercent((100 * (fallback.total - fallback.free)) / fallback.total);
  return undefined;
}

/** Devices that are not a physical disk, or sit on one and would count its I/O twice (LVM, RAID, zvols). */
const VIRTUAL_DISK = /^(loop|ram|zram|sr|fd|dm-|md|nbd|zd)/;

/**
 * Bytes read and written per whole disk from `/proc/diskstats`. Partitions are recognised by another
 * listed device being their disk (`sda` → `sda1`, `nvme0n1` → `nvme0n1p2`, `mmcblk0` → `mmcblk0p1`):
 * counting both would count every byte twice. Loop, ram and the other virtual devices are skipped.
 */
export function parseDiskstats(text: string): Map<string, { read: number; write: number }> {
  const rows: { name: string; read: number; write: number }[] = [];
  for (const line of text.split('\n')) {
    // major minor name reads merged sectors_read ms writes merged sectors_written ...
    const f = line.trim().split(/\s+/);
    const name = f[2];
    if (name === undefined || f.length < 10) continue;
    const read = Number(f[5]);
    const write = Number(f[9]);
    if (!Number.isFinite(read) || !Number.isFinite(write)) continue;
    rows.push({ name, read: read * DISKSTATS_SECTOR_BYTES, write: write * DISKSTATS_SECTOR_BYTES });
  }
  const names = new Set(rows.map((r) => r.name));
  const isPartition = (name: string): boolean => {
    const m = /^(.*?)(p?)(\d+)$/.exec(name);
    if (!m) return false;
    const [, base = '', p] = m;
    // `nvme0n1p1` / `mmcblk0p1` belong to the disk before the `p`; `sda1` to `sda`.
    return (p === 'p' && names.has(base)) || names.has(`${base}${p}`);
  };
  const out = new Map<string, { read: number; write: number }>();
  for (const r of rows) {
    if (VIRTUAL_DISK.test(r.name) || isPartition(r.name)) continue;
    out.set(r.name, { read: r.read, write: r.write });
  }
  return out;
}

/** Bytes received and transmitted per interface from `/proc/net/dev`, loopback excluded. */
export function parseNetdev(text: string): Map<string, { rx: number; tx: number }> {
  const out = new Map<string, { rx: number; tx: number }>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue; // the two header lines
    const iface = line.slice(0, colon).trim();
    if (iface === '' || iface === 'lo') continue;
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    const rx = Number(f[0]);
    const tx = Number(f[8]);
    if (f.length < 9 || !Number.isFinite(rx) || !Number.isFinite(tx)) continue;
    out.set(iface, { rx, tx });
  }
  return out;
}

/** Outcome of a counter delta: a value, or a counter that went backwards (wrap or reset). */
export type Delta = { readonly ok: true; readonly value: number } | { readonly ok: false };

/**
 * Busy CPU %, all cores, between two readings: 100 × (Δtotal − Δidle) / Δtotal. Cores are matched by
 * index; a core that appeared since the previous reading is ignored.
 * @returns `{ ok: false }` when a counter went backwards or no CPU time elapsed
 */
export function cpuPercent(prev: readonly CpuTimes[], cur: readonly CpuTimes[]): Delta {
  let total = 0;
  let idle = 0;
  for (let i = 0; i < Math.min(prev.length, cur.length); i++) {
    const a = prev[i]!;
    const b = cur[i]!;
    const d = {
      user: b.user - a.user,
      nice: b.nice - a.nice,
      sys: b.sys - a.sys,
      idle: b.idle - a.idle,
      irq: b.irq - a.irq,
    };
    if (d.user < 0 || d.nice < 0 || d.sys < 0 || d.idle < 0 || d.irq < 0) return { ok: false };
    total += d.user + d.nice + d.sys + d.idle + d.irq;
    idle += d.idle;
  }
  if (total <= 0) return { ok: false };
  return { ok: true, value: clampPercent((100 * (total - idle)) / total) };
}

/**
 * Sum of per-device counter deltas (devices present in both readings; a new device has no baseline
 * yet and a vanished one no current value).
 * @returns `{ ok: false }` when any device's counter went backwards (wrap, or the device was reset)
 */
export function sumDeltas<T>(
  prev: ReadonlyMap<string, T>,
  cur: ReadonlyMap<string, T>,
  pick: (x: T) => number,
): Delta {
  let value = 0;
  for (const [name, b] of cur) {
    const a = prev.get(name);
    if (a === undefined) continue;
    const d = pick(b) - pick(a);
    if (d < 0) return { ok: false };
    value += d;
  }
  return { ok: true, value };
}

function clampPercent(x: number): number {
  return Math.min(100, Math.max(0, x));
}

/** What one sample produced. */
export interface HostSample {
  /** Epoch milliseconds of the sample. */
  readonly ts: number;
  readonly points: readonly MetricPoint[];
  /** Ids of the series whose point was skipped (a counter went backwards, or no CPU time elapsed). */
  readonly skipped: readonly string[];
}

/** Fixed-capacity FIFO: pushing onto a full buffer drops the oldest item. */
class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  private size = 0;

  public constructor(private readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }

  public push(item: T): void {
    this.items[(this.head + this.size) % this.capacity] = item;
    if (this.size < this.capacity) this.size++;
    else this.head = (this.head + 1) % this.capacity;
  }

  public get length(): number {
    return this.size;
  }

  /** Oldest first. */
  public *values(): IterableIterator<T> {
    for (let i = 0; i < this.size; i++) yield this.items[(this.head + i) % this.capacity]!;
  }
}

/** Settings of the host source. */
export interface HostMetricSourceOptions {
  /** Nominal sampling interval, seconds: the period of every series and `start()`'s default. @default 10 */
  readonly sampleSeconds?: number;
  /** Value of the `host` dimension. @default os.hostname() */
  readonly hostname?: string;
  /** History kept. @default 6 h */
  readonly retentionMs?: number;
  /** Samples kept (each holds one point per metric). @default retentionMs / sample interval, plus one */
  readonly maxSamples?: number;
  /** OS readers to replace (tests replace them all). @default OS_READERS */
  readonly readers?: Partial<HostReaders>;
}

/** The previous sample's raw counters, the baseline of the next sample's rates. */
interface Counters {
  readonly cpu?: readonly CpuTimes[];
  readonly disks?: Map<string, { read: number; write: number }>;
  readonly nets?: Map<string, { rx: number; tx: number }>;
}

/**
 * Samples this host into a ring buffer; `fetch` serves the buffer by time range.
 *
 * Gauges (memory, load) are produced from every sample; rates (CPU %, disk and network MB per
 * sample interval) from the difference with the previous sample, so the first sample yields none. A
 * counter that went backwards (wrap, device reset) skips that point and counts it as skipped.
 */
export class HostMetricSource implements MetricSource {
  /** The series this source produces; pass them (or a subset) to `fetch`. */
  public readonly series: readonly SeriesSpec[];
  /** Nominal sampling interval, seconds. */
  public readonly sampleSeconds: number;
  private readonly readers: HostReaders;
  private readonly ids: ReadonlyMap<HostMetric, string>;
  private readonly buffer: RingBuffer<HostSample>;
  private previous: Counters | undefined;
  private unavailable: HostMetric[] = [];
  private timer: NodeJS.Timeout | undefined;

  public constructor(options: HostMetricSourceOptions = {}) {
    this.sampleSeconds = options.sampleSeconds ?? DEFAULT_SAMPLE_SECONDS;
    if (!(this.sampleSeconds > 0))
      throw new RangeError(`sampleSeconds must be positive, got ${this.sampleSeconds}`);
    this.readers = { ...OS_READERS, ...options.readers };
    this.series = hostSeries(this.sampleSeconds, options.hostname ?? osHostname());
    this.ids = new Map(this.series.map((s) => [s.metric as HostMetric, s.id]));
    const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    const capacity = options.maxSamples ?? Math.ceil(retentionMs / (this.sampleSeconds * 1000)) + 1;
    if (!(capacity >= 1)) throw new RangeError(`maxSamples must be at least 1, got ${capacity}`);
    this.buffer = new RingBuffer(Math.floor(capacity));
  }

  /**
   * Take a sample now, then every `intervalMs` until `stop()`. The timer never keeps the process
   * alive. Calling it again restarts the timer.
   * @param intervalMs - @default sampleSeconds × 1000
   */
  public start(intervalMs: number = this.sampleSeconds * 1000): void {
    this.stop();
    this.sampleNow();
    this.timer = setInterval(() => this.sampleNow(), intervalMs);
    this.timer.unref();
  }

  /** Stop sampling; the buffer is kept and still served. */
  public stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Take one sample now and buffer it. A reader that throws counts as unavailable. */
  public sampleNow(): HostSample {
    const r = this.readers;
    const ts = r.clock();
    const cur: Counters = {
      cpu: attempt(() => r.cpuTimes()),
      disks: mapOf(
        attempt(() => r.diskstats()),
        parseDiskstats,
      ),
      nets: mapOf(
        attempt(() => r.netdev()),
        parseNetdev,
      ),
    };
    const values = new Map<HostMetric, Delta | undefined>();
    values.set(
      'memory_percent',
      gauge(
        memoryPercent(
          attempt(() => r.meminfo()),
          attempt(() => r.memory()),
        ),
      ),
    );
    values.set('load_1m', gauge(attempt(() => r.loadavg())?.[0]));
    const prev = this.previous;
    values.set('cpu_percent', cur.cpu && prev?.cpu ? cpuPercent(prev.cpu, cur.cpu) : undefined);
    const mb = (d: Delta): Delta => (d.ok ? { ok: true, value: d.value / BYTES_PER_MB } : d);
    if (cur.disks && prev?.disks) {
      values.set('disk_read_mb', mb(sumDeltas(prev.disks, cur.disks, (x) => x.read)));
      values.set('disk_write_mb', mb(sumDeltas(prev.disks, cur.disks, (x) => x.write)));
    }
    if (cur.nets && prev?.nets) {
      values.set('net_rx_mb', mb(sumDeltas(prev.nets, cur.nets, (x) => x.rx)));
      values.set('net_tx_mb', mb(sumDeltas(prev.nets, cur.nets, (x) => x.tx)));
    }
    this.previous = cur;
    this.unavailable = HOST_METRICS.filter(({ metric }) => {
      if (metric === 'cpu_percent') return cur.cpu === undefined;
      if (metric === 'disk_read_mb' || metric === 'disk_write_mb') return cur.disks === undefined;
      if (metric === 'net_rx_mb' || metric === 'net_tx_mb') return cur.nets === undefined;
      return values.get(metric) === undefined;
    }).map(({ metric }) => metric);

    const points: MetricPoint[] = [];
    const skipped: string[] = [];
    for (const [metric, delta] of values) {
      const id = this.ids.get(metric);
      if (delta === undefined || id === undefined) continue;
      if (delta.ok) points.push({ series: id, ts, value: delta.value });
      else skipped.push(id);
    }
    const sample: HostSample = { ts, points, skipped };
    this.buffer.push(sample);
    return sample;
  }

  /** Buffered points of the requested series with start <= ts < end; `skipped` counts that range's skipped points. */
  public async fetch(series: readonly SeriesSpec[], start: number, end: number): Promise<FetchResult> {
    const wanted = new Set(series.map((s) => s.id));
    const points: MetricPoint[] = [];
    let skipped = 0;
    for (const sample of this.buffer.values()) {
      if (sample.ts < start || sample.ts >= end) continue;
      for (const p of sample.points) if (wanted.has(p.series)) points.push(p);
      for (const id of sample.skipped) if (wanted.has(id)) skipped++;
    }
    return { points, skipped, calls: 0, warnings: [] };
  }

  /** Metrics the last sample could not read on this host (empty before the first sample). */
  public unavailableMetrics(): readonly HostMetric[] {
    return this.unavailable;
  }

  /** Number of samples in the buffer. */
  public get sampleCount(): number {
    return this.buffer.length;
  }
}

function attempt<T>(read: () => T | undefined): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function mapOf<T>(text: string | undefined, parse: (text: string) => T): T | undefined {
  return text === undefined ? undefined : parse(text);
}

function gauge(value: number | undefined): Delta | undefined {
  return value !== undefined && Number.isFinite(value) ? { ok: true, value } : undefined;
}
