// (domain) alert delivery, pure: read an alert notification as the topic carries it, map it to a
// PagerDuty Events API v2 event or a signed webhook request, and build the SNS subscription filter
// policy that routes only some levels or tags to a destination. No I/O: the use case sends.
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { ALERT_TYPE } from './alert-message';
import { LEVELS } from './alerting';
import type { AlertLevel } from './types';

/** Message attribute carrying the alert's level on ALERT and RESOLVED notices (filter policies). */
export const LEVEL_ATTRIBUTE = 'level';
/** String.Array message attribute: the `key=value` tags of every series the message covers. */
export const TAGS_ATTRIBUTE = 'tags';

/** Header with the signing time, Unix seconds. */
export const TIMESTAMP_HEADER = 'x-drift-sentinel-timestamp';
/** Header with `v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>`. */
export const SIGNATURE_HEADER = 'x-drift-sentinel-signature';
/** Header with the SNS message id: the same notice retried has the same id (receiver-side dedup). */
export const DELIVERY_HEADER = 'x-drift-sentinel-delivery';

const level = z.enum(['INFO', 'WARNING', 'CRITICAL']);
const anomalyEntry = z.looseObject({
  dedupKey: z.string(),
  series: z.string(),
  label: z.string(),
  metric: z.string(),
  severity: level,
  explanation: z.string(),
  time: z.string(),
  kind: z.enum(['ANOMALY', 'NO_DATA']).optional(),
  expectedRange: z.tuple([z.number().nullable(), z.number().nullable()]).optional(),
  value: z.number().nullable().optional(),
});

/** The ALERT notice body (shared/domain/alert-message.ts buildAlertMessage). */
const alertBody = z.looseObject({
  type: z.literal('ALERT'),
  alertId: z.string().min(1),
  severity: level,
  group: z.string(),
  sentAt: z.string(),
  anomalies: z.array(anomalyEntry).min(1),
  dashboard: z.string().optional(),
});

/** The RESOLVED notice body (buildResolvedMessage). */
const resolvedBody = z.looseObject({
  type: z.literal('RESOLVED'),
  alertId: z.string().min(1),
  series: z.array(z.looseObject({ series: z.string(), label: z.string(), dedupKey: z.string() })).min(1),
  openedAt: z.string(),
  resolvedAt: z.string(),
  dashboard: z.string().optional(),
});

const noticeBody = z.discriminatedUnion('type', [alertBody, resolvedBody]);

/** An alert notice as delivered: what SNS carried, validated. */
export interface AlertNotice {
  readonly subject: string;
  readonly body: z.output<typeof noticeBody>;
  /** The exact JSON text SNS carried (what a webhook receives as `alert`, unchanged). */
  readonly raw: string;
  readonly messageId: string;
}

/** Outcome of reading a notice: it, or the reason it is not one of ours (a CloudWatch alarm, say). */
export type ReadNotice =
  | { readonly ok: true; readonly notice: AlertNotice }
  | { readonly ok: false; readonly reason: string };

/**
 * Validate an SNS notification as an alert notice.
 * @param sns - Subject, Message (JSON text) and MessageId of the notification
 */
