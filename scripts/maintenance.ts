// (CLI) manage maintenance windows: in a deployed stack's control table (`--table`, your AWS
// credentials and region), or in the local stack through its API (`--local`, like `npm run feedback`).
// `npm run maintenance -- --help` prints the usage below.

import { parseCommandLine, parseDuration } from '../infra/local/args';
import { DynamoAlertStore, MaintenanceWindowSchema } from '../shared/adapters/dynamodb-alert-store';
import { createDocumentClient } from '../shared/adapters/dynamodb-client';
import type { MaintenanceWindow } from '../shared/domain/alerting';
import { messageOf, ValidationError } from '../shared/errors';
import { formatIssues } from '../shared/monitor-config';
import { httpTransport, type Transport } from './feedback';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** Build a window from CLI options. @throws ValidationError naming the bad option */
export function windowFromOptions(o: {
  id?: string;
  series?: string;
  tag?: string[];
  weekly?: string;
  duration?: string;
  from?: string;
  to?: string;
  reason?: string;
}): MaintenanceWindow {
  const issues: string[] = [];
  const tags: Record<string, string> = {};
  for (const t of o.tag ?? []) {
    const [k, ...v] = t.split('=');
    if (!k || v.length === 0) issues.push(`--tag: "${t}" must be key=value`);
    else tags[k] = v.join('=');
  }
  let schedule: unknown;
  if (o.weekly !== undefined) {
    const m = /^([A-Za-z]{3})\w*\s+(\d{1,2}):(\d{2})$/.exec(o.weekly.trim());
    const day = m ? DAYS.indexOf(m[1]!.toLowerCase()) : -1;
    if (!m || day < 0) issues.push(`--weekly: "${o.weekly}" must look like "Sun 02:00" (UTC)`);
    let minutes = 0;
    try {
      minutes = Math.round(parseDuration(o.duration ?? '') / 60_000);
    } catch {
      issues.push('--duration: required with --weekly, e.g. 60m or 2h');
    }
    schedule = {
      kind: 'weekly',
      dayOfWeek: day,
      startMinute: Number(m?.[2]) * 60 + Number(m?.[3]),
      durationMinutes: minutes,
    };
  } else {
    const start = Date.parse(o.from ?? '');
    const end = Date.parse(o.to ?? '');
    if (Number.isNaN(start)) issues.push('--from: an ISO time is required (or use --weekly)');
    if (Number.isNaN(end)) issues.push('--to: an ISO time is required (or use --weekly)');
    schedule = { kind: 'once', start, end };
  }
  if (issues.length > 0) throw new ValidationError('Invalid maintenance window', issues);
  const parsed = MaintenanceWindowSchema.safeParse({
    id: o.id,
    ...(o.series ? { series: o.series } : {}),
    ...(Object.keys(tags).length > 0 ? { tags } : {}),
    schedule,
    ...(o.reason ? { reason: o.reason } : {}),
  });
  if (!parsed.success) {
    throw new ValidationError('Invalid maintenance window', formatIssues(parsed.error).map(asOption));
  }
  return parsed.data as MaintenanceWindow;
}

/** The option a window field comes from, so a refusal names what to change on the command line. */
const FIELD_OPTION: Readonly<Record<string, string>> = {
  id: '--id',
  series: '--series/--tag',
  tags: '--tag',
  reason: '--reason',
  'schedule.start': '--from',
  'schedule.end': '--to',
  'schedule.dayOfWeek': '--weekly',
  'schedule.startMinute': '--weekly',
  'schedule.durationMinutes': '--duration',
};

function asOption(issue: string): string {
  const [field, ...rest] = issue.split(': ');
  const option = FIELD_OPTION[field ?? ''] ?? (field?.startsWith('tags.') ? '--tag' : undefined);
  return option ? `${option}: ${rest.join(': ')}` : issue;
}

/** `npm run maintenance -- --help`. */
export const USAGE = `Usage: npm run maintenance -- <command> [options]

Maintenance windows mute alerts (NO_DATA ones too) of a series or of every series with some tags.

Commands:
  list                  the windows in force
  add                   create or replace a window (--id, --series and/or --tag, and a schedule)
  delete                remove a window (--id)

Target (one of):
  --table <name>        the deployed ControlTableName stack output (your AWS credentials and region)
  --local               the local stack of \`npm start\` (http://127.0.0.1:3000; --url to change it)
  --url <base>          another local stack API base URL
  --token <IdToken>     a staff user's ID token for the local API (or DRIFT_SENTINEL_TOKEN; not needed
                        with npm start -- --no-auth)

Window options (add):
  --id <id>             1-64 letters, digits, _ . or -
  --series <series id>  mute one series (the id shown in alerts and on the dashboard)
  --tag key=value       mute every series with this tag (repeat for several; all must match)
  --weekly "Sun 02:00"  weekly, UTC, with --duration 60m (or 2h)
  --from <ISO> --to <ISO>  one-off window
  --reason <text>       shown with muted anomalies

Examples:
  npm run maintenance -- list --table DriftSentinel-TablesControl1234
  npm run maintenance -- add --table <T> --id rds-main-patch --tag resource=rds-main --weekly "Sun 02:00" --duration 60m --reason "RDS patching"
  npm run maintenance -- add --local --id deploy-42 --series "AWS/EC2/CPUUtilization/InstanceId=i-1/Average/60" --from 2026-11-25T10:00Z --to 2026-11-25T11:00Z
  npm run maintenance -- delete --local --id deploy-42

The JSON body the API takes (POST /api/maintenance-windows) is documented in docs/alerting.md.`;

