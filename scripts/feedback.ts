// (CLI) false-positive feedback and thresholds, through the same API router as the deployed API:
//   npm run feedback -- mark       --series <id> --time <ISO|ms> --fp|--confirm [--reason "..."]
//   npm run feedback -- mark       --alert <alertId> --fp|--confirm [--reason "..."]
//   npm run feedback -- unmark     --series <id> --time <t> | --alert <alertId>
//   npm run feedback -- thresholds [--metric m]
//   npm run feedback -- history    [--metric m] [--limit n] [--cursor c]
//   npm run feedback -- revert     --id <changeId> [--reason "..."]
//   npm run feedback -- set        --metric m --adjustment 0.2 [--reason "..."]
//   npm run feedback -- preview    --metric m --adjustment 0.2
//   npm run feedback -- tune       [--time <ISO>]
// Target: `--local [--url http://127.0.0.1:3000] [--token <IdToken>]` calls the local stack's API (npm
// start; the staff user's ID token, also from DRIFT_SENTINEL_TOKEN, unless it runs with --no-auth); otherwise the
// deployed tables (stack outputs) with your AWS credentials: `--control <T> --anomalies <T> [--points <T>]`
// (or CONTROL_TABLE / ANOMALIES_TABLE / POINTS_TABLE), with the monitoring config you deployed
// (MONITOR_CONFIG or monitor.config.json, as `cdk deploy` reads it). `--json` prints raw responses.
import { hostname, userInfo } from 'node:os';

import { createApiRouter } from '../functions/api-routes';
import { trustedCaller } from '../functions/auth';
import type { HttpMethod } from '../functions/http';
import { loadMonitorConfig } from '../infra/load-config';
import { parseCommandLine } from '../infra/local/args';
import { DynamoAlertStore } from '../shared/adapters/dynamodb-alert-store';
import { DynamoAnomalyStore } from '../shared/adapters/dynamodb-anomaly-store';
import { createDocumentClient } from '../shared/adapters/dynamodb-client';
import { DynamoDriftStore } from '../shared/adapters/dynamodb-drift-store';
import { DynamoFeedbackStore } from '../shared/adapters/dynamodb-feedback-store';
import { DynamoMetricStore } from '../shared/adapters/dynamodb-metric-store';
import { DynamoThresholdStore } from '../shared/adapters/dynamodb-threshold-store';
import { messageOf, ValidationError } from '../shared/errors';
import { expandSeries } from '../shared/monitor-config';
import type { Log, MetricStore, PredictionStore } from '../shared/ports';
import { formatAdjustment } from '../shared/use-cases/feedback';

/** `npm run feedback -- --help`. */
export const USAGE = `Usage: npm run feedback -- <command> [options]

False-positive feedback and thresholds, through the same API as the dashboard.

Commands:
  mark        --series <id> --time <ISO|ms> --fp|--confirm [--reason "..."]   label one anomaly
  mark        --alert <alertId> --fp|--confirm [--reason "..."]                label every anomaly of an alert
  unmark      --series <id> --time <t> | --alert <alertId>                     remove a label
  thresholds  [--metric m]                         adjustments in force and their feedback counts
  history     [--metric m] [--limit n] [--cursor c]  threshold changes, newest first
  revert      --id <changeId> [--reason "..."]      undo one change
  set         --metric m --adjustment 0.2 [--reason "..."]   set a metric's adjustment (+0.2 = 20% less sensitive)
  preview     --metric m --adjustment 0.2           replay recent data with a proposed adjustment
  tune        [--time <ISO>]                        run the weekly auto-tune now

Target (one of):
  --local [--url http://127.0.0.1:3000] [--token <IdToken>]   the local stack (npm start); the token is a
                        staff user's ID token (or DRIFT_SENTINEL_TOKEN), not needed with --no-auth
  --control <T> --anomalies <T> [--points <T>]   the deployed tables (stack outputs; or CONTROL_TABLE,
                        ANOMALIES_TABLE, POINTS_TABLE) with your AWS credentials and the deployed config
                        (MONITOR_CONFIG or monitor.config.json)

Other options: --json (raw responses), --actor <name> (recorded with table changes), --help

Examples:
  npm run feedback -- mark --local --alert cpu_percent-above-0123456789abcdef-1764590400000 --fp --reason "deploy spike"
  npm run feedback -- thresholds --control DriftSentinel-Control --anomalies DriftSentinel-Anomalies
  npm run feedback -- preview --local --metric cpu_percent --adjustment 0.2`;

