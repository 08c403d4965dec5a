import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { PredictionDetailSchema } from '../../shared/domain/predictions';
import { ValidationError } from '../../shared/errors';
import { PredictionReporter } from '../../shared/prediction-client';

const eb = mockClient(EventBridgeClient);
beforeEach(() => eb.reset());

const reporter = () =>
  new PredictionReporter({
    client: new EventBridgeClient({ region: 'us-east-1' }),
    eventBusName: 'drift-sentinel',
  });

describe('PredictionReporter', () => {
  it('sends exact PutEvents batches of at most 10 and returns what EventBridge rejected', async () => {
    eb.on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }],
      })
      .resolves({ FailedEntryCount: 0, Entries: [] });
    const predictions = Array.from({ length: 12 }, (_, i) => ({
      model: 'churn-v3',
      score: i / 12,
      predictionId: `p${i}`,
    }));
    const r = await reporter().report(predictions);
    const calls = eb.commandCalls(PutEventsCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 2]);
    expect(calls[0]!.args[0].input.Entries![0]).toEqual({
      EventBusName: 'drift-sentinel',
      Source: 'ml.predictions',
      DetailType: 'ModelPrediction',
      Detail: JSON.stringify({ model: 'churn-v3', score: 0, predictionId: 'p0' }),
    });
    expect(r.failed).toEqual([{ prediction: predictions[1], error: 'ThrottlingException: slow down' }]);
  });

  it('rejects an invalid prediction naming the field, and sends nothing', async () => {
    await expect(reporter().report([{ model: 'Churn V3', score: Number.NaN }])).rejects.toThrow(
      ValidationError,
    );
    try {
      await reporter().report([{ model: 'ok', score: Number.NaN }]);
    } catch (error) {
      expect((error as ValidationError).issues[0]).toMatch(/^score: /);
    }
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('accepts outcomes and producer timestamps; refuses unknown fields', () => {
    expect(
      PredictionDetailSchema.safeParse({
        model: 'm',
        score: 0.7,
        outcome: true,
        timestamp: '2026-11-24T10:00:00Z',
      }).success,
    ).toBe(true);
    expect(PredictionDetailSchema.safeParse({ model: 'm', score: 0.7, extra: 1 }).success).toBe(false);
  });
});
