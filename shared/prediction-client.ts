// (producer helper) a tiny, typed way for ML services to report predictions to the monitor. Copy this
// file (and shared/domain/predictions.ts) into the service, or import it. Batches PutEvents (≤ 10 per
// call) and returns the entries EventBridge rejected instead of dropping them.
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { PREDICTION_DETAIL_TYPE, type PredictionDetail, PredictionDetailSchema } from './domain/predictions';
import { ValidationError } from './errors';
import { formatIssues } from './monitor-config';

/** Settings of the prediction reporter. */
export interface PredictionReporterOptions {
  readonly client: EventBridgeClient;
  /** Name or ARN of the monitor's event bus (a CDK output). */
  readonly eventBusName: string;
  /** Event `source`. @default 'ml.predictions' */
  readonly source?: string;
}

/** Sends ModelPrediction events. */
export class PredictionReporter {
  public constructor(private readonly options: PredictionReporterOptions) {}

  /**
   * Validate and send predictions.
   * @returns the predictions EventBridge did not accept, with its error code (retry them)
   * @throws ValidationError naming the first invalid prediction's fields (nothing is sent)
   */
  public async report(
    predictions: readonly PredictionDetail[],
  ): Promise<{ failed: { prediction: PredictionDetail; error: string }[] }> {
    predictions.forEach((p, i) => {
      const parsed = PredictionDetailSchema.safeParse(p);
      if (!parsed.success) throw new ValidationError(`Invalid prediction #${i}`, formatIssues(parsed.error));
    });
    const failed: { prediction: PredictionDetail; error: string }[] = [];
    for (let i = 0; i < predictions.length; i += 10) {
      const batch = predictions.slice(i, i + 10);
      const entries: PutEventsRequestEntry[] = batch.map((p) => ({
        EventBusName: this.options.eventBusName,
        Source: this.options.source ?? 'ml.predictions',
        DetailType: PREDICTION_DETAIL_TYPE,
        Detail: JSON.stringify(p),
        ...(p.timestamp ? { Time: new Date(p.timestamp) } : {}),
      }));
      try {
        const out = await this.options.client.send(new PutEventsCommand({ Entries: entries }));
        out.Entries?.forEach((e, j) => {
          if (e.ErrorCode)
            failed.push({ prediction: batch[j]!, error: `${e.ErrorCode}: ${e.ErrorMessage ?? ''}` });
        });
      } catch (error) {
        for (const prediction of batch) failed.push({ prediction, error: (error as Error).message });
      }
    }
    return { failed };
  }
}
