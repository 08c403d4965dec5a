import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoFeedbackStore } from '../../shared/adapters/dynamodb-feedback-store';
import { DynamoMetricStore } from '../../shared/adapters/dynamodb-metric-store';
import { DynamoThresholdStore } from '../../shared/adapters/dynamodb-threshold-store';
import { checkpointPrefixOf, S3CheckpointStore } from '../../shared/adapters/s3-checkpoint-store';
import { semanticsOf } from '../../shared/domain/detectors/semantics';
import { SeriesDetector } from '../../shared/domain/detectors/series-detector';
import { DEFAULT_TUNING_POLICY } from '../../shared/domain/feedback';
import { shardOf } from '../../shared/domain/shards';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';
import { setAnomalyFeedback } from '../../shared/use-cases/feedback';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';
import { fakeContext, handlerEnv, scheduledEvent } from '../helpers/lambda';
import { startS3rver, type TestS3 } from '../helpers/s3rver';

const MIN = 60_000;
// In the past: handlers refuse a scheduled time more than 5 minutes ahead of the clock.
const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);
const cw = mockClient(CloudWatchClient);
const sns = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:noc';
let db: TestDynamo;
let s3: TestS3;
let collect: typeof import('../../functions/collect');
let detect: typeof import('../../functions/detect');
let tune: typeof import('../../functions/tune');

const config = {
  series: [
    {
      metric: 'cpu_percent',
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensions: { InstanceId: 'i-1' },
    },
  ],
  // One labelled page is enough for the weekly rule here.
  feedback: { weekly: { minLabelled: 1 } },
};

beforeAll(async () => {
  db = await startDynalite();
  s3 = await startS3rver('test-detector-state');
  const ep = await s3.client.config.endpoint?.();
  handlerEnv(
    db.endpoint,
    {
      POINTS_TABLE: db.tables.points,
      ANOMALIES_TABLE: db.tables.anomalies,
      CONTROL_TABLE: db.tables.control,
      ALERT_TOPIC_ARN: TOPIC,
      ALERT_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/alert-dlq',
      DETECTOR_STATE_BUCKET: s3.bucket,
      // Detect's S3 client reaches s3rver through the SDK's standard settings (see drift-handlers).
      AWS_ENDPOINT_URL_S3: `http://${ep?.hostname}:${ep?.port}`,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    },
    config,
  );
  // s3rver's only account; dynalite takes any credentials.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
  sns.on(PublishCommand).resolves({ MessageId: 'sns-1' });
  collect = await import('../../functions/collect');
  detect = await import('../../functions/detect');
  tune = await import('../../functions/tune');
});
afterAll(async () => {
  await s3.close();
  await db.close();
});

async function count(table: string): Promise<number> {
  return (await db.doc.send(new ScanCommand({ TableName: table, Select: 'COUNT' }))).Count ?? 0;
}

/** Points stored for the configured series (the points table holds them in chunk items). */
async function storedPoints(now: number): Promise<number> {
  const [spec] = expandSeries(parseMonitorConfig(config));
  const store = new DynamoMetricStore({ client: db.doc, tableName: db.tables.points });
  return (await store.queryRange(spec!.id, 0, Number.MAX_SAFE_INTEGER, now)).length;
}

