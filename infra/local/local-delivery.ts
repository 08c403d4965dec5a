// (local stack) what PagerDuty, a webhook and Slack/Teams would receive, without leaving the machine:
// a receiver on loopback that plays the PagerDuty Events API and a webhook endpoint (it verifies each
// signature as docs/alerting.md tells a real receiver to), and a publisher that, after the console
// publisher, runs the real delivery use case against it and prints the chat notification. Also the
// "pause a series" switch that lets a person watch a NO_DATA alert raise and resolve.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FetchHttpPoster } from '../../shared/adapters/fetch-http-poster';
import type { Destination, SecretRef } from '../../shared/config/alert-delivery';
import type { NoDataRule } from '../../shared/config/no-data';
import {
  chatNotificationOf,
  readAlertNotice,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
} from '../../shared/domain/alert-delivery';
import { type NoDataDefaults, noDataRuleOf } from '../../shared/domain/no-data';
import type { SeriesSpec } from '../../shared/domain/types';
import { messageOf } from '../../shared/errors';
import type { AlertPublisher, Clock, Log, MetricSource, SecretReader } from '../../shared/ports';
import { deliverAlert } from '../../shared/use-cases/deliver-alert';

/** One request the local receiver got. */
export interface ReceivedDelivery {
  readonly at: string;
  readonly kind: 'pagerduty' | 'webhook';
  /** Webhooks: whether the signature and timestamp verified. */
  readonly signatureValid?: boolean;
  readonly body: unknown;
}

/** A running local receiver. */
export interface LocalReceiver {
  /** GET: the received deliveries as JSON, newest first. */
  readonly url: string;
  readonly pagerDutyUrl: string;
  readonly webhookUrl: string;
  /** The webhook signing secret the local delivery uses (printed so a person can verify by hand). */
  readonly signingSecret: string;
  readonly received: readonly ReceivedDelivery[];
  close(): Promise<void>;
}

const PAGERDUTY_PATH = '/pagerduty/v2/enqueue';
const WEBHOOK_PATH = '/webhook';

