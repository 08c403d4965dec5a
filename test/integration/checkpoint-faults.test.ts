// Fault test: S3 (s3rver) goes down between detect runs. Detection must go on from the points —
// the same anomalies recorded as with S3 up — with the checkpoint failures counted, never fatal.
import {
  MemoryAnomalyStore,
  MemoryControlStore,
  MemoryMetricStore,
} from '../../shared/adapters/memory-stores';
import { S3CheckpointStore } from '../../shared/adapters/s3-checkpoint-store';
import { DetectorCache } from '../../shared/domain/detectors/detector-cache';
import type { MetricPoint } from '../../shared/domain/types';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';
import { DETECT_JOB, detectAnomalies } from '../../shared/use-cases/detect-anomalies';
import { recordingLog } from '../helpers/logs';
import { startS3rver } from '../helpers/s3rver';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 1, 12);
const config = parseMonitorConfig({
  series: [
    { metric: 'cpu_percent', namespace: 'AWS/EC2', metricName: 'CPUUtilization', dimensions: { i: '1' } },
  ],
  detection: { checkpointEveryMinutes: 0 },
});
const series = expandSeries(config);

it('S3 down for checkpoints: detect continues from the points, records the spike, counts the failures', async () => {
  // Prepare: 3 hours of noisy points with one spike in the last half hour.
  const store = new MemoryMetricStore();
  const points: MetricPoint[] = [];
  for (let i = 0; i < 180; i++)
    points.push({ series: series[0]!.id, ts: T0 + i * MIN, value: i === 170 ? 99 : 40 + ((i * 7) % 5) });
  await store.putPoints(points);
  const s3 = await startS3rver('checkpoints');
  const checkpoints = new S3CheckpointStore({ client: s3.client, bucket: s3.bucket });
  const control = new MemoryControlStore();
  await control.advanceWatermark(DETECT_JOB, T0 + 150 * MIN);
  const base = { store, control, log: recordingLog(), series, detection: config.detection };

  // Act: one run with S3 up (saves a checkpoint), then S3 stops and a cold start runs.
  const up = await detectAnomalies({
    ...base,
    anomalies: new MemoryAnomalyStore(),
    clock: { now: () => T0 + 160 * MIN },
    detectorCache: new DetectorCache(),
    checkpoints,
  });
  await s3.close();
  const anomalies = new MemoryAnomalyStore();
  const log = recordingLog();
  const down = await detectAnomalies({
    ...base,
    log,
    anomalies,
    clock: { now: () => T0 + 180 * MIN },
    detectorCache: new DetectorCache(),
    checkpoints,
  });

  // Assess
  expect(up).toMatchObject({ checkpointsSaved: 1, checkpointErrors: 0 });
  expect(down.checkpointsRestored).toBe(0);
  expect(down.checkpointErrors).toBeGreaterThanOrEqual(1);
  expect(down.recorded.map((a) => a.ts)).toEqual([T0 + 170 * MIN]);
  expect(await control.getWatermark(DETECT_JOB)).toBeGreaterThan(T0 + 160 * MIN);
  expect(log.lines.some((l) => l.level === 'warn' && /checkpoint/i.test(l.message))).toBe(true);
}, 60_000);
