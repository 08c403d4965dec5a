import {
  HostMetricSource,
  type HostReaders,
  hostSeries,
  memoryPercent,
  parseDiskstats,
  parseNetdev,
} from '../../shared/adapters/host-metrics-source';
import {
  CsvReplaySource,
  parseNabCsv,
  parseTimestamp,
  ReplayClock,
} from '../../shared/adapters/replay-source';
import { ValidationError } from '../../shared/errors';

const DISKSTATS = (readSectors: number, writeSectors: number) =>
  [
    `   8       0 sda 100 0 ${readSectors} 0 50 0 ${writeSectors} 0 0 0 0`,
    `   8       1 sda1 100 0 999999 0 50 0 999999 0 0 0 0`,
    `   7       0 loop0 100 0 888888 0 50 0 888888 0 0 0 0`,
  ].join('\n');
const NETDEV = (rx: number, tx: number) =>
  [
    'Inter-|   Receive                                                |  Transmit',
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
    `    lo: 5000000 10 0 0 0 0 0 0 5000000 10 0 0 0 0 0 0`,
    `  eth0: ${rx} 10 0 0 0 0 0 0 ${tx} 10 0 0 0 0 0 0`,
  ].join('\n');

describe('host metric parsing', () => {
  it('sums whole disks only and skips loop devices and partitions', () => {
    expect(parseDiskstats(DISKSTATS(2048, 4096), ['sda', 'loop0'])).toEqual({
      read: 2048 * 512,
      write: 4096 * 512,
    });
    expect(parseDiskstats(DISKSTATS(2048, 4096), undefined)).toEqual({ read: 2048 * 512, write: 4096 * 512 });
  });

  it('sums network bytes except loopback', () => {
    expect(parseNetdev(NETDEV(1_048_576, 2_097_152))).toEqual({ rx: 1_048_576, tx: 2_097_152 });
  });

  it('computes memory in use from MemAvailable, else from the os module', () => {
    expect(memoryPercent('MemTotal:  1000 kB\nMemFree: 100 kB\nMemAvailable:  250 kB\n', 0, 0)).toBe(75);
    expect(memoryPercent(undefined, 200, 50)).toBe(75);
  });
});

describe('HostMetricSource', () => {
  it('derives CPU %, disk and network MB between samples; rates skip the first sample and wraps', async () => {
    let t = 1_000_000;
    const state = { idle: 0, total: 0, read: 0, write: 0, rx: 0, tx: 0 };
    const readers: HostReaders = {
      cpuTimes: () => ({ idle: state.idle, total: state.total }),
      meminfo: () => 'MemTotal: 1000 kB\nMemAvailable: 400 kB\n',
      diskstats: () => DISKSTATS(state.read, state.write),
      netdev: () => NETDEV(state.rx, state.tx),
      blockDevices: () => ['sda'],
      load1: () => 1.5,
      totalMem: () => 0,
      freeMem: () => 0,
    };
    const series = hostSeries(10, 'test-host');
    const source = new HostMetricSource({ series, readers, now: () => t });
    source.sampleNow();
    Object.assign(state, { idle: 250, total: 1000, read: 2048, write: 4096, rx: 3_145_728, tx: 1_048_576 });
    t += 10_000;
    source.sampleNow();
    // A counter reset: disk counters go backwards → that point is skipped and counted.
    Object.assign(state, { idle: 500, total: 2000, read: 0 });
    t += 10_000;
    source.sampleNow();
    const r = await source.fetch(series, 0, t + 1);
    const at = (metric: string, ts: number) =>
      r.points.find((p) => p.series === series.find((s) => s.metric === metric)!.id && p.ts === ts)?.value;
    expect(at('memory_percent', 1_000_000)).toBe(60);
    expect(at('load_1m', 1_000_000)).toBe(1.5);
    expect(at('cpu_percent', 1_000_000)).toBeUndefined();
    expect(at('cpu_percent', 1_010_000)).toBe(75);
    expect(at('disk_read_mb', 1_010_000)).toBe(1);
    expect(at('disk_write_mb', 1_010_000)).toBe(2);
    expect(at('net_rx_mb', 1_010_000)).toBe(3);
    expect(at('disk_read_mb', 1_020_000)).toBeUndefined();
    expect(r.skipped).toBe(1);
    expect((await source.fetch(series, 1_010_000, 1_020_000)).points.every((p) => p.ts === 1_010_000)).toBe(
      true,
    );
  });

  it('keeps a bounded buffer', async () => {
    const series = hostSeries(1, 'h');
    let t = 0;
    const source = new HostMetricSource({ series, capacity: 10, now: () => (t += 1000) });
    for (let i = 0; i < 20; i++) source.sampleNow();
    expect((await source.fetch(series, 0, Number.MAX_SAFE_INTEGER)).points).toHaveLength(10);
  });
});

describe('CSV replay', () => {
  it('parses NAB timestamps as UTC, ISO and epoch; reports bad lines', () => {
    expect(parseTimestamp('2014-04-01 00:05:00')).toBe(Date.UTC(2014, 3, 1, 0, 5));
    expect(parseTimestamp('2014-04-01T00:05:00Z')).toBe(Date.UTC(2014, 3, 1, 0, 5));
    expect(parseTimestamp('1396310700')).toBe(Date.UTC(2014, 3, 1, 0, 5));
    const parsed = parseNabCsv(
      'timestamp,value\n2014-04-01 00:05:00,2\n2014-04-01 00:00:00,1\nnot-a-date,3\n2014-04-01 00:10:00,\n\n',
    );
    expect(parsed.points).toEqual([
      { ts: Date.UTC(2014, 3, 1, 0, 0), value: 1 },
      { ts: Date.UTC(2014, 3, 1, 0, 5), value: 2 },
    ]);
    expect(parsed.badLines).toEqual([4, 5]);
  });

  it('rebases the file to end at real now, detects the period, and replays on a fast clock', async () => {
    let real = 10_000_000_000;
    const text = [
      'timestamp,value',
      ...Array.from({ length: 12 }, (_, i) => `${1396310400 + i * 300},${i}`),
    ].join('\n');
    const source = new CsvReplaySource(parseNabCsv(text), {
      speed: 600,
      realClock: () => real,
      name: 'My Series!',
    });
    expect(source.lastTs).toBe(real);
    expect(source.firstTs).toBe(real - 11 * 300_000);
    expect(source.series).toMatchObject({
      metric: 'replay_my_series',
      period: 300,
      namespace: 'Local/Replay',
    });
    expect(source.clock.now()).toBe(source.firstTs);
    real += 1000; // one real second = 10 minutes of data
    expect(source.clock.now()).toBe(source.firstTs + 600_000);
    const r = await source.fetch([source.series], source.firstTs, source.clock.now());
    expect(r.points.map((p) => p.value)).toEqual([0, 1]);
    expect(source.done(source.clock.now())).toBe(false);
    expect(source.done(source.lastTs)).toBe(true);
  });

  it('refuses a file with no valid rows', () => {
    expect(() => new CsvReplaySource(parseNabCsv('timestamp,value\nx,y\n'), { speed: 1 })).toThrow(
      ValidationError,
    );
  });

  it('ReplayClock scales elapsed real time', () => {
    let real = 0;
    const clock = new ReplayClock(5000, 60, () => real);
    real = 2000;
    expect(clock.now()).toBe(5000 + 120_000);
  });
});
