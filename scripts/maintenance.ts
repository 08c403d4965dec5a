// (CLI) manage maintenance windows in a deployed stack's control table:
//   npm run maintenance -- list   --table <ControlTableName>
//   npm run maintenance -- add    --table <T> --id rds-main-patch --tag resource=rds-main --weekly "Sun 02:00" --duration 60m [--reason "..."]
//   npm run maintenance -- add    --table <T> --id deploy-42 --series <series id> --from 2026-11-25T10:00Z --to 2026-11-25T11:00Z
//   npm run maintenance -- delete --table <T> --id rds-main-patch
// Uses your normal AWS credentials and region (this is an operator tool). Locally, use the dashboard
// server's /api/maintenance-windows instead.
import { parseArgs } from 'node:util';
import { parseDuration } from '../infra/local/args';
import { DynamoAlertStore, MaintenanceWindowSchema } from '../shared/adapters/dynamodb-alert-store';
import { createDocumentClient } from '../shared/adapters/dynamodb-client';
import type { MaintenanceWindow } from '../shared/domain/alerting';
import { ValidationError } from '../shared/errors';
import { formatIssues } from '../shared/monitor-config';

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
  if (!parsed.success) throw new ValidationError('Invalid maintenance window', formatIssues(parsed.error));
  return parsed.data as MaintenanceWindow;
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      table: { type: 'string' },
      id: { type: 'string' },
      series: { type: 'string' },
      tag: { type: 'string', multiple: true },
      weekly: { type: 'string' },
      duration: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      reason: { type: 'string' },
    },
  });
  const command = positionals[0];
  if (!values.table)
    throw new ValidationError('Missing --table', ['--table: the ControlTableName stack output']);
  const store = new DynamoAlertStore({ client: createDocumentClient(), tableName: values.table });
  if (command === 'list') console.log(JSON.stringify(await store.listWindows(), null, 2));
  else if (command === 'add') {
    const window = windowFromOptions(values);
    await store.putWindow(window);
    console.log(`Saved ${window.id}`);
  } else if (command === 'delete') {
    if (!values.id) throw new ValidationError('Missing --id');
    console.log((await store.deleteWindow(values.id)) ? `Deleted ${values.id}` : `No window ${values.id}`);
  } else throw new ValidationError(`Unknown command "${command ?? ''}"`, ['use list, add or delete']);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
