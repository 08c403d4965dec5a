import {
  BYTES_PER_MB,
  type CpuTimes,
  cpuPercent,
  HOST_SERIES,
  HostMetricSource,
  type HostReaders,
  hostSeries,
  memoryPercent,
  parseDiskstats,
  parseNetdev,
} from '../../shared/adapters/local-host-source';
import type { SeriesSpec } from '../../shared/domain/types';

const HOST = 'test-host';

/** /proc/diskstats with whole disks, their partitions and virtual devices; sectors per device. */
const diskstats = (sectors: { sda: [number, number]; nvme: [number, number] }): string =>
  [
    `   8       0 sda 100 0 ${sectors.sda[0]} 0 50 0 ${sectors.sda[1]} 0 0 0 0 0 0 0 0 0 0`,
    '   8       1 sda1 100 0 900000 0 50 0 900000 0 0 0 0 0 0 0 0 0 0',
    '   8       2 sda2 100 0 800000 0 50 0 800000 0 0 0 0 0 0 0 0 0 0',
    ` 259       0 nvme0n1 10 0 ${sectors.nvme[0]} 0 5 0 ${sectors.nvme[1]} 0 0 0 0 0 0 0 0 0 0`,
    ' 259       1 nvme0n1p1 10 0 700000 0 5 0 700000 0 0 0 0 0 0 0 0 0 0',
    '   7       0 loop0 100 0 600000 0 50 0 600000 0 0 0 0 0 0 0 0 0 0',
    '   1       0 ram0 100 0 500000 0 50 0 500000 0 0 0 0 0 0 0 0 0 0',
    ' 253       0 dm-0 100 0 400000 0 50 0 400000 0 0 0 0 0 0 0 0 0 0',
  ].join('\n');

const netdev = (eth0: [number, number], wlan0?: [number, number]): string =>
  [
    'Inter-|   Receive                                                |  Transmit',
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
    '    lo: 999999999 10 0 0 0 0 0 0 999999999 10 0 0 0 0 0 0',
    `  eth0: ${eth0[0]} 10 0 0 0 0 0 0 ${eth0[1]} 10 0 0 0 0 0 0`,
    ...(wlan0 ? [`wlan0:${wlan0[0]} 10 0 0 0 0 0 0 ${wlan0[1]} 10 0 0 0 0 0 0`] : []),
  ].join('\n');

const core = (busy: number, idle: number): CpuTimes => ({ user: busy, nice: 0, sys: 0, idle, irq: 0 });

/** Mutable fake OS: each test moves the counters, then samples. */
function fakeHost() {
  const state = {
    now: 1_700_000_000_000,
    cpus: [core(1000, 9000), core(2000, 8000)] as CpuTimes[] | undefined,
    meminfo: 'MemTotal:  1000 kB\nMemFree:   100 kB\nMemAvailable:  250 kB\n' as string | undefined,
    sda: [0, 0] as [number, number],
    nvme: [0, 0] as [number, number],
    eth0: [0, 0] as [number, number],
    wlan0: [0, 0] as [number, number] | undefined,
    diskstatsAvailable: true,
    netdevAvailable: true,
    load: [1.5, 1, 0.5] as number[] | undefined,
  };
  const readers: HostReaders = {
    cpuTimes: () => state.cpus,
    meminfo: () => state.meminfo,
    memory: () => ({ total: 200, free: 50 }),
    diskstats: () => (state.diskstatsAvailable ? diskstats({ sda: state.sda, nvme: state.nvme }) : undefined),
    netdev: () => (state.netdevAvailable ? netdev(state.eth0, state.wlan0) : undefined),
    loadavg: () => state.load,
    clock: () => state.now,
  };
  /** Move time and every core forward (30% busy), as a real interval would. */
  const tick = (ms = 10_000): void => {
    state.now += ms;
    state.cpus = state.cpus?.map((c) => ({ ...c, user: c.user + 0.3 * ms, idle: c.idle + 0.7 * ms }));
  };
  return { state, readers, tick };
}

