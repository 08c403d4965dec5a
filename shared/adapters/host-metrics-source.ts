// (adapter) --> MetricSource port for the local stack: this machine's own metrics, sampled on a timer
// into a bounded buffer that collect reads like it reads CloudWatch. Linux /proc where available;
// a metric that cannot be read here is simply not produced.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import type { MetricPoint, SeriesSpec } from '../domain/types';
import { seriesIdOf } from '../monitor-config';
import type { FetchResult, MetricSource } from '../ports';

/** The host metrics and their units. */
export const HOST_METRICS = [
  { metric: 'cpu_percent', unit: '%' },
  { metric: 'memory_percent', unit: '%' },
  { metric: 'disk_read_mb', unit: 'MB' },
  { metric: 'disk_write_mb', unit: 'MB' },
  { metric: 'net_rx_mb', unit: 'MB' },
  { metric: 'net_tx_mb', unit: 'MB' },
  { metric: 'load_1m', unit: '' },
] as const;

/** Host metric name. */
export type HostMetric = (typeof HOST_METRICS)[number]['metric'];

/** The series the host source produces (namespace `Local/Host`, dimension `host`). */
export function hostSeries(sampleSeconds: number, hostname: string): SeriesSpec[] {
  return HOST_METRICS.map(({ metric, unit }) => {
    const dimensions = { host: hostname };
    return {
      id: seriesIdOf('Local/Host', metric, dimensions, 'Average', sampleSeconds),
      metric,
      label: `${metric} ${hostname}`,
      namespace: 'Local/Host',
      metricName: metric,
      dimensions,
      stat: 'Average',
      period: sampleSeconds,
      scale: 1,
      ...(unit ? { unit } : {}),
      tags: { resource: hostname, service: 'host' },
    };
  });
}

/** Raw counters read from the OS; injectable so tests are deterministic. */
export interface HostReaders {
  cpuTimes(): { idle: number; total: number };
  meminfo(): string | undefined;
  diskstats(): string | undefined;
  netdev(): string | undefined;
  blockDevices(): string[] | undefined;
  load1(): number;
  totalMem(): number;
  freeMem(): number;
}

const tryRead = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** Readers over this machine. */
export const OS_READERS: HostReaders = {
  cpuTimes: () => {
    let idle = 0;
    let total = 0;
    for (const c of cpus()) {
      idle += c.times.idle;
      total += c.times.user + c.times.nice + c.times.sys + c.times.idle + c.times.irq;
    }
    return { idle, total };
  },
  meminfo: () => tryRead('/proc/meminfo'),
  diskstats: () => tryRead('/proc/diskstats'),
  netdev: () => tryRead('/proc/net/dev'),
  blockDevices: () => {
    try {
      return readdirSync('/sys/block');
    } catch {
      return undefined;
    }
  },
  load1: () => loadavg()[0] ?? 0,
  totalMem: () => totalmem(),
  freeMem: () => freemem(),
};

interface Counters {
  cpu: { idle: number; total: number };
  diskRead?: number;
  diskWrite?: number;
  netRx?: number;
  netTx?: number;
}

/** Sum sectors read/written over whole disks (partitions, loop and ram devices excluded), in bytes. */
export function parseDiskstats(
  text: string,
  wholeDisks: readonly string[] | undefined,
): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const name = f[2];
    if (!name || f.length < 10) continue;
    if (/^(loop|ram|zram|dm-|sr)/.test(name)) continue;
    if (wholeDisks ? !wholeDisks.includes(name) : /\d$/.test(name) && !/^nvme\d+n\d+$/.test(name)) continue;
    read += Number(f[5]) * 512;
    write += Number(f[9]) * 512;
  }
  return { read, write };
}

/** Sum received/transmitted bytes over every interface but loopback. */
export function parseNetdev(text: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n').slice(2)) {
    const [iface, rest] = line.split(':');
    if (!iface || rest === undefined || iface.trim() === 'lo') continue;
    const f = rest.trim().split(/\s+/);
    rx += Number(f[0]);
    tx += Number(f[8]);
  }
  return { rx, tx };
}

