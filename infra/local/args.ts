// (local stack) command-line options of `npm start`, validated like every other input.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { z } from 'zod';
import { MAX_SHARDS } from '../../shared/domain/shards';
import { ValidationError } from '../../shared/errors';
import { formatIssues } from '../../shared/monitor-config';

/** Parse a duration such as `500ms`, `5s`, `2m`, `1h` (a bare number is seconds) into milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new ValidationError(`Invalid duration "${text}"`, ['use e.g. 500ms, 5s, 2m or 1h']);
  const n = Number(match[1]);
  const unit = match[2] ?? 's';
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h']);
}

const duration = z.string().transform((s, ctx) => {
  try {
    return parseDuration(s);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const OptionsSchema = z.strictObject({
  'collect-every': duration.default(60_000),
  /** Accepted for old command lines; detect now runs right after each collect, as on AWS. */
  'detect-every': duration.optional(),
  shards: z.coerce.number().int().min(1).max(MAX_SHARDS).optional(),
  'sample-every': duration.default(10_000),
  replay: z.string().min(1).optional(),
  speed: z.coerce.number().positive().max(1e7).default(600),
  'data-dir': z.string().min(1).default('.local'),
  config: z.string().min(1).optional(),
  'db-port': z.coerce.number().int().min(0).max(65_535).default(0),
  port: z.coerce.number().int().min(0).max(65_535).default(3000),
  help: z.boolean().default(false),
  // ML drift (infra/local/drift-local.ts)
  'simulate-predictions': z.boolean().default(false),
  'simulate-rate': z.coerce.number().int().min(1).max(1000).default(20),
  'shift-after': duration.default(120_000),
  'drift-every': duration.optional(),
  'drift-recent': duration.optional(),
  'drift-baseline': duration.optional(),
  'mail-port': z.coerce.number().int().min(0).max(65_535).default(0),
  'bus-port': z.coerce.number().int().min(0).max(65_535).default(0),
  // Staff dashboard (issue #7)
  'no-auth': z.boolean().default(false),
  'users-file': z.string().min(1).optional(),
  'cognito-port': z.coerce.number().int().min(0).max(65_535).default(0),
  'seed-demo': z.boolean().default(false),
  // Alert delivery and no-data alerts (issue 15, infra/local/local-delivery.ts)
  'webhook-receiver': z.boolean().default(false),
  'receiver-port': z.coerce.number().int().min(0).max(65_535).default(0),
  'no-data-after': duration.optional(),
});

/** Options of the local stack. */
export type LocalOptions = z.output<typeof OptionsSchema>;