const idOf = (source: HostMetricSource, metric: string): string =>
  source.series.find((s) => s.metric === metric)!.id;

const valuesOf = (points: readonly { series: string; value: number }[], source: HostMetricSource) =>
  Object.fromEntries(points.map((p) => [source.series.find((s) => s.id === p.series)!.metric, p.value]));

describe('hostSeries', () => {
  it('describes every host metric under Local/Host with the host dimension and the sampling period', () => {
    // Act
    const series = hostSeries(15, HOST);

    // Assess
    expect(series.map((s) => s.metric)).toEqual([
      'cpu_percent',
      'memory_percent',
      'disk_read_mb',
      'disk_write_mb',
      'net_rx_mb',
      'net_tx_mb',
      'load_1m',
    ]);
    const cpu = series[0]!;
    expect(cpu).toEqual<SeriesSpec>({
      id: 'Local/Host/cpu_percent/host=test-host/Average/15',
      metric: 'cpu_percent',
      label: 'cpu_percent test-host',
      namespace: 'Local/Host',
      metricName: 'cpu_percent',
      dimensions: { host: HOST },
      stat: 'Average',
      period: 15,
      scale: 1,
      unit: '%',
      tags: { resource: HOST, service: 'host' },
    });
    expect(series.find((s) => s.metric === 'disk_read_mb')!.unit).toBe('MB');
    expect(series.find((s) => s.metric === 'load_1m')!.unit).toBeUndefined();
    expect(HOST_SERIES).toHaveLength(7);
    expect(HOST_SERIES[0]!.period).toBe(10);
  });
});

describe('host parsers', () => {
  it('computes busy CPU % over all cores from two snapshots', () => {
    // Prepare: core 0 busy 300 of 1000 ms, core 1 busy 500 of 1000 ms
    const before = [core(1000, 9000), core(2000, 8000)];
    const after = [core(1300, 9700), core(2500, 8500)];

    // Act / Assess
    expect(cpuPercent(before, after)).toEqual({ ok: true, value: 40 });
    expect(cpuPercent(after, before)).toEqual({ ok: false });
    expect(cpuPercent(before, before)).toEqual({ ok: false });
  });

  it('computes memory in use from MemAvailable, MemFree + Buffers + Cached, else the os module', () => {
    expect(memoryPercent('MemTotal:  1000 kB\nMemFree: 100 kB\nMemAvailable:  250 kB\n', undefined)).toBe(75);
    expect(
      memoryPercent('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n', undefined),
    ).toBe(60);
    expect(memoryPercent(undefined, { total: 200, free: 50 })).toBe(75);
    expect(memoryPercent('garbage', { total: 400, free: 100 })).toBe(75);
    expect(memoryPercent(undefined, undefined)).toBeUndefined();
    expect(memoryPercent(undefined, { total: 0, free: 0 })).toBeUndefined();
  });

  it('keeps whole disks only: partitions, loop, ram and device-mapper devices are skipped', () => {
    // Act
    const disks = parseDiskstats(diskstats({ sda: [2048, 4096], nvme: [10, 20] }));

    // Assess
    expect([...disks.keys()]).toEqual(['sda', 'nvme0n1']);
    expect(disks.get('sda')).toEqual({ read: 2048 * 512, write: 4096 * 512 });
    expect(disks.get('nvme0n1')).toEqual({ read: 10 * 512, write: 20 * 512 });
  });

  it('keeps a disk whose name ends in a digit when no other device is its disk', () => {
    const disks = parseDiskstats(
      ' 179 0 mmcblk0 1 0 8 0 1 0 16 0 0 0 0\n 179 1 mmcblk0p1 1 0 8 0 1 0 16 0 0 0 0',
    );
    expect([...disks.keys()]).toEqual(['mmcblk0']);
  });

  it('reads every interface but loopback, with or without a space after the colon', () => {
    const nets = parseNetdev(netdev([100, 200], [300, 400]));
    expect(nets).toEqual(
      new Map([
        ['eth0', { rx: 100, tx: 200 }],
        ['wlan0', { rx: 300, tx: 400 }],
      ]),
    );
  });
});

