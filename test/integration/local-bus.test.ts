// The local predictions bus speaks EventBridge PutEvents well enough for the real SDK client and
// PredictionReporter; and the send-predictions CLI builds exactly what it says.
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { driftOptionsOf, quietRepeats, startLocalBus } from '../../infra/local/drift-local';
import { predictionsOf } from '../../scripts/send-predictions';
import { progressBar } from '../../scripts/train-drift';
import { parsePredictionEvent } from '../../shared/domain/predictions';
import { ValidationError } from '../../shared/errors';
import { PredictionReporter } from '../../shared/prediction-client';
import type { Delivery } from '../../shared/use-cases/ingest-predictions';
import { recordingLog } from '../helpers/logs';

describe('local predictions bus (PutEvents)', () => {
  let bus: Awaited<ReturnType<typeof startLocalBus>>;
  const routed: Delivery[] = [];
  let client: EventBridgeClient;
  beforeAll(async () => {
    bus = await startLocalBus(0, (events) => routed.push(...events));
    client = new EventBridgeClient({
      endpoint: bus.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
  });
  afterAll(async () => {
    client.destroy();
    await bus.close();
  });

  it('routes ModelPrediction events as EventBridge envelopes the ingest parser accepts', async () => {
    const reporter = new PredictionReporter({ client, eventBusName: 'local-predictions' });
    const r = await reporter.report([
      { model: 'm1', score: 0.4, predictionId: 'p1' },
      { model: 'm1', score: 0.6, timestamp: '2026-11-24T05:00:00Z', outcome: 1 },
    ]);
    expect(r.failed).toEqual([]);
    expect(routed).toHaveLength(2);
    const parsed = routed.map((d) =>
      parsePredictionEvent(JSON.parse(d.body), Date.parse('2026-11-24T06:00:00Z'), 40),
    );
    expect(parsed[1]).toMatchObject({
      ok: true,
      prediction: { model: 'm1', score: 0.6, outcome: 1, ts: Date.parse('2026-11-24T05:00:00Z') },
    });
    expect(JSON.parse(routed[0]!.body)).toMatchObject({
      'detail-type': 'ModelPrediction',
      source: 'ml.predictions',
      detail: { predictionId: 'p1' },
    });
  });

  it('answers MalformedDetail per entry and routes nothing else', async () => {
    routed.length = 0;
    const out = await client.send(
      new PutEventsCommand({
        Entries: [
          { Source: 's', DetailType: 'ModelPrediction', Detail: '{oops' },
          { Source: 's', DetailType: 'SomethingElse', Detail: '{}' },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries?.[0]).toEqual({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
    expect(out.Entries?.[1]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(routed).toEqual([]);
  });
});

describe('local drift options and helpers', () => {
  it('simulation defaults: check every 20 s, windows 1 min vs 3 min, a fresh model name', () => {
    const base = { 'simulate-rate': 20, 'shift-after': 120_000, 'mail-port': 0, 'bus-port': 0 };
    const sim = driftOptionsOf({ ...base, 'simulate-predictions': true });
    expect(sim).toMatchObject({
      checkEveryMs: 20_000,
      windowsOverride: { recentMs: 60_000, baselineMs: 180_000 },
      simulate: {
        ratePerSecond: 20,
        shiftAfterMs: 120_000,
        model: expect.stringMatching(/^sim-churn-\d{6}$/),
      },
    });
    const plain = driftOptionsOf({ ...base, 'simulate-predictions': false });
    expect(plain).toEqual({ checkEveryMs: 3_600_000, windowsOverride: {}, mailPort: 0, busPort: 0 });
  });

  it('quietRepeats drops a line repeated within the window', () => {
    const log = recordingLog();
    let now = 0;
    const quiet = quietRepeats(log, 1000, () => now);
    quiet.error('same');
    quiet.error('same');
    now = 1500;
    quiet.error('same');
    quiet.info('other');
    expect(log.lines.map((l) => l.message)).toEqual(['same', 'same', 'other']);
  });
});

describe('send-predictions CLI', () => {
  const opts = { local: true, 'data-dir': '.local', count: 4, mean: 0.3, sd: 0, labels: false, seed: 1 };

  it('generates scores with ids, optional outcomes, and timestamps spread over the window', () => {
    const now = Date.parse('2026-11-24T06:00:00Z');
    const p = predictionsOf({ ...opts, model: 'm', spread: '4h' }, now);
    expect(p.map((x) => x.timestamp)).toEqual([
      '2026-11-24T02:30:00.000Z',
      '2026-11-24T03:30:00.000Z',
      '2026-11-24T04:30:00.000Z',
      '2026-11-24T05:30:00.000Z',
    ]);
    expect(p.every((x) => x.score === 0.3 && x.predictionId?.startsWith('cli-1-'))).toBe(true);
    expect(
      predictionsOf({ ...opts, model: 'm', labels: true }, now).every((x) => typeof x.outcome === 'boolean'),
    ).toBe(true);
  });

  it('reads a JSON-lines file, naming the first bad line', () => {
    const read = () => '{"model":"m","score":0.5}\n\n{"model":"m","score":"x"}\n';
    expect(() => predictionsOf({ ...opts, file: 'p.jsonl' }, 0, read)).toThrow(ValidationError);
    expect(() => predictionsOf({ ...opts, file: 'p.jsonl' }, 0, read)).toThrow(
      /^p\.jsonl:3 is not a prediction: score: /,
    );
    expect(predictionsOf({ ...opts, file: 'p.jsonl' }, 0, () => '{"model":"m","score":0.5}\n')).toEqual([
      { model: 'm', score: 0.5 },
    ]);
  });

  it('train-drift progress: plain lines when stderr is not a terminal, a bar when it is', () => {
    const out: string[] = [];
    const plain = progressBar((t) => out.push(t), false);
    plain({ stage: 'load', done: 1, total: 2 });
    plain({ stage: 'load', done: 2, total: 2 });
    expect(out).toEqual(['  load: 2/2 done\n']);
    const bar: string[] = [];
    progressBar((t) => bar.push(t), true)({ stage: 'train', done: 1, total: 2 });
    expect(bar[0]).toBe(`\r  train [${'#'.repeat(15)}${'.'.repeat(15)}]  50%  1/2`);
  });
});
