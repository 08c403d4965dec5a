// adapter --> (use case) --> domain: deliver one alert notice from the topic to one destination —
// PagerDuty Events API v2 (ALERT → trigger, RESOLVED → resolve, same dedup_key) or a signed webhook —
// with the destination's key read at run time, retrying rate limits, server errors and network faults
// with backoff. What still fails is thrown: Lambda retries the invocation, then parks it in the
// destination's alarmed dead-letter queue.

import { backoffDelay, sleep } from '../adapters/retry';
import type { Destination } from '../config/alert-delivery';
import {
  deliveryKeyOf,
  isRetryableStatus,
  pagerDutyEventOf,
  readAlertNotice,
  type SignedRequest,
  signedWebhookRequest,
} from '../domain/alert-delivery';
import { DeliveryError, DependencyError, messageOf } from '../errors';
import type { Clock, HttpPoster, Log, SecretReader } from '../ports';

/** What delivery needs. */
export interface DeliverDeps {
  readonly secrets: SecretReader;
  readonly http: HttpPoster;
  readonly clock: Clock;
  readonly log: Log;
  /** Attempts per notice, the first included. @default 4 */
  readonly attempts?: number;
  /** First backoff cap in ms (doubles per retry, full jitter). @default 500 */
  readonly baseDelayMs?: number;
  /** Longest backoff in ms. @default 8000 */
  readonly maxDelayMs?: number;
  /**
   * Where a notice the destination refused (4xx other than 408/429) is parked at once, instead of
   * failing the invocation (which Lambda would retry twice for nothing). @default none: thrown
   */
  readonly refused?: RefusedSink;
  /** Injected for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** Parks a refused notice (the function's dead-letter queue in AWS). */
export interface RefusedSink {
  park(notification: SnsNotification, reason: string): Promise<void>;
}

/** The notification as SNS delivered it. */
export interface SnsNotification {
  readonly subject?: string | null;
  readonly message: string;
  readonly messageId: string;
}

/** What one delivery did. */
export type DeliverOutcome =
  | {
      readonly status: 'delivered';
      readonly event: 'trigger' | 'resolve';
      readonly dedupKey: string;
      readonly attempts: number;
      readonly httpStatus: number;
    }
  /** Not an alert notice (the topic also carries CloudWatch alarm notifications): nothing to send. */
  | { readonly status: 'skipped'; readonly reason: string }
  /** The destination refused it (4xx): parked in `refused`, not retried. */
  | { readonly status: 'refused'; readonly reason: string; readonly httpStatus: number };

/**
 * Deliver a notice.
 * 1. Validate it as an ALERT or RESOLVED notice; anything else is skipped (and logged).
 * 2. Read the destination's secret (cached by the reader).
 * 3. Build the request: the PagerDuty event, or the webhook body signed at send time.
 * 4. POST; 2xx is done. 408, 429, 5xx and network faults are retried with backoff; other 4xx are not:
 *    the notice is parked in `refused` at once (thrown when there is none).
 * @throws DeliveryError when the destination kept failing, or refused it and it could not be parked
 */
export async function deliverAlert(
  deps: DeliverDeps,
  destination: Destination,
  notification: SnsNotification,
): Promise<DeliverOutcome> {
  const read = readAlertNotice(notification);
  if (!read.ok) {
    deps.log.warn('Not an alert notice; nothing delivered', {
      destination: destination.name,
      reason: read.reason,
    });
    return { status: 'skipped', reason: read.reason };
  }
  const notice = read.notice;
  const event = notice.body.type === 'RESOLVED' ? 'resolve' : 'trigger';
  const dedupKey = deliveryKeyOf(notice);
  let secret: string;
  try {
    secret = await deps.secrets.read(
      destination.kind === 'pagerduty' ? destination.routingKey : destination.signingSecret,
    );
  } catch (error) {
    throw new DeliveryError(`${destination.name}: secret not readable: ${messageOf(error)}`, true, {
      cause: error,
    });
  }
  const url = destination.kind === 'pagerduty' ? destination.eventsUrl : destination.url;
  const request = (): SignedRequest =>
    destination.kind === 'pagerduty'
      ? {
          body: JSON.stringify(pagerDutyEventOf(notice, secret)),
          headers: { 'content-type': 'application/json' },
        }
      : signedWebhookRequest(notice, secret, deps.clock.now());

  const attempts = deps.attempts ?? 4;
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) {
      await (deps.sleep ?? sleep)(
        backoffDelay(attempt - 1, {
          baseMs: deps.baseDelayMs ?? 500,
          maxMs: deps.maxDelayMs ?? 8000,
          ...(deps.random ? { random: deps.random } : {}),
        }),
      );
    }
    const { body, headers } = request();
    let status: number;
    let answer: string;
    try {
      ({ status, body: answer } = await deps.http.post(url, body, headers));
    } catch (error) {
      if (!(error instanceof DependencyError)) throw error;
      last = messageOf(error);
      deps.log.warn('Delivery attempt failed (network)', {
        destination: destination.name,
        attempt,
        error: last,
      });
      continue;
    }
    if (status >= 200 && status < 300) {
      deps.log.info(`Delivered ${event} to ${destination.name}`, { dedupKey, attempt, status });
      return { status: 'delivered', event, dedupKey, attempts: attempt, httpStatus: status };
    }
    last = `HTTP ${status}: ${answer.slice(0, 300)}`;
    if (!isRetryableStatus(status)) {
      const reason = `${destination.name} refused ${event} ${dedupKey}: ${last}`;
      deps.log.error('Destination refused the alert; not retried', {
        destination: destination.name,
        dedupKey,
        error: last,
      });
      if (!deps.refused) throw new DeliveryError(reason, false);
      try {
        await deps.refused.park(notification, reason);
      } catch (error) {
        throw new DeliveryError(`${reason} (and parking it failed: ${messageOf(error)})`, false, {
          cause: error,
        });
      }
      return { status: 'refused', reason, httpStatus: status };
    }
    deps.log.warn('Delivery attempt failed', { destination: destination.name, attempt, error: last });
  }
  throw new DeliveryError(
    `${destination.name}: ${event} ${dedupKey} not delivered after ${attempts} attempts: ${last}`,
    true,
  );
}