describe('HostMetricSource', () => {
  it('produces gauges from the first sample and rates only from the second', async () => {
    // Prepare
    const { state, readers } = fakeHost();
    const source = new HostMetricSource({ hostname: HOST, readers });

    // Act
    const first = source.sampleNow();
    state.now += 10_000;
    state.cpus = [core(1300, 9700), core(2500, 8500)];
    state.sda = [2048, 4096]; // 1 MB read, 2 MB written
    state.nvme = [2048, 0]; // 1 MB read
    state.eth0 = [3 * BYTES_PER_MB, BYTES_PER_MB];
    state.wlan0 = [BYTES_PER_MB, 0];
    const second = source.sampleNow();

    // Assess
    expect(valuesOf(first.points, source)).toEqual({ memory_percent: 75, load_1m: 1.5 });
    expect(first.skipped).toEqual([]);
    expect(valuesOf(second.points, source)).toEqual({
      memory_percent: 75,
      load_1m: 1.5,
      cpu_percent: 40,
      disk_read_mb: 2,
      disk_write_mb: 2,
      net_rx_mb: 4,
      net_tx_mb: 1,
    });
    expect(second.points.every((p) => p.ts === state.now)).toBe(true);
    expect(source.unavailableMetrics()).toEqual([]);
  });

  it('skips and counts a point whose counter went backwards, and recovers on the next sample', async () => {
    // Prepare
    const { state, readers, tick } = fakeHost();
    const source = new HostMetricSource({ hostname: HOST, readers });
    state.eth0 = [5 * BYTES_PER_MB, 0];
    source.sampleNow();

    // Act: eth0 was reset (counters back near zero), then moves on normally
    tick();
    state.eth0 = [BYTES_PER_MB, 0];
    const wrapped = source.sampleNow();
    tick();
    state.eth0 = [3 * BYTES_PER_MB, 0];
    const after = source.sampleNow();
    const all = await source.fetch(source.series, 0, Number.POSITIVE_INFINITY);
    const rxOnly = await source.fetch(
      source.series.filter((s) => s.metric === 'net_rx_mb'),
      0,
      Number.POSITIVE_INFINITY,
    );

    // Assess: net_tx is unaffected (its counter did not go backwards)
    expect(wrapped.skipped).toEqual([idOf(source, 'net_rx_mb')]);
    expect(valuesOf(wrapped.points, source).net_rx_mb).toBeUndefined();
    expect(valuesOf(wrapped.points, source).net_tx_mb).toBe(0);
    expect(valuesOf(after.points, source).net_rx_mb).toBe(2);
    expect(valuesOf(after.points, source).cpu_percent).toBeCloseTo(30);
    expect(all.skipped).toBe(1);
    expect(rxOnly).toEqual({
      points: [{ series: idOf(source, 'net_rx_mb'), ts: state.now, value: 2 }],
      skipped: 1,
      calls: 0,
      warnings: [],
    });
  });

  it('ignores a device that appeared since the previous sample instead of counting its whole history', () => {
    // Prepare
    const { state, readers, tick } = fakeHost();
    const source = new HostMetricSource({ hostname: HOST, readers });
    state.wlan0 = undefined;
    source.sampleNow();

    // Act: wlan0 shows up with 50 MB already received
    state.wlan0 = [50 * BYTES_PER_MB, 0];
    state.eth0 = [BYTES_PER_MB, 0];
    tick();
    const sample = source.sampleNow();

    // Assess
    expect(valuesOf(sample.points, source).net_rx_mb).toBe(1);
  });

  it('does not produce the metrics it cannot read on this host', () => {
    // Prepare: no /proc, no os fallback for memory, no load average, no CPU list
    const { state, readers } = fakeHost();
    state.cpus = undefined;
    state.meminfo = undefined;
    state.diskstatsAvailable = false;
    state.netdevAvailable = false;
    state.load = undefined;
    const source = new HostMetricSource({
      hostname: HOST,
      readers: {
        ...readers,
        memory: () => {
          throw new Error('not here');
        },
      },
    });

    // Act
    source.sampleNow();
    state.now += 10_000;
    const second = source.sampleNow();

    // Assess
    expect(second).toEqual({ ts: state.now, points: [], skipped: [] });
    expect(source.unavailableMetrics()).toEqual([
      'cpu_percent',
      'memory_percent',
      'disk_read_mb',
      'disk_write_mb',
      'net_rx_mb',
      'net_tx_mb',
      'load_1m',
    ]);
  });

  it('keeps at most maxSamples samples, dropping the oldest', async () => {
    // Prepare
    const { state, readers } = fakeHost();
    const source = new HostMetricSource({ hostname: HOST, readers, maxSamples: 3 });
    const load = source.series.filter((s) => s.metric === 'load_1m');

    // Act
    for (let i = 0; i < 5; i++) {
      state.load = [i];
      source.sampleNow();
      state.now += 10_000;
    }
    const { points } = await source.fetch(load, 0, Number.POSITIVE_INFINITY);

    // Assess
    expect(source.sampleCount).toBe(3);
    expect(points.map((p) => p.value)).toEqual([2, 3, 4]);
  });

  it('sizes the buffer from the retention and the sampling interval', () => {
    const { state, readers } = fakeHost();
    const source = new HostMetricSource({
      hostname: HOST,
      readers,
      sampleSeconds: 60,
      retentionMs: 10 * 60_000,
    });
    for (let i = 0; i < 20; i++) {
      source.sampleNow();
      state.now += 60_000;
    }
    expect(source.sampleCount).toBe(11);
  });

  it('fetches the requested series with start <= ts < end', async () => {
    // Prepare: samples at t0, t0 + 10 s, t0 + 20 s
    const { state, readers } = fakeHost();
    const source = new HostMetricSource({ hostname: HOST, readers });
    const t0 = state.now;
    for (let i = 0; i < 3; i++) {
      state.load = [i];
      source.sampleNow();
      state.now += 10_000;
    }
    const load = source.series.filter((s) => s.metric === 'load_1m');

    // Act
    const middle = await source.fetch(load, t0 + 10_000, t0 + 20_000);
    const upToEnd = await source.fetch(load, t0, t0 + 20_001);
    const other = await source.fetch(hostSeries(10, 'other-host'), t0, t0 + 30_000);

    // Assess
    expect(middle.points).toEqual([{ series: load[0]!.id, ts: t0 + 10_000, value: 1 }]);
    expect(upToEnd.points.map((p) => p.value)).toEqual([0, 1, 2]);
    expect(other).toEqual({ points: [], skipped: 0, calls: 0, warnings: [] });
  });

  it('samples on an unref-ed timer until stopped', () => {
    // Prepare
    jest.useFakeTimers();
    try {
      const { state, readers } = fakeHost();
      const source = new HostMetricSource({ hostname: HOST, readers });

      // Act
      source.start(1000);
      state.now += 1000;
      jest.advanceTimersByTime(1000);
      state.now += 1000;
      jest.advanceTimersByTime(1000);
      source.stop();
      jest.advanceTimersByTime(5000);

      // Assess: one immediate sample, two timer samples
      expect(source.sampleCount).toBe(3);
    } finally {
      jest.useRealTimers();
    }
  });

  it('reads this machine without throwing', async () => {
    // Prepare: the real OS readers (Linux /proc here; elsewhere some metrics are just absent)
    const source = new HostMetricSource();

    // Act
    source.sampleNow();
    const result = await source.fetch(source.series, 0, Number.POSITIVE_INFINITY);

    // Assess
    for (const p of result.points) expect(Number.isFinite(p.value)).toBe(true);
    expect(source.series[0]!.dimensions.host).toBeTruthy();
  });
});