/** One API request. */
export interface CliRequest {
  readonly method: HttpMethod;
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly body?: Record<string, unknown>;
}

/** Parsed options (all strings/booleans as `parseArgs` gives them). */
export interface CliOptions {
  readonly series?: string;
  readonly time?: string;
  readonly alert?: string;
  readonly fp?: boolean;
  readonly confirm?: boolean;
  readonly reason?: string;
  readonly metric?: string;
  readonly limit?: string;
  readonly cursor?: string;
  readonly id?: string;
  readonly adjustment?: string;
}

const COMMANDS = ['mark', 'unmark', 'thresholds', 'history', 'revert', 'set', 'preview', 'tune'] as const;

/** A time option: epoch ms digits pass through, anything else must parse as a date. */
function timeOption(value: string | undefined, name: string): string {
  if (value === undefined) throw new ValidationError(`Missing ${name}`, [`${name}: an ISO time or epoch ms`]);
  if (/^\d+$/.test(value)) return value;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new ValidationError(`Invalid ${name}`, [`${name}: "${value}" is not a time`]);
  return new Date(ms).toISOString();
}

function required(value: string | undefined, name: string, what: string): string {
  if (value === undefined || value === '') throw new ValidationError(`Missing ${name}`, [`${name}: ${what}`]);
  return value;
}

function numberOption(value: string | undefined, name: string): number {
  const n = Number(required(value, name, 'a number such as 0.2 or -0.1'));
  if (!Number.isFinite(n))
    throw new ValidationError(`Invalid ${name}`, [`${name}: "${value}" is not a number`]);
  return n;
}

/**
 * The API request a command stands for (the router then validates everything else).
 * @throws ValidationError naming the missing or conflicting option
 */
export function requestOf(command: string | undefined, o: CliOptions): CliRequest {
  const reason = o.reason === undefined ? {} : { reason: o.reason };
  switch (command) {
    case 'mark':
    case 'unmark': {
      let label: string | undefined;
      if (command === 'mark') {
        if (o.fp === o.confirm) {
          throw new ValidationError('Say what the anomaly was', ['--fp | --confirm: exactly one of them']);
        }
        label = o.fp ? 'false-positive' : 'confirmed';
      }
      if ((o.alert === undefined) === (o.series === undefined)) {
        throw new ValidationError('Name one anomaly or one alert', [
          '--series/--time | --alert: exactly one',
        ]);
      }
      if (o.alert !== undefined) {
        const path = `/api/alerts/${encodeURIComponent(o.alert)}/feedback`;
        return label ? { method: 'PUT', path, body: { label, ...reason } } : { method: 'DELETE', path };
      }
      const series = required(o.series, '--series', 'the series id (in the page body)');
      const ts = timeOption(o.time, '--time');
      const tsValue = /^\d+$/.test(ts) ? Number(ts) : ts;
      return label
        ? { method: 'PUT', path: '/api/anomalies/feedback', body: { series, ts: tsValue, label, ...reason } }
        : { method: 'DELETE', path: '/api/anomalies/feedback', query: { series, ts } };
    }
    case 'thresholds':
      return o.metric
        ? { method: 'GET', path: `/api/thresholds/${encodeURIComponent(o.metric)}` }
        : { method: 'GET', path: '/api/thresholds' };
    case 'history':
      return {
        method: 'GET',
        path: '/api/threshold-changes',
        query: {
          ...(o.metric ? { metric: o.metric } : {}),
          ...(o.limit ? { limit: o.limit } : {}),
          ...(o.cursor ? { cursor: o.cursor } : {}),
        },
      };
    case 'revert':
      return {
        method: 'POST',
        path: `/api/threshold-changes/${encodeURIComponent(required(o.id, '--id', 'a change id from history'))}/revert`,
        body: reason,
      };
    case 'set':
      return {
        method: 'PUT',
        path: `/api/thresholds/${encodeURIComponent(required(o.metric, '--metric', 'a metric name'))}`,
        body: { adjustment: numberOption(o.adjustment, '--adjustment'), ...reason },
      };
    case 'preview':
      return {
        method: 'GET',
        path: `/api/thresholds/${encodeURIComponent(required(o.metric, '--metric', 'a metric name'))}/preview`,
        query: { adjustment: String(numberOption(o.adjustment, '--adjustment')) },
      };
    case 'tune':
      return {
        method: 'POST',
        path: '/api/tuning-runs',
        body: o.time === undefined ? {} : { time: timeOption(o.time, '--time') },
      };
    default:
      throw new ValidationError(`Unknown command "${command ?? ''}"`, [`use one of: ${COMMANDS.join(', ')}`]);
  }
}

