// (domain) the ModelPrediction event contract: what ML services send to the monitor's EventBridge bus
// (`detail-type: "ModelPrediction"`). Validated at the edge; a bad event is rejected with its reason.
import { z } from 'zod';
import { type IngestedPrediction, predictionKey } from './prediction-set';

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

/** The EventBridge envelope of a ModelPrediction event, as a rule target (SQS, Lambda) receives it. */
export const PredictionEventSchema = z.object({
  id: z.string().min(1).max(128),
  'detail-type': z.literal(PREDICTION_DETAIL_TYPE),
  source: z.string().min(1).max(256),
  time: z.iso.datetime({ offset: true }),
  detail: PredictionDetailSchema,
});

/** A prediction accepted at the edge. */
export interface AcceptedPrediction {
  readonly ok: true;
  readonly prediction: IngestedPrediction;
}

/** A prediction rejected at the edge, with the reason a producer can act on. */
export interface RejectedPrediction {
  readonly ok: false;
  /** One line: what is wrong. */
  readonly reason: string;
  /** Each bad field, `path: message`. */
  readonly issues: readonly string[];
}

const MAX_AHEAD_MS = 5 * 60_000;

/**
 * Validate one ModelPrediction event (the whole EventBridge envelope). The prediction's time is
 * `detail.timestamp`, else the event's `time`; it must not be more than 5 minutes in the future nor
 * older than the retention (it would expire at once).
 *
 * @param raw - the parsed event
 * @param now - epoch ms
 * @param retentionDays - how long predictions are kept
 */
export function parsePredictionEvent(
  raw: unknown,
  now: number,
  retentionDays: number,
): AcceptedPrediction | RejectedPrediction {
  const parsed = PredictionEventSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
      return `${path}: ${issue.message}`;
    });
    return { ok: false, reason: `Invalid ModelPrediction event: ${issues.join('; ')}`, issues };
  }
  const event = parsed.data;
  const ts = Date.parse(event.detail.timestamp ?? event.time);
  const field = event.detail.timestamp !== undefined ? 'detail.timestamp' : 'time';
  if (ts > now + MAX_AHEAD_MS) {
    const issue = `${field}: ${new Date(ts).toISOString()} is in the future (more than 5 minutes ahead)`;
    return { ok: false, reason: `Invalid ModelPrediction event: ${issue}`, issues: [issue] };
  }
  if (ts < now - retentionDays * 86_400_000) {
    const issue = `${field}: ${new Date(ts).toISOString()} is older than the ${retentionDays}-day retention`;
    return { ok: false, reason: `Invalid ModelPrediction event: ${issue}`, issues: [issue] };
  }
  const { model, score, outcome, predictionId } = event.detail;
  return {
    ok: true,
    prediction: {
      model,
      ts,
      score,
      ...(outcome !== undefined ? { outcome } : {}),
      key: predictionKey(model, predictionId, event.id),
    },
  };
}
