// (domain) the ModelPrediction event contract: what ML services send to the monitor's EventBridge bus
// (`detail-type: "ModelPrediction"`). Validated at the edge; a bad event is rejected with its reason.
import { z } from 'zod';

/** EventBridge `detail-type` of prediction events. */
export const PREDICTION_DETAIL_TYPE = 'ModelPrediction';

/** Model names: lowercase, digits, `-`, `_`, `.`; they become DynamoDB key parts and S3 prefixes. */
export const MODEL_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** The `detail` of a ModelPrediction event. */
export const PredictionDetailSchema = z.strictObject({
  /** The model that predicted, e.g. `churn-v3`. */
  model: z.string().regex(MODEL_NAME, 'must be 1-64 lowercase letters, digits, . _ or -'),
  /** The prediction's score (probability, regression output...). */
  score: z.number().finite(),
  /** The true outcome when known (label for classifiers, value for regressors). */
  outcome: z.union([z.number().finite(), z.boolean(), z.string().max(64)]).optional(),
  /** Producer's id, makes re-sends idempotent. */
  predictionId: z.string().min(1).max(128).optional(),
  /** When the prediction was made (ISO 8601); defaults to the event's time. */
  timestamp: z.iso.datetime({ offset: true }).optional(),
});

/** A validated prediction. */
export type PredictionDetail = z.output<typeof PredictionDetailSchema>;
