// adapter --> (use case) --> domain: turn an alert notice from the NOC topic into an AWS Chatbot custom
// notification and publish it on the chat topic the Slack and Teams channels subscribe to. A failed
// publish is thrown: Lambda retries the invocation, then parks it in the alarmed dead-letter queue.
import { chatNotificationOf, readAlertNotice } from '../domain/alert-delivery';
import type { AlertPublisher, Log } from '../ports';
import type { SnsNotification } from './deliver-alert';

/** What the relay needs. */
export interface RelayDeps {
  /** The chat topic. */
  readonly chat: AlertPublisher;
  readonly log: Log;
}

/** What one relay did. */
export type RelayOutcome =
  | { readonly status: 'relayed'; readonly messageId: string; readonly threadId: string }
  | { readonly status: 'skipped'; readonly reason: string };

/**
 * Relay a notice.
 * 1. Validate it as an ALERT or RESOLVED notice (anything else is skipped and logged).
 * 2. Build the custom notification (title = subject, description = explanations, range, dashboard).
 * 3. Publish it, as the whole message body, on the chat topic.
 * @throws DependencyError when the chat topic refuses it
 */
export async function relayToChat(deps: RelayDeps, notification: SnsNotification): Promise<RelayOutcome> {
  const read = readAlertNotice(notification);
  if (!read.ok) {
    deps.log.warn('Not an alert notice; nothing relayed to chat', { reason: read.reason });
    return { status: 'skipped', reason: read.reason };
  }
  const chat = chatNotificationOf(read.notice);
  const { messageId } = await deps.chat.publish({
    subject: read.notice.subject,
    body: chat as unknown as Record<string, unknown>,
    attributes: {},
  });
  deps.log.info(`Relayed to chat: ${read.notice.subject}`, { messageId, threadId: chat.metadata.threadId });
  return { status: 'relayed', messageId, threadId: chat.metadata.threadId };
}