/** Start the receiver on 127.0.0.1 (`port` 0 = any free port). */
export async function startLocalReceiver(options: {
  readonly port: number;
  readonly print: (line: string) => void;
  readonly clock: Clock;
}): Promise<LocalReceiver> {
  const signingSecret = randomBytes(24).toString('base64url');
  const received: ReceivedDelivery[] = [];
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/' || req.url === '')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(received, null, 2));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        res.writeHead(400).end('{"status":"invalid event"}');
        return;
      }
      const at = new Date(options.clock.now()).toISOString();
      if (req.method === 'POST' && req.url === PAGERDUTY_PATH) {
        received.unshift({ at, kind: 'pagerduty', body });
        const e = body as { event_action?: string; dedup_key?: string; payload?: { summary?: string } };
        options.print(
          `📟 PagerDuty would get: ${e.event_action} dedup_key=${e.dedup_key}${e.payload?.summary ? ` "${e.payload.summary}"` : ''}`,
        );
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'success', dedup_key: e.dedup_key }));
      } else if (req.method === 'POST' && req.url === WEBHOOK_PATH) {
        const valid = verify(
          signingSecret,
          req.headers[TIMESTAMP_HEADER],
          req.headers[SIGNATURE_HEADER],
          raw,
          options.clock.now(),
        );
        received.unshift({ at, kind: 'webhook', signatureValid: valid, body });
        const w = body as { event?: string; dedupKey?: string };
        options.print(
          `🔗 Webhook got: ${w.event} dedupKey=${w.dedupKey}, signature ${valid ? 'valid' : 'INVALID'}`,
        );
        res.writeHead(valid ? 200 : 401).end();
      } else {
        res.writeHead(404).end();
      }
      received.length = Math.min(received.length, 200);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', resolve);
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/`,
    pagerDutyUrl: `${base}${PAGERDUTY_PATH}`,
    webhookUrl: `${base}${WEBHOOK_PATH}`,
    signingSecret,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The receiver-side check of docs/alerting.md: HMAC over "timestamp.body", at most 5 minutes old. */
function verify(secret: string, timestamp: unknown, signature: unknown, raw: string, now: number): boolean {
  if (typeof timestamp !== 'string' || typeof signature !== 'string') return false;
  const expected = `v1=${createHmac('sha256', secret).update(`${timestamp}.${raw}`).digest('hex')}`;
  const fresh = Math.abs(now / 1000 - Number(timestamp)) <= 300;
  return (
    fresh &&
    expected.length === signature.length &&
    timingSafeEqual(Buffer.from(expected), Buffer.from(signature))
  );
}

/**
 * A publisher that publishes through `inner` (the console), then delivers the same notice, as SNS
 * would carry it, to the local PagerDuty and webhook endpoints through the real delivery use case, and
 * prints the chat notification Slack/Teams would show. Delivery failures are logged, never thrown: the
 * alert itself was published.
 */
export function localDeliveryPublisher(
  inner: AlertPublisher,
  receiver: LocalReceiver,
  deps: { readonly clock: Clock; readonly log: Log; readonly print: (line: string) => void },
): AlertPublisher {
  const routingKey: SecretRef = { ssmParameter: '/local/pagerduty-routing-key' };
  const signing: SecretRef = { ssmParameter: '/local/webhook-signing-secret' };
  const values = new Map([
    [routingKey.ssmParameter, 'local-routing-key'],
    [signing.ssmParameter, receiver.signingSecret],
  ]);
  const secrets: SecretReader = {
    read: async (ref) => ('ssmParameter' in ref ? values.get(ref.ssmParameter) : undefined) ?? '',
  };
  const destinations: Destination[] = [
    { kind: 'pagerduty', name: 'local-pagerduty', routingKey, eventsUrl: receiver.pagerDutyUrl },
    { kind: 'webhook', name: 'local-webhook', url: receiver.webhookUrl, signingSecret: signing },
  ];
  const delivery = {
    secrets,
    http: new FetchHttpPoster({ timeoutMs: 5000 }),
    clock: deps.clock,
    log: deps.log,
    attempts: 2,
  };
  return {
    publish: async (message) => {
      const published = await inner.publish(message);
      const notification = {
        subject: message.subject,
        message: JSON.stringify(message.body),
        messageId: published.messageId,
      };
      for (const destination of destinations) {
        await deliverAlert(delivery, destination, notification).catch((error: unknown) =>
          deps.log.error(`Local delivery to ${destination.name} failed`, { error: messageOf(error) }),
        );
      }
      const read = readAlertNotice(notification);
      if (read.ok) {
        const chat = chatNotificationOf(read.notice);
        deps.print(`💬 Slack/Teams would show: ${chat.content.title}\n${indent(chat.content.description)}`);
      }
      return published;
    },
  };
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `   ${line}`)
    .join('\n');
}

/**
 * A source that drops the points of the series named (label or id, one per line) in `file`, read on
 * every fetch: add a line to stop a series (NO_DATA after its rule's time), remove it to bring it back.
 */
export function pausableSource(source: MetricSource, file: string): MetricSource {
  return {
    fetch: async (series, start, end) => {
      const paused = existsSync(file)
        ? new Set(
            readFileSync(file, 'utf8')
              .split('\n')
              .map((l) => l.trim())
              .filter(Boolean),
          )
        : new Set<string>();
      if (paused.size === 0) return source.fetch(series, start, end);
      return source.fetch(
        series.filter((s) => !paused.has(s.id) && !paused.has(s.label)),
        start,
        end,
      );
    },
  };
}

/**
 * No-data rules of the local series: `--no-data-after` for every series (WARNING) when given, else the
 * config's per-metric and default rules (local series are never sparse).
 */
export function localNoDataRules(
  series: readonly SeriesSpec[],
  defaults: NoDataDefaults,
  afterMs: number | undefined,
): Map<string, NoDataRule> {
  const out = new Map<string, NoDataRule>();
  for (const s of series) {
    const rule =
      afterMs !== undefined
        ? { afterMinutes: Math.max(1, Math.round(afterMs / 60_000)), severity: 'WARNING' as const }
        : noDataRuleOf({ id: s.id, metric: s.metric, sparse: false }, defaults);
    if (rule) out.set(s.id, rule);
  }
  return out;
}