export function readAlertNotice(sns: {
  subject?: string | null;
  message: string;
  messageId: string;
}): ReadNotice {
  let parsed: unknown;
  try {
    parsed = JSON.parse(sns.message);
  } catch {
    return { ok: false, reason: 'message is not JSON' };
  }
  const result = noticeBody.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    return {
      ok: false,
      reason: `not an alert notice: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    };
  }
  return {
    ok: true,
    notice: { subject: sns.subject ?? '', body: result.data, raw: sns.message, messageId: sns.messageId },
  };
}

/**
 * The key that ties a trigger to its resolve at PagerDuty and in webhook receivers: the alert id,
 * which both notices of one page carry (the id of the alert group: its first anomaly's dedup key and
 * time, see alertIdOf). A re-sent notice of the same page has the same key, so it updates, not re-pages.
 */
export function deliveryKeyOf(notice: AlertNotice): string {
  return notice.body.alertId;
}

/** PagerDuty's severities for ours. */
const PD_SEVERITY: Readonly<Record<AlertLevel, 'critical' | 'warning' | 'info'>> = {
  CRITICAL: 'critical',
  WARNING: 'warning',
  INFO: 'info',
};

/** A PagerDuty Events API v2 event (https://developer.pagerduty.com/api-reference/368ae3d938c9e-send-an-event-to-pager-duty). */
export interface PagerDutyEvent {
  readonly routing_key: string;
  readonly event_action: 'trigger' | 'resolve';
  readonly dedup_key: string;
  readonly payload?: {
    readonly summary: string;
    readonly source: string;
    readonly severity: 'critical' | 'error' | 'warning' | 'info';
    readonly timestamp: string;
    readonly component: string;
    readonly group: string;
    readonly class: string;
    readonly custom_details: Record<string, unknown>;
  };
  readonly client?: string;
  readonly client_url?: string;
  readonly links?: readonly { readonly href: string; readonly text: string }[];
}

/** ALERT → `trigger` with the alert's summary and details; RESOLVED → `resolve` of the same key. */
export function pagerDutyEventOf(notice: AlertNotice, routingKey: string): PagerDutyEvent {
  const body = notice.body;
  const dedupKey = deliveryKeyOf(notice);
  if (body.type === 'RESOLVED')
    return { routing_key: routingKey, event_action: 'resolve', dedup_key: dedupKey };
  const top = body.anomalies[0]!;
  const dashboard = body.dashboard;
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: dedupKey,
    payload: {
      summary: truncate(notice.subject, 1024),
      source: truncate(body.group, 255),
      severity: PD_SEVERITY[body.severity],
      timestamp: top.time,
      component: top.label,
      group: body.group,
      class: top.kind === 'NO_DATA' ? 'no_data' : top.metric,
      custom_details: {
        alertId: body.alertId,
        anomalies: body.anomalies.map((a) => ({
          series: a.label,
          kind: a.kind ?? 'ANOMALY',
          severity: a.severity,
          value: a.value ?? null,
          expectedRange: a.expectedRange ?? null,
          time: a.time,
          explanation: a.explanation,
        })),
        ...(body.heldBack !== undefined ? { heldBack: body.heldBack } : {}),
      },
    },
    client: 'Drift Sentinel',
    ...(dashboard
      ? { client_url: dashboard, links: [{ href: dashboard, text: 'Drift Sentinel dashboard' }] }
      : {}),
  };
}

/** The JSON a webhook receives: the event, the stable key, the subject and the notice body unchanged. */
export interface WebhookPayload {
  readonly version: 1;
  readonly event: 'trigger' | 'resolve';
  readonly dedupKey: string;
  readonly subject: string;
  readonly alert: unknown;
}

/** A signed HTTP request: POST `body` with these headers. */
export interface SignedRequest {
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * HMAC-SHA256 signature of a webhook body: hex of HMAC(secret, `${timestamp}.${body}`). Receivers
 * recompute it over the raw body bytes and the timestamp header, compare in constant time, and reject
 * timestamps too far from their clock (replays).
 */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * The webhook request for a notice, signed at `now`.
 * @param now - epoch ms; the timestamp header is in whole seconds
 */
export function signedWebhookRequest(notice: AlertNotice, secret: string, now: number): SignedRequest {
  const payload: WebhookPayload = {
    version: 1,
    event: notice.body.type === 'RESOLVED' ? 'resolve' : 'trigger',
    dedupKey: deliveryKeyOf(notice),
    subject: notice.subject,
    alert: notice.body,
  };
  const body = JSON.stringify(payload);
  const timestamp = Math.floor(now / 1000);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      [TIMESTAMP_HEADER]: String(timestamp),
      [SIGNATURE_HEADER]: `v1=${webhookSignature(secret, timestamp, body)}`,
      [DELIVERY_HEADER]: notice.messageId,
    },
  };
}

/** Whether a failed HTTP attempt is worth repeating: rate limits, server errors and network faults. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

/** What a destination takes (config `minSeverity`, `tags`). */
export interface RouteSelector {
  readonly minSeverity: AlertLevel;
  readonly tags?: readonly string[];
}

/**
 * SNS subscription filter policy (message attributes) of a destination: only alert notices (never the
 * CloudWatch alarm notifications the topic also carries), of at least `minSeverity` — RESOLVED notices
 * carry their alert's level — and, when `tags` are given, about a series carrying one of them.
 */
export function filterPolicyOf(selector: RouteSelector): Record<string, string[]> {
  const levels = LEVELS.slice(LEVELS.indexOf(selector.minSeverity));
  return {
    alert_type: [ALERT_TYPE],
    [LEVEL_ATTRIBUTE]: [...levels],
    ...(selector.tags && selector.tags.length > 0 ? { [TAGS_ATTRIBUTE]: [...selector.tags] } : {}),
  };
}

/** `key=value` strings of a set of series tags, sorted and de-duplicated (the tags attribute). */
export function tagAttributeOf(tagSets: readonly Readonly<Record<string, string>>[]): string[] {
  const out = new Set<string>();
  for (const tags of tagSets) for (const [k, v] of Object.entries(tags)) out.add(`${k}=${v}`);
  return [...out].sort();
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

/** Most `key=value` entries the tags attribute carries (SNS attributes count towards the message size). */
export const MAX_TAG_ATTRIBUTES = 50;

/**
 * The message with its `tags` String.Array attribute: the tags of every series its body names (the
 * anomalies of an ALERT, the series of a RESOLVED), for destinations that take only some tags.
 */
export function withTagsAttribute<M extends AlertMessageLike>(
  message: M,
  tagsOf: (series: string) => Readonly<Record<string, string>> | undefined,
): M {
  const body = message.body as { anomalies?: { series?: unknown }[]; series?: { series?: unknown }[] };
  const ids = [...(body.anomalies ?? []), ...(Array.isArray(body.series) ? body.series : [])]
    .map((entry) => entry.series)
    .filter((id): id is string => typeof id === 'string');
  const tags = tagAttributeOf(ids.map((id) => tagsOf(id) ?? {})).slice(0, MAX_TAG_ATTRIBUTES);
  if (tags.length === 0) return message;
  return { ...message, arrayAttributes: { ...message.arrayAttributes, [TAGS_ATTRIBUTE]: tags } };
}

/** The part of an AlertMessage the tags helper reads. */
interface AlertMessageLike {
  readonly body: Record<string, unknown>;
  readonly arrayAttributes?: Readonly<Record<string, readonly string[]>>;
}

/** An AWS Chatbot (Amazon Q Developer in chat applications) custom notification. */
export interface ChatNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps?: readonly string[];
    readonly keywords: readonly string[];
  };
  readonly metadata: {
    /** The alert id: a RESOLVED notice lands in its alert's thread. */
    readonly threadId: string;
    readonly summary: string;
    readonly eventType: 'ALERT' | 'RESOLVED';
    readonly additionalContext: Readonly<Record<string, string>>;
  };
}

const LEVEL_MARK: Readonly<Record<AlertLevel, string>> = { CRITICAL: '🔴', WARNING: '🟠', INFO: '🔵' };
/** Anomalies listed in one chat message (the rest are counted). */
const CHAT_MAX_LISTED = 10;

/**
 * The chat message of a notice: title = the subject (marked 🔴/🟠/🔵 by level, ✅ when RESOLVED),
 * description = each anomaly's explanation and expected range, then the dashboard link.
 */
export function chatNotificationOf(notice: AlertNotice): ChatNotification {
  const body = notice.body;
  const key = deliveryKeyOf(notice);
  const dashboard = body.dashboard ? `Dashboard: ${body.dashboard}` : undefined;
  if (body.type === 'RESOLVED') {
    const labels = body.series.map((s) => s.label);
    return {
      version: '1.0',
      source: 'custom',
      id: `${key}-resolved`,
      content: {
        textType: 'client-markdown',
        title: `✅ ${notice.subject}`,
        description: [
          `Resolved: ${labels.slice(0, CHAT_MAX_LISTED).join(', ')}${labels.length > CHAT_MAX_LISTED ? ` (+${labels.length - CHAT_MAX_LISTED} more)` : ''}`,
          `Open since ${body.openedAt}, resolved at ${body.resolvedAt}.`,
          ...(dashboard ? [dashboard] : []),
        ].join('\n'),
        keywords: ['RESOLVED'],
      },
      metadata: {
        threadId: key,
        summary: notice.subject,
        eventType: 'RESOLVED',
        additionalContext: { alertId: key },
      },
    };
  }
  const lines = body.anomalies.slice(0, CHAT_MAX_LISTED).map((a) => {
    const [low, high] = a.expectedRange ?? [null, null];
    const range = low !== null && high !== null ? ` Expected range: ${low} to ${high}.` : '';
    return `• ${a.explanation}${a.kind === 'NO_DATA' ? '' : range}`;
  });
  const more = body.anomalies.length - CHAT_MAX_LISTED;
  return {
    version: '1.0',
    source: 'custom',
    id: key,
    content: {
      textType: 'client-markdown',
      title: `${LEVEL_MARK[body.severity]} ${notice.subject}`,
      description: [...lines, ...(more > 0 ? [`… and ${more} more`] : []), ...(dashboard ? [dashboard] : [])]
        .join('\n')
        .slice(0, 3000),
      ...(body.dashboard
        ? { nextSteps: [`Open ${body.dashboard} and mark false positives to tune the metric`] }
        : {}),
      keywords: [body.severity, body.group, ...(body.anomalies[0]!.kind === 'NO_DATA' ? ['NO_DATA'] : [])],
    },
    metadata: {
      threadId: key,
      summary: notice.subject,
      eventType: 'ALERT',
      additionalContext: { alertId: key, severity: body.severity },
    },
  };
}