describe('collect and detect handlers (dynalite + mocked CloudWatch)', () => {
  it('rejects a malformed or future-dated event without writing anything', async () => {
    const future = await collect.handler({ time: '2099-01-01T00:00:00Z' }, fakeContext());
    expect(future).toMatchObject({
      status: 'rejected',
      issues: [expect.stringMatching(/^time: .* is in the future/)],
    });
    const r = await collect.handler(
      { source: 'aws.events', 'detail-type': 'Scheduled Event', time: 'yesterday' },
      fakeContext(),
    );
    expect(r).toMatchObject({ status: 'rejected' });
    expect((r as { issues: string[] }).issues.join()).toMatch(/time/);
    const d = await detect.handler({ unexpected: 1 }, fakeContext());
    expect(d).toMatchObject({ status: 'rejected' });
    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(0);
    expect(await count(db.tables.points)).toBe(0);
    expect(await count(db.tables.control)).toBe(0);
  });

  it('answers a manual run dated before the data kept with a named issue, not a retried throw', async () => {
    // tune used to throw a DependencyError (a key condition before 1970), retried twice into the DLQ.
    for (const [name, run] of [
      ['collect', collect.handler],
      ['detect', detect.handler],
      ['tune', tune.handler],
    ] as const) {
      const r = await run({ time: '1970-01-01T00:00:00Z' }, fakeContext(name));
      expect({ name, r }).toEqual({
        name,
        r: {
          status: 'rejected',
          issues: [expect.stringMatching(/^time: 1970-01-01T00:00:00Z is more than \d+ days ago/)],
        },
      });
    }
    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(0);
    expect(await count(db.tables.control)).toBe(0);
  });

  it('collects 3 hours of points, then detect records the spike once', async () => {
    // CloudWatch answers with one value per minute over the requested range; a spike 3 minutes ago.
    cw.on(GetMetricDataCommand).callsFake((input) => {
      const start = (input.StartTime as Date).getTime();
      const end = (input.EndTime as Date).getTime();
      const ts: Date[] = [];
      const values: number[] = [];
      for (let t = start; t < end; t += MIN) {
        ts.push(new Date(t));
        values.push(t === T0 - 3 * MIN ? 97 : 20 + ((t / MIN) % 4));
      }
      return { MetricDataResults: [{ Id: 'm0', StatusCode: 'Complete', Timestamps: ts, Values: values }] };
    });
    const c = await collect.handler(scheduledEvent(T0), fakeContext());
    expect(c).toMatchObject({ status: 'ok', written: 180, skipped: 0, failed: 0, calls: 1 });
    expect(await storedPoints(T0)).toBe(180);

    // A feedback adjustment is in force for cpu_percent: detect applies it and records it with the anomaly.
    await new DynamoThresholdStore({ client: db.doc, tableName: db.tables.control }).update(
      'cpu_percent',
      0,
      { adjustment: 0.2 },
      T0,
    );
    const d = await detect.handler(scheduledEvent(T0 + MIN), fakeContext());
    expect(d).toMatchObject({ status: 'ok', recordedCount: 1, seriesFailed: [] });
    const items = (await db.doc.send(new ScanCommand({ TableName: db.tables.anomalies }))).Items ?? [];
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      metric: 'cpu_percent',
      ts: T0 - 3 * MIN,
      value: 97,
      severity: 'critical',
      alertState: 'sent',
      messageId: 'sns-1',
      day: '2026-11-20',
      sensitivity: 1.2,
    });
    expect(d).toMatchObject({ alerts: { messagesSent: 1, states: { sent: 1 } } });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    const published = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(published.TopicArn).toBe(TOPIC);
    expect(published.Subject).toMatch(/^\[CRITICAL\] i-1: cpu_percent i-1 = 97, expected /);
    expect(published.MessageAttributes?.alert_type).toEqual({
      DataType: 'String',
      StringValue: 'INFRASTRUCTURE_ANOMALY',
    });
    expect(items[0]!.explanation).toMatch(
      /^cpu_percent i-1 = 97 at 2026-11-20T11:57:00.000Z: outside expected/,
    );

    // The run persisted the series' detector checkpoint (at now − late overlap) for a cold start.
    expect(d).toMatchObject({ checkpointsSaved: 1, checkpointErrors: 0 });
    const spec = expandSeries(parseMonitorConfig(config))[0]!;
    const snapshot = await new S3CheckpointStore({ client: s3.client, bucket: s3.bucket }).load(spec.id);
    expect(snapshot?.lastTs).toBe(T0 + MIN - 10 * MIN);
    const detection = parseMonitorConfig(config).detection;
    expect(SeriesDetector.restore(detection, 60_000, 1.2, snapshot!, semanticsOf(spec))).toBeDefined();

    // The same scheduled event delivered again (Lambda retry): no duplicate.
    const again = await detect.handler(scheduledEvent(T0 + MIN), fakeContext());
    expect(again).toMatchObject({ status: 'ok', recordedCount: 0, alreadyRecorded: 1 });
    expect(await count(db.tables.anomalies)).toBe(1);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);

    // Next collect asks for the window since the watermark (T0 − 2 min settle) minus the 10-minute
    // overlap, up to its own now − 2 min.
    await collect.handler(scheduledEvent(T0 + 5 * MIN), fakeContext());
    const last = cw.commandCalls(GetMetricDataCommand).at(-1)!.args[0].input;
    expect(last.StartTime).toEqual(new Date(T0 - 12 * MIN));
    expect(last.EndTime).toEqual(new Date(T0 + 3 * MIN));
  });

  it('runs the shard the state machine names, and fails a shard out of time so its retry resumes it', async () => {
    // Prepare: the state machine's payload for each of two shards; one owns the only series.
    const time = new Date(T0 + 6 * MIN).toISOString();
    const [spec] = expandSeries(parseMonitorConfig(config));
    const owner = shardOf(spec!, 'resource', 2);
    const payload = (index: number) => ({ time, shard: { index, count: 2 } });
    // A minute at the start (middy's timer, the handler's budget), then nearly none.
    let asked = 0;
    const dying = { ...fakeContext(), getRemainingTimeInMillis: () => (asked++ < 2 ? 60_000 : 1_000) };
    // Act: the owner's first attempt has no time left; the retry (same payload) has plenty
    const other = await detect.handler(payload(1 - owner), fakeContext());
    await expect(detect.handler(payload(owner), dying)).rejects.toMatchObject({
      name: 'ShardIncompleteError',
    });
    const retried = await detect.handler(payload(owner), fakeContext());
    // Assess: each shard its own watermark; the empty shard finished at once, the owner on its retry
    expect(other).toMatchObject({ status: 'ok', shard: `${1 - owner}of2`, seriesEvaluated: 0 });
    expect(retried).toMatchObject({
      status: 'ok',
      shard: `${owner}of2`,
      seriesEvaluated: 1,
      seriesUnfinished: [],
    });
    const marks = (await db.doc.send(new ScanCommand({ TableName: db.tables.control }))).Items ?? [];
    const mark = (pk: string) => marks.find((i) => i.pk === pk)?.ts;
    expect(mark(`job#detect#${owner}of2`)).toBe(T0 + 6 * MIN);
    expect(mark(`job#detect#${1 - owner}of2`)).toBe(T0 + 6 * MIN);
    // The owner's checkpoint went under its own prefix.
    const shardStore = new S3CheckpointStore({
      client: s3.client,
      bucket: s3.bucket,
      prefix: checkpointPrefixOf({ index: owner, count: 2 }),
    });
    expect((await shardStore.load(spec!.id))?.lastTs).toBe(T0 + 6 * MIN - 10 * MIN);
  });

  it('fails the invocation when CloudWatch keeps throttling, leaving the watermark where it was', async () => {
    cw.reset();
    cw.on(GetMetricDataCommand).rejects(
      Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $retryable: {} }),
    );
    await expect(collect.handler(scheduledEvent(T0 + 10 * MIN), fakeContext())).rejects.toThrow(
      /GetMetricData failed/,
    );
    const wm = await db.doc.send(new ScanCommand({ TableName: db.tables.control }));
    const collectMark = wm.Items?.find((i) => i.pk === 'job#collect');
    expect(collectMark?.ts).toBe(T0 + 3 * MIN);
  });

  it('tune: the Sunday run evaluates the week once; the page marked false positive raises cpu_percent', async () => {
    // Prepare: staff mark the page detect sent on Friday as a false positive.
    const thresholds = new DynamoThresholdStore({ client: db.doc, tableName: db.tables.control });
    const spec = expandSeries(parseMonitorConfig(config))[0]!;
    await setAnomalyFeedback(
      {
        feedback: new DynamoFeedbackStore({ client: db.doc, tableName: db.tables.anomalies }),
        thresholds,
        policy: DEFAULT_TUNING_POLICY,
        clock: { now: () => T0 + 10 * MIN },
        log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
      },
      { series: spec.id, ts: T0 - 3 * MIN },
      { label: 'false-positive', actor: { kind: 'person', name: 'alice' } },
    );
    const sunday = Date.UTC(2026, 10, 22, 3);
    // Act
    const first = await tune.handler(scheduledEvent(sunday), fakeContext('tune'));
    const retry = await tune.handler(scheduledEvent(sunday), fakeContext('tune'));
    // Assess
    expect(first).toMatchObject({
      status: 'ok',
      week: { label: '2026-W47' },
      changes: 1,
      metrics: [
        {
          metric: 'cpu_percent',
          outcome: 'high-fp-rate',
          counts: { alerted: 1, labelled: 1, falsePositives: 1, confirmed: 0 },
          change: { from: 0.2, to: 0.3, rule: 'weekly-fp-rate' },
        },
      ],
    });
    expect(retry).toMatchObject({ status: 'ok', changes: 0, metrics: [{ outcome: 'already-evaluated' }] });
    expect((await thresholds.get('cpu_percent')).adjustment).toBe(0.3);
    expect(await tune.handler({ time: 'soon' }, fakeContext('tune'))).toMatchObject({ status: 'rejected' });
  });
});
