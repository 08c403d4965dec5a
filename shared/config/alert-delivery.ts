// (shared config) where alerts are delivered besides the SNS topic itself: PagerDuty Events API v2 and
// signed webhooks (one delivery function each), and AWS Chatbot channels (Slack, Microsoft Teams).
// Secrets are never values here: a destination names the Secrets Manager secret or SSM SecureString
// parameter that holds its key, and the delivery function reads it at run time.
import { z } from 'zod';

const alertLevel = z.enum(['INFO', 'WARNING', 'CRITICAL']);

/** Full Secrets Manager secret ARN, including the 6-character suffix Secrets Manager appends. */
const SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

/**
 * Where a secret lives. Secrets Manager: the secret's full ARN (console → secret → Secret ARN), its
 * SecretString is the value (or one JSON key of it). SSM: a SecureString parameter name (starts with /).
 * `kmsKeyArn`: the customer-managed key that encrypts it, when not the AWS-managed default key.
 */
export const SecretRefSchema = z.union([
  z.strictObject({
    secretsManagerArn: z
      .string()
      .regex(SECRET_ARN, 'must be a full Secrets Manager secret ARN (…:secret:name-AbCdEf)'),
    /** The SecretString is JSON and the value is this key of it. @default the whole SecretString */
    jsonKey: z.string().min(1).max(256).optional(),
    kmsKeyArn: z.string().regex(KMS_KEY_ARN, 'must be a KMS key ARN').optional(),
  }),
  z.strictObject({
    ssmParameter: z
      .string()
      .regex(/^(\/[A-Za-z0-9_.-]+)+$/, 'must be an SSM parameter name such as /drift-sentinel/pagerduty'),
    kmsKeyArn: z.string().regex(KMS_KEY_ARN, 'must be a KMS key ARN').optional(),
  }),
]);

/** Where a secret lives (see {@link SecretRefSchema}). */
export type SecretRef = z.output<typeof SecretRefSchema>;

/** `key=value`: a series tag a destination takes messages for. */
const tagSelector = z.string().regex(/^[^=\s]{1,64}=[^\s]{1,128}$/, 'must be key=value, e.g. team=payments');

const routing = {
  /** Name of the destination: names its function, subscription and log lines. */
  name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'must be kebab-case, at most 31 characters'),
  /**
   * Alerts below this level are not delivered here (their RESOLVED notices neither).
   * @default every level that pages (alerts.minLevelToPage)
   */
  minSeverity: alertLevel.optional(),
  /**
   * Only messages about series carrying at least one of these tags (`team=payments`; ANY matches).
   * @default every message
   */
  tags: z.array(tagSelector).min(1).max(100).optional(),
};

/** Origin-only URL check: https, or http to this machine (the local receiver of `npm start`). */
const endpointUrl = z.url().refine((u) => {
  const url = new URL(u);
  return url.protocol === 'https:' || ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}, 'must be https (http only to localhost)');

const pagerDuty = z.strictObject({
  kind: z.literal('pagerduty'),
  ...routing,
  /** The integration's routing key (Events API v2 integration key of the PagerDuty service). */
  routingKey: SecretRefSchema,
  /** Events API v2 endpoint (EU accounts: https://events.eu.pagerduty.com/v2/enqueue). */
  eventsUrl: endpointUrl.default('https://events.pagerduty.com/v2/enqueue'),
});

const webhook = z.strictObject({
  kind: z.literal('webhook'),
  ...routing,
  url: endpointUrl,
  /** HMAC-SHA256 key of the signature header (docs/alerting.md has the verification recipe). */
  signingSecret: SecretRefSchema,
});

/** One delivery destination. */
export const DestinationSchema = z.discriminatedUnion('kind', [pagerDuty, webhook]);
/** A PagerDuty or webhook destination, defaults filled in. */
export type Destination = z.output<typeof DestinationSchema>;

/** Destinations, names unique. */
export const DestinationsSchema = z
  .array(DestinationSchema)
  .max(20)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((d, i) => {
      if (seen.has(d.name))
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate name ${d.name}` });
      seen.add(d.name);
    });
  });

const slackChannel = z.strictObject({
  /** Names the channel configuration (`<stack>-<name>`). */
  name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'must be kebab-case, at most 31 characters'),
  /** Slack workspace id authorised in the Amazon Q Developer (Chatbot) console, e.g. T0123ABCD. */
  workspaceId: z.string().regex(/^[0-9A-Z]{1,255}$/, 'must be a Slack workspace id such as T0123ABCD'),
  /** Channel id (channel details → bottom), e.g. C0123ABCD. */
  channelId: z.string().regex(/^[A-Za-z0-9]{1,255}$/, 'must be a Slack channel id such as C0123ABCD'),
});

const teamsChannel = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'must be kebab-case, at most 31 characters'),
  /** Team id (from the channel link: groupId=…), a UUID. */
  teamId: z.uuid(),
  /** Microsoft Entra tenant id (channel link: tenantId=…), a UUID. */
  tenantId: z.uuid(),
  /**
   * Channel id as in the channel link (`19%3a…%40thread.tacv2`) or decoded (`19:…@thread.tacv2`);
   * stored URL-encoded, as CloudFormation requires.
   */
  channelId: z
    .string()
    .transform((id) => id.replace(/:/g, '%3a').replace(/@/g, '%40'))
    .pipe(
      z
        .string()
        .regex(
          /^[a-zA-Z0-9\-_=+/.,]*%3[aA][a-zA-Z0-9\-_=+/.,]*%40[a-zA-Z0-9\-_=+/.,]*$/,
          'must be a Teams channel id such as 19:…@thread.tacv2 (from the channel link)',
        ),
    ),
  channelName: z.string().min(1).max(255).optional(),
});

/**
 * Chat channels through AWS Chatbot (Amazon Q Developer in chat applications): a relay function turns
 * alert notices into Chatbot custom notifications on a chat topic the channels subscribe to
 * (docs/adr/0001-alert-message-format.md says why a topic of its own).
 */
export const ChatSchema = z.strictObject({
  slack: z.array(slackChannel).max(10).default([]),
  teams: z.array(teamsChannel).max(10).default([]),
  /** @default alerts.minLevelToPage */
  minSeverity: alertLevel.optional(),
  /** Only messages about series carrying one of these tags. @default every message */
  tags: z.array(tagSelector).min(1).max(100).optional(),
});

/** The chat section, defaults filled in. */
export type ChatConfig = z.output<typeof ChatSchema>;