/** A response as the CLI sees it. */
export interface CliResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** Something that answers API requests: the local server over HTTP, or the router in-process. */
export type Transport = (request: CliRequest) => Promise<CliResponse>;

/** Over HTTP to a running API (the local stack's server), with a Cognito ID token when given. */
export function httpTransport(baseUrl: string, fetchImpl: typeof fetch = fetch, token?: string): Transport {
  return async (r) => {
    const url = new URL(r.path, baseUrl);
    for (const [k, v] of Object.entries(r.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
    if (r.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetchImpl(url, {
      method: r.method,
      headers,
      ...(r.body === undefined ? {} : { body: JSON.stringify(r.body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  };
}

/**
 * In-process against the deployed tables: the API router with DynamoDB adapters and your credentials.
 * IAM is the authorization here (whoever may write the tables may mark anomalies), so the caller is
 * trusted as staff and recorded as `actor`.
 */
export function tablesTransport(options: {
  readonly control: string;
  readonly anomalies: string;
  readonly points?: string;
  readonly actor: string;
  readonly log: Log;
}): Transport {
  const { config } = loadMonitorConfig();
  const client = createDocumentClient();
  const store: MetricStore = options.points
    ? new DynamoMetricStore({ client, tableName: options.points })
    : {
        putPoints: () => Promise.reject(new Error('read-only')),
        queryRange: () =>
          Promise.reject(
            new ValidationError('Missing --points', [
              '--points: the PointsTableName output (preview replays points)',
            ]),
          ),
      };
  // The dashboard's model view reads the predictions table, which the CLI's commands never need.
  const noPredictions = (): Promise<never> =>
    Promise.reject(new ValidationError('The CLI does not read predictions', ['use the dashboard']));
  const predictions: PredictionStore = {
    append: noPredictions,
    listModels: noPredictions,
    load: noPredictions,
  };
  const router = createApiRouter({
    config,
    series: expandSeries(config),
    store,
    feedback: new DynamoFeedbackStore({ client, tableName: options.anomalies, log: options.log }),
    thresholds: new DynamoThresholdStore({ client, tableName: options.control }),
    alerts: new DynamoAlertStore({ client, tableName: options.control, log: options.log }),
    timeline: new DynamoAnomalyStore({ client, tableName: options.anomalies, log: options.log }),
    predictions,
    drift: new DynamoDriftStore({ client, tableName: options.control, log: options.log }),
    clock: { now: () => Date.now() },
    log: options.log,
    authenticate: trustedCaller(options.actor),
  });
  return async (r) => {
    const result = await router({
      httpMethod: r.method,
      path: r.path,
      headers: r.body === undefined ? {} : { 'Content-Type': 'application/json' },
      queryStringParameters: r.query && Object.keys(r.query).length > 0 ? r.query : null,
      body: r.body === undefined ? null : JSON.stringify(r.body),
      isBase64Encoded: false,
      requestContext: { requestId: `cli-${Date.now()}` },
    });
    return { status: result.statusCode, body: result.body === '' ? {} : JSON.parse(result.body) };
  };
}

const pct = (x: unknown) => (typeof x === 'number' ? formatAdjustment(x) : String(x));

/** Human-readable lines for a successful response. */
export function render(command: string, body: Record<string, unknown>): string[] {
  switch (command) {
    case 'thresholds': {
      const items = (body.items as Record<string, unknown>[] | undefined) ?? [body];
      return items.map(
        (s) =>
          `${String(s.metric).padEnd(24)} ${pct(s.adjustment).padStart(6)}  sensitivity ×${s.sensitivity}  ` +
          `FP ${s.falsePositives}  confirmed ${s.confirmed}  toward next raise ${s.fpCount}` +
          (s.lastTunedWeek
            ? `  last weekly: ${s.lastTunedWeek} (${(s.lastEvaluation as { outcome?: string })?.outcome})`
            : ''),
      );
    }
    case 'history': {
      const lines = ((body.items as Record<string, unknown>[]) ?? []).map((c) => {
        const actor = c.actor as { kind: string; name: string };
        return (
          `${c.id}  ${new Date(c.at as number).toISOString()}  ${pct(c.from)} → ${pct(c.to)}  ${c.rule}` +
          `  by ${actor.kind === 'rule' ? `rule ${actor.name}` : actor.name}` +
          (c.revertOf ? `  (reverts ${c.revertOf})` : '') +
          (c.reason ? `  "${c.reason}"` : '')
        );
      });
      if (lines.length === 0) lines.push('No threshold changes.');
      if (body.nextCursor) lines.push(`More: --cursor ${body.nextCursor}`);
      return lines;
    }
    case 'preview': {
      const side = (s: Record<string, number>) =>
        `${pct(s.adjustment).padStart(6)}: ${s.pages} pages, ${s.pagedAnomalies} paged anomalies, ${s.anomalies} anomalies, ${s.resolved} resolved`;
      const fate = (l: Record<string, unknown>) =>
        `    ${new Date(l.ts as number).toISOString()}  ${l.label}  (${l.current} → ${l.proposed})`;
      const avoided = body.falsePositivesAvoided as Record<string, unknown>[];
      const lost = body.confirmedLost as Record<string, unknown>[];
      return [
        `${body.metric}: ${body.days} days, ${body.series} series, ${body.points} points replayed (${body.elapsedMs} ms)`,
        `  current  ${side(body.current as Record<string, number>)}`,
        `  proposed ${side(body.proposed as Record<string, number>)}`,
        `  labelled false positives avoided: ${avoided.length}`,
        ...avoided.map(fate),
        `  confirmed anomalies no longer paged: ${lost.length}`,
        ...lost.map(fate),
      ];
    }
    case 'mark':
    case 'unmark': {
      const anomalies = (body.anomalies as Record<string, unknown>[] | undefined) ?? [body.anomaly];
      const states = (body.states as Record<string, unknown>[] | undefined) ?? [body.state];
      const changes = (body.changes as Record<string, unknown>[]) ?? [];
      return [
        ...anomalies.map((a) => {
          const r = a as { label: string; ts: number; feedback?: { label: string } };
          return `${command === 'mark' ? 'Marked' : 'Unmarked'} ${r.label} @ ${new Date(r.ts).toISOString()}${r.feedback ? `: ${r.feedback.label}` : ''}`;
        }),
        ...states.map(
          (s) =>
            `  ${(s as { metric: string }).metric}: FP ${(s as { falsePositives: number }).falsePositives}, ` +
            `confirmed ${(s as { confirmed: number }).confirmed}, threshold ${pct((s as { adjustment: number }).adjustment)}`,
        ),
        ...changes.map((c) => `  threshold raised ${pct(c.from)} → ${pct(c.to)} (${c.id})`),
      ];
    }
    case 'revert':
    case 'set':
      return [`${body.metric}: ${pct(body.from)} → ${pct(body.to)} (${body.rule}, entry ${body.id})`];
    case 'tune':
      return [
        `Week ${(body.week as { label: string }).label}: ${body.changes} change(s)`,
        ...((body.metrics as Record<string, unknown>[]) ?? []).map(
          (m) =>
            `  ${String(m.metric).padEnd(24)} ${m.outcome}  rate ${m.rate ?? '-'}  now ${pct(m.adjustment)}`,
        ),
      ];
    default:
      return [JSON.stringify(body, null, 2)];
  }
}

const quiet: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** The options every command accepts (each command uses some). */
const CLI_OPTIONS = {
  series: { type: 'string' },
  time: { type: 'string' },
  alert: { type: 'string' },
  fp: { type: 'boolean' },
  confirm: { type: 'boolean' },
  reason: { type: 'string' },
  metric: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  id: { type: 'string' },
  adjustment: { type: 'string' },
  local: { type: 'boolean' },
  url: { type: 'string' },
  control: { type: 'string' },
  anomalies: { type: 'string' },
  points: { type: 'string' },
  actor: { type: 'string' },
  json: { type: 'boolean' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Run one command. @returns the process exit code (0 ok, 1 refused or failed)
 */
export async function runCli(
  argv: readonly string[],
  io: {
    readonly out: (line: string) => void;
    readonly err: (line: string) => void;
    readonly env?: NodeJS.ProcessEnv;
    readonly transport?: Transport;
  },
): Promise<number> {
  const env = io.env ?? process.env;
  try {
    const { positionals, values } = parseCommandLine(argv, CLI_OPTIONS);
    if (values.help || positionals[0] === 'help') {
      io.out(USAGE);
      return 0;
    }
    if (positionals[0] === undefined) {
      io.err(USAGE);
      return 1;
    }
    const command = positionals[0];
    const request = requestOf(command, values);
    const transport =
      io.transport ??
      (values.local || values.url
        ? httpTransport(
            values.url ?? 'http://127.0.0.1:3000',
            fetch,
            values.token ?? env.DRIFT_SENTINEL_TOKEN,
          )
        : tablesTransport({
            control: required(
              values.control ?? env.CONTROL_TABLE,
              '--control',
              'the ControlTableName stack output',
            ),
            anomalies: required(
              values.anomalies ?? env.ANOMALIES_TABLE,
              '--anomalies',
              'the AnomaliesTableName stack output',
            ),
            ...((values.points ?? env.POINTS_TABLE) ? { points: values.points ?? env.POINTS_TABLE } : {}),
            actor: values.actor ?? `cli:${safeUser()}@${hostname()}`,
            log: quiet,
          }));
    const response = await transport(request);
    if (response.status >= 400) {
      const field = response.body.field ? ` (${response.body.field})` : '';
      io.err(`${response.status}: ${String(response.body.error ?? 'request failed')}${field}`);
      for (const issue of (response.body.issues as string[] | undefined) ?? []) io.err(`  ${issue}`);
      return 1;
    }
    const lines = values.json
      ? [JSON.stringify(response.body, null, 2)]
      : render(command ?? '', response.body);
    for (const line of lines) io.out(line);
    return 0;
  } catch (error) {
    io.err(messageOf(error));
    return 1;
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l) }).then((code) => {
    process.exitCode = code;
  });
}
