// The three drift handlers as Lambda runs them (middy + Powertools), over dynalite and s3rver started by
// the test; SQS and SES mocked with aws-sdk-client-mock so the exact requests are asserted.
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoMetricStore } from '../../shared/adapters/dynamodb-metric-store';
import { DynamoPredictionStore } from '../../shared/adapters/dynamodb-prediction-store';
import { createRng } from '../../shared/domain/random';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';
import { createPredictionsTable } from '../helpers/drift';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';
import { fakeContext, handlerEnv, scheduledEvent } from '../helpers/lambda';
import { startS3rver, type TestS3 } from '../helpers/s3rver';

const MIN = 60_000;
const DAY = 86_400_000;
/** The points' and the drift rows' step (drift.infra.stepSeconds). */
const STEP = 5 * MIN;
// Handlers use the real clock for event ages; everything is placed relative to it.
const NOW = Math.floor(Date.now() / MIN) * MIN;
const REJECTED_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/rejected-predictions';
const sqs = mockClient(SQSClient);
const ses = mockClient(SESv2Client);

const rawConfig = {
  series: ['cpu_percent', 'memory_percent'].map((metric) => ({
    metric,
    namespace: 'AWS/EC2',
    metricName: metric,
    dimensions: { InstanceId: 'i-1' },
  })),
  alerts: { dashboardUrl: 'https://ops.example.com/drift' },
  drift: {
    fromEmail: 'sentinel@example.com',
    toEmails: ['ml-team@example.com', 'oncall@example.com'],
    // 5-minute rows: two days are 576 rows, a fifth of the DynamoDB writes of 1-minute rows (this test
    // once hit its timeout on a loaded machine writing 8,640 points).
    infra: { features: ['cpu_percent', 'memory_percent'], minRows: 100, stepSeconds: 300 },
  },
};
const config = parseMonitorConfig(rawConfig);
const series = expandSeries(config);

let db: TestDynamo;
let s3: TestS3;
let predictionsTable: string;
let ingest: typeof import('../../functions/ingest-predictions');
let train: typeof import('../../functions/train-drift');
let check: typeof import('../../functions/check-drift');

beforeAll(async () => {
  db = await startDynalite();
  s3 = await startS3rver('test-models');
  predictionsTable = await createPredictionsTable(db);
  const ep = await s3.client.config.endpoint?.();
  const s3Endpoint = `http://${ep?.hostname}:${ep?.port}`;
  handlerEnv(
    db.endpoint,
    {
      POINTS_TABLE: db.tables.points,
      CONTROL_TABLE: db.tables.control,
      PREDICTIONS_TABLE: predictionsTable,
      MODELS_BUCKET: s3.bucket,
      REJECTED_PREDICTIONS_URL: REJECTED_URL,
      // The handlers' S3 client reaches s3rver through the SDK's standard settings (an IP endpoint is
      // addressed path-style; checksums only when required, as s3rver needs).
      AWS_ENDPOINT_URL_S3: s3Endpoint,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    },
    rawConfig,
  );
  // s3rver's only account; dynalite takes any credentials.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  ses.on(SendEmailCommand).resolves({ MessageId: 'ses-1' });
  ingest = await import('../../functions/ingest-predictions');
  train = await import('../../functions/train-drift');
  check = await import('../../functions/check-drift');
});
afterAll(async () => {
  await s3.close();
  await db.close();
});

function event(id: string, detail: Record<string, unknown>, time = NOW - MIN) {
  return {
    version: '0',
    id,
    'detail-type': 'ModelPrediction',
    source: 'ml.fraud',
    account: '123456789012',
    time: new Date(time).toISOString(),
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

function sqsBatch(bodies: string[]) {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `msg-${i}`,
      receiptHandle: `rh-${i}`,
      body,
      attributes: {},
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:predictions',
      awsRegion: 'us-east-1',
    })),
  };
}

describe('ingest-predictions handler', () => {
  it('stores valid events, parks invalid ones in the rejected queue with the reason, retries nothing', async () => {
    const bad = JSON.stringify(event('e-bad', { model: 'fraud', score: 'very high' }));
    const r = await ingest.handler(
      sqsBatch([
        JSON.stringify(event('e-1', { model: 'fraud', score: 0.25, predictionId: 'p-1' })),
        JSON.stringify(event('e-2', { model: 'fraud', score: 0.75, outcome: true })),
        bad,
      ]),
      fakeContext(),
    );
    expect(r).toEqual({ batchItemFailures: [] });
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(1);
    const reason =
      'Invalid ModelPrediction event: detail.score: Invalid input: expected number, received string';
    expect(calls[0]!.args[0].input).toEqual({
      QueueUrl: REJECTED_URL,
      Entries: [
        {
          Id: '0',
          MessageBody: JSON.stringify({
            reason,
            issues: ['detail.score: Invalid input: expected number, received string'],
            deliveryId: 'msg-2',
            event: bad,
          }),
          MessageAttributes: { reason: { DataType: 'String', StringValue: reason } },
        },
      ],
    });
    const stored = await new DynamoPredictionStore({ client: db.doc, tableName: predictionsTable }).load(
      'fraud',
      NOW - DAY,
      NOW,
      NOW,
    );
    expect(Array.from(stored.score).sort()).toEqual([0.25, 0.75]);
  });

  it('reports the deliveries it could not park, so only they are retried', async () => {
    sqs.on(SendMessageBatchCommand).resolvesOnce({
      Successful: [],
      Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }],
    });
    const r = await ingest.handler(sqsBatch(['not json']), fakeContext());
    expect(r).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-0' }] });
  });

  it('rejects an invocation that is not an SQS batch', async () => {
    expect(await ingest.handler({ hello: 'world' }, fakeContext())).toEqual({
      status: 'rejected',
      issues: ['Records: Invalid input: expected array, received undefined'],
    });
  });
});