/** Memory in use, %: (MemTotal − MemAvailable) / MemTotal, falling back to the os module. */
export function memoryPercent(meminfo: string | undefined, total: number, free: number): number {
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(meminfo ?? '')?.[1]);
  const t = kb('MemTotal');
  const a = kb('MemAvailable');
  if (t > 0 && Number.isFinite(a)) return (100 * (t - a)) / t;
  return total > 0 ? (100 * (total - free)) / total : Number.NaN;
}

/** Settings of the host source. */
export interface HostMetricSourceOptions {
  readonly series: readonly SeriesSpec[];
  readonly readers?: HostReaders;
  /** Samples kept per series. @default 6 h at the sampling interval, at most 100,000 */
  readonly capacity?: number;
  readonly now?: () => number;
}

/** Samples this host into a ring buffer; `fetch` serves the buffer by time range. */
export class HostMetricSource implements MetricSource {
  private readonly readers: HostReaders;
  private readonly byMetric = new Map<string, SeriesSpec>();
  private readonly buffer: MetricPoint[] = [];
  private last: Counters | undefined;
  private lastAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private skipped = 0;

  public constructor(private readonly options: HostMetricSourceOptions) {
    this.readers = options.readers ?? OS_READERS;
    for (const s of options.series) this.byMetric.set(s.metric, s);
  }

  /** Sample every `intervalMs` until `stop()`; the timer never keeps the process alive. */
  public start(intervalMs: number): void {
    this.sampleNow();
    this.timer = setInterval(() => this.sampleNow(), intervalMs);
    this.timer.unref();
  }

  /** Stop sampling. */
  public stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Take one sample now. Rates (disk, network, CPU) need the previous sample; the first yields none. */
  public sampleNow(): void {
    const r = this.readers;
    const now = (this.options.now ?? Date.now)();
    const counters: Counters = { cpu: r.cpuTimes() };
    const disk = r.diskstats();
    if (disk !== undefined) {
      const d = parseDiskstats(disk, r.blockDevices());
      counters.diskRead = d.read;
      counters.diskWrite = d.write;
    }
    const net = r.netdev();
    if (net !== undefined) {
      const n = parseNetdev(net);
      counters.netRx = n.rx;
      counters.netTx = n.tx;
    }
    const values: [string, number][] = [
      ['memory_percent', memoryPercent(r.meminfo(), r.totalMem(), r.freeMem())],
      ['load_1m', r.load1()],
    ];
    const prev = this.last;
    if (prev) {
      const dTotal = counters.cpu.total - prev.cpu.total;
      const dIdle = counters.cpu.idle - prev.cpu.idle;
      values.push(['cpu_percent', dTotal > 0 ? (100 * (dTotal - dIdle)) / dTotal : Number.NaN]);
      const mb = (a?: number, b?: number) =>
        a === undefined || b === undefined ? Number.NaN : (a - b) / 1_048_576;
      values.push(['disk_read_mb', mb(counters.diskRead, prev.diskRead)]);
      values.push(['disk_write_mb', mb(counters.diskWrite, prev.diskWrite)]);
      values.push(['net_rx_mb', mb(counters.netRx, prev.netRx)]);
      values.push(['net_tx_mb', mb(counters.netTx, prev.netTx)]);
    }
    this.last = counters;
    this.lastAt = now;
    for (const [metric, value] of values) {
      const spec = this.byMetric.get(metric);
      if (!spec) continue;
      // Unreadable here, or a counter that went backwards (wrap, reset): skipped and counted.
      if (!Number.isFinite(value) || value < 0) {
        this.skipped++;
        continue;
      }
      this.buffer.push({ series: spec.id, ts: now, value });
    }
    const capacity = this.options.capacity ?? 100_000;
    if (this.buffer.length > capacity) this.buffer.splice(0, this.buffer.length - capacity);
  }

  /** Buffered points of the requested series with start <= ts < end. */
  public async fetch(series: readonly SeriesSpec[], start: number, end: number): Promise<FetchResult> {
    const ids = new Set(series.map((s) => s.id));
    const points = this.buffer.filter((p) => ids.has(p.series) && p.ts >= start && p.ts < end);
    const skipped = this.skipped;
    this.skipped = 0;
    return { points, skipped, calls: 0, warnings: [] };
  }

  /** Time of the last sample (epoch ms), 0 before the first. */
  public lastSampleAt(): number {
    return this.lastAt;
  }
}