/** Usage text printed by `npm start -- --help`. */
export const USAGE = `Usage: npm start -- [options]

Runs the real collect and detect use cases on this machine: dynalite on loopback (data in --data-dir),
this host's own metrics (or a CSV replay) as the metric source, anomalies printed as they are recorded.

  --collect-every <d>   detect cycle schedule: each shard collects, then detects (default 60s; e.g. 5s, 2m)
  --shards <n>          detect shards run in parallel, as the state machine's Map does (default 2)
  --detect-every <d>    ignored (detect runs right after each collect, as on AWS)
  --sample-every <d>    host metric sampling interval (default 10s)
  --replay <file.csv>   replay a NAB-format CSV (timestamp,value) instead of host metrics
  --speed <x>           replay speed-up factor (default 600: 10 minutes of data per second)
  --data-dir <dir>      where dynalite keeps its data (default .local); a restart keeps it
  --config <file>       monitoring config for detection settings (default monitor.config.json if present)
  --port <n>            dashboard and API port on 127.0.0.1 (default 3000; 0 = any free port)
  --db-port <n>         dynalite port on 127.0.0.1 (default: any free port)
  --help                this text

ML drift (models in s3rver under --data-dir, mail in aws-ses-v2-local, a local predictions bus):
  --simulate-predictions  feed a simulated model whose scores shift after --shift-after; a drift
                          e-mail appears in the mail page (check every 20s, windows 1m vs 3m)
  --simulate-rate <n>     simulated predictions per second (default 20)
  --shift-after <d>       when the simulated distribution shifts (default 2m)
  --drift-every <d>       check-drift schedule (default 1h; 20s with --simulate-predictions)
  --drift-recent <d>      recent window (default: the config's days; 1m with --simulate-predictions)
  --drift-baseline <d>    baseline window (default: the config's days; 3m with --simulate-predictions)
  --mail-port <n>         aws-ses-v2-local port on 127.0.0.1 (default: any free port)
  --bus-port <n>          local predictions bus (PutEvents) port on 127.0.0.1 (default: any free port)

Staff dashboard (the site, /config.json and the API on --port; sign-in through cognito-local):
  --no-auth               no sign-in: every request is you, as staff (the dashboard shows a NO AUTH banner)
  --users-file <file>     write the staff and non-staff users' credentials there as JSON
  --cognito-port <n>      cognito-local port on 127.0.0.1 (default: any free port; data in --data-dir)
  --seed-demo             preload 55 series x 24 h of 1-minute points, ~200 anomalies (XSS-looking labels
                          included), alerts and ML models with drift results; the demo series keep updating

Alert delivery and no-data alerts (docs/alerting.md):
  --webhook-receiver      deliver every alert, as AWS would, to a local PagerDuty Events API and a signed
                          webhook receiver (URL printed; GET it for what arrived) and print the Slack/Teams
                          message; each webhook signature is verified on arrival
  --receiver-port <n>     the receiver's port on 127.0.0.1 (default: any free port)
  --no-data-after <d>     raise NO_DATA for a local series silent this long (default: the config's rules);
                          stop a series by adding its label to <data-dir>/paused-series, remove it to resume`;

/**
 * Parse command-line options with node's parseArgs (strict), then validate them with `schema`.
 * @throws ValidationError naming the bad option (`--name: …`)
 */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  options: NonNullable<ParseArgsConfig['options']>,
  argv: readonly string[] = process.argv.slice(2),
): z.output<S> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: [...argv], strict: true, options }).values;
  } catch (cause) {
    throw new ValidationError(`Invalid option: ${(cause as Error).message}`, [], { cause });
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    throw new ValidationError(
      'Invalid options',
      formatIssues(parsed.error).map((i) => `--${i}`),
    );
  }
  return parsed.data;
}

/**
 * Parse a command line with subcommands (positionals allowed) with node's strict parseArgs, for the
 * feedback and maintenance CLIs. @throws ValidationError naming the bad option (node's message does)
 */
export function parseCommandLine<O extends NonNullable<ParseArgsConfig['options']>>(
  argv: readonly string[],
  options: O,
) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options });
  } catch (cause) {
    throw new ValidationError(`${(cause as Error).message}. Run with --help for usage`, [], { cause });
  }
}

/** Parse argv (without node and script). @throws ValidationError naming the bad option */
export function parseLocalArgs(argv: readonly string[]): LocalOptions {
  return parseOptions(
    OptionsSchema,
    {
      'collect-every': { type: 'string' },
      'detect-every': { type: 'string' },
      shards: { type: 'string' },
      'sample-every': { type: 'string' },
      replay: { type: 'string' },
      speed: { type: 'string' },
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      'db-port': { type: 'string' },
      port: { type: 'string' },
      help: { type: 'boolean' },
      'simulate-predictions': { type: 'boolean' },
      'simulate-rate': { type: 'string' },
      'shift-after': { type: 'string' },
      'drift-every': { type: 'string' },
      'drift-recent': { type: 'string' },
      'drift-baseline': { type: 'string' },
      'mail-port': { type: 'string' },
      'bus-port': { type: 'string' },
      'no-auth': { type: 'boolean' },
      'users-file': { type: 'string' },
      'cognito-port': { type: 'string' },
      'seed-demo': { type: 'boolean' },
      'webhook-receiver': { type: 'boolean' },
      'receiver-port': { type: 'string' },
      'no-data-after': { type: 'string' },
    },
    argv,
  );
}
