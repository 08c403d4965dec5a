// (shared) runtime configuration of a Lambda: every env var read once at cold start, validated, and
// failing fast with the variable's name. The monitoring config itself is baked into each bundle at
// synth time (esbuild `define` of process.env.MONITOR_CONFIG_JSON), so it has no 4 KB env limit and is
// the exact config `cdk synth` validated; locally and in tests it is read from the environment.
import { z } from 'zod';
import { MAX_SHARDS } from './domain/shards';
import { ConfigError } from './errors';
import { formatIssues, type MonitorConfig, parseMonitorConfigJson } from './monitor-config';

/** Env var names, shared by the CDK constructs (which set them) and the handlers (which read them). */
export const ENV = {
  pointsTable: 'POINTS_TABLE',
  anomaliesTable: 'ANOMALIES_TABLE',
  controlTable: 'CONTROL_TABLE',
  monitorConfig: 'MONITOR_CONFIG_JSON',
  alertTopicArn: 'ALERT_TOPIC_ARN',
  alertDeadLetterUrl: 'ALERT_DLQ_URL',
  predictionsTable: 'PREDICTIONS_TABLE',
  modelsBucket: 'MODELS_BUCKET',
  detectorStateBucket: 'DETECTOR_STATE_BUCKET',
  /** How many detect shards the stack planned (the API reads each shard's kept band). */
  detectShards: 'DETECT_SHARDS',
  rejectedPredictionsUrl: 'REJECTED_PREDICTIONS_URL',
  dashboardOrigin: 'DASHBOARD_ORIGIN',
  dashboardClientId: 'DASHBOARD_CLIENT_ID',
  dashboardIssuer: 'DASHBOARD_ISSUER',
  /** Which `alerts.destinations` entry a delivery function serves (issue 15). */
  destinationName: 'DESTINATION_NAME',
  /** The chat topic the chat relay publishes Chatbot custom notifications to (issue 15). */
  chatTopicArn: 'CHAT_TOPIC_ARN',
  /** The delivery function's own dead-letter queue, where refused (4xx) notices are parked (issue 15). */
  deliveryDeadLetterUrl: 'DELIVERY_DLQ_URL',
} as const;

const tableName = z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'must be a DynamoDB table name');
const bucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name');

/**
 * Read and validate the named env vars.
 * @throws ConfigError naming each missing or bad variable
 */
export function readEnv<T extends Record<string, z.ZodType>>(
  shape: T,
  env: NodeJS.ProcessEnv = process.env,
): { [K in keyof T]: z.output<T[K]> } {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(shape)) raw[key] = env[key];
  const parsed = z.object(shape).safeParse(raw);
  if (!parsed.success) throw new ConfigError('Invalid Lambda environment', formatIssues(parsed.error));
  return parsed.data as { [K in keyof T]: z.output<T[K]> };
}

/** The alerting env vars as a zod shape. */
export const alertEnv = {
  [ENV.alertTopicArn]: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'must be an SNS topic ARN'),
  [ENV.alertDeadLetterUrl]: z.url(),
} as const;

/** The table-name env vars as a zod shape. */
export const tableEnv = {
  points: { [ENV.pointsTable]: tableName },
  anomalies: { [ENV.anomaliesTable]: tableName },
  control: { [ENV.controlTable]: tableName },
  predictions: { [ENV.predictionsTable]: tableName },
} as const;

/** Detect's checkpoint bucket as a zod shape. */
export const checkpointEnv = { [ENV.detectorStateBucket]: bucketName } as const;

/** What the API needs to read the detect shards' kept bands: their bucket and how many there are. */
export const recentBandEnv = {
  ...checkpointEnv,
  [ENV.detectShards]: z.coerce.number().int().min(1).max(MAX_SHARDS),
} as const;

/** The ML drift env vars as zod shapes. */
export const driftEnv = {
  modelsBucket: {
    [ENV.modelsBucket]: bucketName,
  },
  rejectedPredictions: { [ENV.rejectedPredictionsUrl]: z.url() },
} as const;

/** The staff dashboard's env vars (API function): the site origin CORS allows, the Cognito app client. */
export const dashboardEnv = {
  [ENV.dashboardOrigin]: z
    .url({ protocol: /^https?$/ })
    .refine(
      (u) => new URL(u).origin === u,
      'must be an origin such as https://d111111abcdef8.cloudfront.net',
    ),
  [ENV.dashboardClientId]: z.string().regex(/^[\w+]{1,128}$/, 'must be a Cognito app client id'),
  /** The staff user pool's issuer (`https://cognito-idp.<region>.amazonaws.com/<poolId>`): tokens must carry it. */
  [ENV.dashboardIssuer]: z
    .url({ protocol: /^https$/ })
    .regex(
      /^https:\/\/cognito-idp\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/[\w-]+_\w+$/,
      'must be a Cognito user pool issuer',
    )
    .optional(),
} as const;

/**
 * The monitoring config baked into this bundle (or set in the environment locally).
 * @throws ConfigError when absent or invalid
 */
export function loadBakedMonitorConfig(env: NodeJS.ProcessEnv = process.env): MonitorConfig {
  // Written as a literal member access so esbuild's `define` can replace it at bundle time.
  const text = process.env.MONITOR_CONFIG_JSON ?? env[ENV.monitorConfig];
  if (!text) throw new ConfigError(`${ENV.monitorConfig} is not set`);
  return parseMonitorConfigJson(text, ENV.monitorConfig);
}