describe('train-drift and check-drift handlers', () => {
  it('rejects bad payloads, naming the field', async () => {
    expect(await train.handler({ days: 0 }, fakeContext())).toMatchObject({
      status: 'rejected',
      issues: [expect.stringMatching(/^days: /)],
    });
    expect(await train.handler({ days: 30, extra: true }, fakeContext())).toMatchObject({
      status: 'rejected',
      issues: [expect.stringMatching(/Unrecognized key.*extra/)],
    });
    expect(await check.handler({ time: 'tomorrow' }, fakeContext())).toMatchObject({ status: 'rejected' });
  });

  it('before training: the infra check fails clearly and is recorded; the invocation does not throw', async () => {
    const r = await check.handler({}, fakeContext());
    expect(r).toMatchObject({ status: 'ok', failed: ['infra:infra'] });
    const runs = await db.doc.send(
      new QueryCommand({
        TableName: db.tables.control,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'drift#run' },
      }),
    );
    const infra = runs.Items?.find((i) => i.subject === 'infra:infra');
    expect(infra).toMatchObject({ status: 'failed', kind: 'infra' });
    expect(JSON.parse(String(infra?.check)).reason).toMatch(
      /^No trained model "infra": pointer not found: s3:\/\/test-models\/models\/infra\/latest\.json: train it first/,
    );
  });

  // Sized from its work, not the machine: ~1,700 point writes, two trainings, two checks; ~6 s idle.
  it('refuses to train on too little data, then trains, then check-drift mails the drift through SES', async () => {
    const points = new DynamoMetricStore({ client: db.doc, tableName: db.tables.points });
    const rng = createRng(5);
    const write = async (from: number, to: number, shift: number) => {
      const batch = [];
      for (let ts = from; ts < to; ts += STEP) {
        const load = rng.normal(0, 1);
        batch.push({ series: series[0]!.id, ts, value: 40 + 5 * load + shift });
        batch.push({ series: series[1]!.id, ts, value: 60 + 3 * load + rng.normal(0, 1) + shift });
      }
      await points.putPoints(batch);
    };
    await write(NOW - 5 * 60 * MIN, NOW, 0);
    const refused = await train.handler({ days: 1 }, fakeContext());
    expect(refused).toMatchObject({ status: 'refused', rows: 60, minRows: 100 });

    await write(NOW - 2 * DAY, NOW - 5 * 60 * MIN, 0);
    const trained = await train.handler({ days: 2 }, fakeContext());
    expect(trained).toMatchObject({
      status: 'trained',
      model: 'infra',
      features: ['cpu_percent i-1', 'memory_percent i-1'],
      seed: 42,
    });
    // The last 24 h move away from the trained behaviour.
    await write(NOW - DAY, NOW, 25);

    // And a model whose scores shifted this week.
    const store = new DynamoPredictionStore({ client: db.doc, tableName: predictionsTable });
    const p = createRng(6);
    await store.append(
      Array.from({ length: 1200 }, (_, i) => {
        const recent = i >= 800;
        return {
          model: 'churn',
          ts: recent ? NOW - 6 * DAY + i * 60_000 : NOW - 30 * DAY + i * 3_600_000,
          score: Math.min(1, Math.max(0, p.normal(recent ? 0.6 : 0.3, 0.1))),
          key: i,
        };
      }),
      NOW,
    );
    const r = await check.handler(scheduledEvent(NOW), fakeContext());
    expect(r).toMatchObject({ status: 'ok', failed: [], correction: 'benjamini-hochberg' });
    if (r.status !== 'ok') throw new Error('rejected');
    expect([...r.drifting].sort()).toEqual(['infra:infra', 'model:churn']);
    const sends = ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input);
    expect(sends).toHaveLength(2);
    const churn = sends.find((s) => s.Content?.Simple?.Subject?.Data?.includes('churn'));
    expect(churn).toEqual({
      FromEmailAddress: 'sentinel@example.com',
      Destination: { ToAddresses: ['ml-team@example.com', 'oncall@example.com'] },
      Content: {
        Simple: {
          Subject: {
            Data: expect.stringMatching(/^\[ML drift\] churn: prediction scores shifted \(K-S D=/),
            Charset: 'UTF-8',
          },
          Body: {
            Text: {
              Data: expect.stringContaining('Dashboard: https://ops.example.com/drift'),
              Charset: 'UTF-8',
            },
            Html: { Data: expect.stringContaining('<table'), Charset: 'UTF-8' },
          },
        },
      },
    });
    // A second run the same day: no new e-mail.
    await check.handler(scheduledEvent(NOW + MIN), fakeContext());
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(2);
    const states = (await db.doc.send(new ScanCommand({ TableName: db.tables.control }))).Items?.filter(
      (i) => i.pk === 'drift#state',
    );
    expect(states?.map((s) => [s.sk, s.status, s.mailed]).sort()).toEqual([
      ['infra:infra', 'drifting', 'drifting'],
      ['model:churn', 'drifting', 'drifting'],
    ]);
  }, 120_000);
});
