// adapter --> (use case) --> domain: validate ModelPrediction events and store the good ones per model
// and day; park the bad ones with their reason.

import type { IngestedPrediction } from '../domain/prediction-set';
import { parsePredictionEvent } from '../domain/predictions';
import type { Clock, Log, PredictionStore, RejectedEvent, RejectSink } from '../ports';

/** What ingest needs. */
export interface IngestDeps {
  readonly store: PredictionStore;
  readonly rejects: RejectSink;
  readonly clock: Clock;
  readonly log: Log;
  /** Predictions older than this are rejected (they would expire at once). */
  readonly retentionDays: number;
}

/** One delivered event: the delivery id and its body (JSON text, as SQS hands it over). */
export interface Delivery {
  readonly id: string;
  readonly body: string;
}

/** What one ingest did; every delivery is accepted, rejected, or failed (to be retried). */
export interface IngestResult {
  readonly received: number;
  readonly stored: number;
  readonly rejected: number;
  /** Rejection reasons, first 20. */
  readonly reasons: readonly string[];
  /** Deliveries that could not be stored or parked: the caller reports them for retry. */
  readonly failedIds: readonly string[];
}

/**
 * Ingest prediction events.
 * 1. Parse each body (JSON) and validate the envelope and detail (zod); time within the retention.
 * 2. Park invalid events with their reason (RejectSink).
 * 3. Store the valid ones per model and day (PredictionStore; chunked, idempotent per batch).
 * 4. Return the deliveries that failed either step, so only they are retried.
 */
export async function ingestPredictions(
  deps: IngestDeps,
  deliveries: readonly Delivery[],
): Promise<IngestResult> {
  const now = deps.clock.now();
  const accepted: { id: string; prediction: IngestedPrediction }[] = [];
  const rejected: RejectedEvent[] = [];
  for (const d of deliveries) {
    let raw: unknown;
    try {
      raw = JSON.parse(d.body);
    } catch {
      rejected.push({
        id: d.id,
        body: d.body,
        reason: 'Invalid ModelPrediction event: body is not JSON',
        issues: ['(root): not JSON'],
      });
      continue;
    }
    const parsed = parsePredictionEvent(raw, now, deps.retentionDays);
    if (parsed.ok) accepted.push({ id: d.id, prediction: parsed.prediction });
    else rejected.push({ id: d.id, body: d.body, reason: parsed.reason, issues: parsed.issues });
  }
  const failedIds = new Set<string>();
  if (rejected.length > 0) {
    deps.log.warn('Rejected invalid prediction events', {
      count: rejected.length,
      reasons: rejected.slice(0, 5).map((r) => r.reason),
    });
    for (const id of await deps.rejects.reject(rejected)) failedIds.add(id);
  }
  if (accepted.length > 0) {
    const write = await deps.store.append(
      accepted.map((a) => a.prediction),
      now,
    );
    if (write.failed.length > 0) {
      const failed = new Set(write.failed);
      for (const a of accepted) if (failed.has(a.prediction)) failedIds.add(a.id);
      deps.log.error('Predictions not stored after retries; their deliveries will be retried', {
        failed: write.failed.length,
      });
    }
  }
  return {
    received: deliveries.length,
    stored: accepted.filter((a) => !failedIds.has(a.id)).length,
    rejected: rejected.length,
    reasons: rejected.slice(0, 20).map((r) => r.reason),
    failedIds: [...failedIds],
  };
}