const OPTIONS = {
  table: { type: 'string' },
  local: { type: 'boolean' },
  url: { type: 'string' },
  token: { type: 'string' },
  id: { type: 'string' },
  series: { type: 'string' },
  tag: { type: 'string', multiple: true },
  weekly: { type: 'string' },
  duration: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  reason: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Where windows are kept: the control table, or the local stack's API. */
interface WindowTarget {
  list(): Promise<MaintenanceWindow[]>;
  put(window: MaintenanceWindow): Promise<void>;
  /** @returns false when there was no such window */
  delete(id: string): Promise<boolean>;
}

/** The local stack's API as a target; refusals name the API's field. */
function apiTarget(transport: Transport): WindowTarget {
  const check = (r: { status: number; body: Record<string, unknown> }): void => {
    if (r.status < 400) return;
    const issues = (r.body.issues as string[] | undefined) ?? [];
    throw new ValidationError(`${r.status}: ${String(r.body.error ?? 'request failed')}`, issues, {
      ...(typeof r.body.field === 'string' ? { field: r.body.field } : {}),
    });
  };
  return {
    list: async () => {
      const r = await transport({ method: 'GET', path: '/api/maintenance-windows' });
      check(r);
      return (r.body.items as MaintenanceWindow[]) ?? [];
    },
    put: async (window) => {
      check(await transport({ method: 'POST', path: '/api/maintenance-windows', body: { ...window } }));
    },
    delete: async (id) => {
      const r = await transport({
        method: 'DELETE',
        path: `/api/maintenance-windows/${encodeURIComponent(id)}`,
      });
      if (r.status === 404) return false;
      check(r);
      return true;
    },
  };
}

/** Run one command. @returns the exit code (0 ok, 1 refused or failed) */
export async function runMaintenance(
  argv: readonly string[],
  io: {
    readonly out: (line: string) => void;
    readonly err: (line: string) => void;
    readonly env?: NodeJS.ProcessEnv;
    /** Injected for tests instead of the local HTTP API. */
    readonly transport?: Transport;
  },
): Promise<number> {
  const env = io.env ?? process.env;
  try {
    const { positionals, values } = parseCommandLine(argv, OPTIONS);
    const command = positionals[0];
    if (values.help || command === 'help') {
      io.out(USAGE);
      return 0;
    }
    if (command === undefined) {
      io.err(USAGE);
      return 1;
    }
    if (!['list', 'add', 'delete'].includes(command)) {
      throw new ValidationError(`Unknown command "${command}"`, [
        'use list, add or delete (--help for usage)',
      ]);
    }
    const window = command === 'add' ? windowFromOptions(values) : undefined;
    if (command === 'delete' && !values.id)
      throw new ValidationError('Missing --id', ['--id: the window to delete']);
    let target: WindowTarget;
    if (io.transport || values.local || values.url) {
      if (values.table) throw new ValidationError('Choose one target', ['--table | --local/--url: not both']);
      target = apiTarget(
        io.transport ??
          httpTransport(
            values.url ?? 'http://127.0.0.1:3000',
            fetch,
            values.token ?? env.DRIFT_SENTINEL_TOKEN,
          ),
      );
    } else {
      if (!values.table) {
        throw new ValidationError('Missing --table', [
          '--table: the ControlTableName stack output (or --local for the local stack)',
        ]);
      }
      const store = new DynamoAlertStore({ client: createDocumentClient(), tableName: values.table });
      target = {
        list: () => store.listWindows(),
        put: (w) => store.putWindow(w),
        delete: (id) => store.deleteWindow(id),
      };
    }
    if (command === 'list') io.out(JSON.stringify(await target.list(), null, 2));
    else if (window) {
      await target.put(window);
      io.out(`Saved ${window.id}`);
    } else {
      const id = values.id!;
      io.out((await target.delete(id)) ? `Deleted ${id}` : `No window ${id}`);
    }
    return 0;
  } catch (error) {
    io.err(messageOf(error));
    return 1;
  }
}

if (require.main === module) {
  runMaintenance(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l) }).then(
    (code) => {
      process.exitCode = code;
    },
  );
}
