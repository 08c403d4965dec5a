// Both CLIs run as a person runs them (child processes through tsx): --help prints usage with
// examples, bad options name the option, and `maintenance --local` manages windows through the local
// stack's API (a real HTTP server on dynalite).
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { createApiRouter } from '../../functions/api-routes';
import { cognitoClaims } from '../../functions/auth';
import { startHttpServer } from '../../infra/local/http-server';
import { DynamoAlertStore } from '../../shared/adapters/dynamodb-alert-store';
import { DynamoFeedbackStore } from '../../shared/adapters/dynamodb-feedback-store';
import { DynamoMetricStore } from '../../shared/adapters/dynamodb-metric-store';
import { DynamoThresholdStore } from '../../shared/adapters/dynamodb-threshold-store';
import { MemoryAnomalyStore } from '../../shared/adapters/memory-stores';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';
import { readStores } from '../helpers/api-deps';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');

/** Run a script as `npm run <name> -- …` runs it; never throws on a non-zero exit. */
function run(script: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [TSX, path.join(ROOT, 'scripts', script), ...args],
      { cwd: ROOT, timeout: 120_000, env: { ...process.env, AWS_REGION: 'us-east-1' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({
          code,
          out: stdout,
          err: stderr.replace(/^.*NodeVersionSupportWarning[\s\S]*?trace-warnings[^\n]*\n/m, ''),
        });
      },
    );
  });
}

describe.each([
  [
    'feedback.ts',
    'Usage: npm run feedback -- <command> [options]',
    'npm run feedback -- mark --local --alert',
  ],
  [
    'maintenance.ts',
    'Usage: npm run maintenance -- <command> [options]',
    'npm run maintenance -- add --local',
  ],
])('%s', (script, firstLine, example) => {
  it('--help and -h print the usage with examples, exit 0', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await run(script, flag);
      expect(r.code).toBe(0);
      expect(r.out.split('\n')[0]).toBe(firstLine);
      expect(r.out).toContain('Examples:');
      expect(r.out).toContain(example);
    }
  });

  it('an unknown option is named, with a pointer to --help', async () => {
    const r = await run(script, 'list', '--colour');
    expect(r.code).toBe(1);
    expect(r.err).toContain("Unknown option '--colour'");
    expect(r.err).toContain('Run with --help for usage');
  });

  it('no command prints the usage on stderr, exit 1', async () => {
    const r = await run(script);
    expect(r.code).toBe(1);
    expect(r.err).toContain(firstLine);
  });
});

describe('maintenance errors name the option', () => {
  it.each([
    [['add', '--local', '--id', 'w1', '--tag', 'resource'], '--tag: "resource" must be key=value'],
    [
      ['add', '--local', '--id', 'w1', '--tag', 'a=b', '--weekly', 'Someday 2'],
      '--weekly: "Someday 2" must look like',
    ],
    [
      ['add', '--local', '--id', 'w1', '--tag', 'a=b', '--weekly', 'Sun 02:00'],
      '--duration: required with --weekly',
    ],
    [['add', '--local', '--id', 'w1', '--tag', 'a=b'], '--from: an ISO time is required'],
    [
      [
        'add',
        '--local',
        '--id',
        'bad id!',
        '--tag',
        'a=b',
        '--from',
        '2026-01-01T00:00Z',
        '--to',
        '2026-01-01T01:00Z',
      ],
      '--id: must be',
    ],
    [
      [
        'add',
        '--local',
        '--id',
        'w1',
        '--tag',
        'a=b',
        '--from',
        '2026-01-01T02:00Z',
        '--to',
        '2026-01-01T01:00Z',
      ],
      '--to: end must be after start',
    ],
    [['delete', '--local'], 'Missing --id'],
    [['list'], '--table: the ControlTableName stack output (or --local for the local stack)'],
    [['list', '--table', 't', '--local'], '--table | --local/--url: not both'],
    [['purge', '--local'], 'Unknown command "purge"'],
  ])('%j', async (args, message) => {
    const r = await run('maintenance.ts', ...args);
    expect(r.code).toBe(1);
    expect(r.err).toContain(message);
  });
});

describe('maintenance --local against the local stack API', () => {
  let db: TestDynamo;
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => db.close());

  it('adds, lists and deletes windows through the local API (--url as --local would)', async () => {
    const config = parseMonitorConfig({
      series: [{ metric: 'cpu_percent', namespace: 'AWS/EC2', metricName: 'CPUUtilization' }],
    });
    const series = expandSeries(config);
    const alerts = new DynamoAlertStore({ client: db.doc, tableName: db.tables.control });
    const store = new DynamoMetricStore({ client: db.doc, tableName: db.tables.points });
    const clock = { now: () => Date.now() };
    const log = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    };
    const server = await startHttpServer(0, {
      series,
      store,
      anomalies: new MemoryAnomalyStore(),
      clock,
      alerts,
      publisher: { list: () => [] },
      api: createApiRouter({
        config,
        series,
        store,
        feedback: new DynamoFeedbackStore({ client: db.doc, tableName: db.tables.anomalies }),
        thresholds: new DynamoThresholdStore({ client: db.doc, tableName: db.tables.control }),
        alerts,
        ...readStores(db),
        clock,
        log,
        authenticate: cognitoClaims(),
      }),
      auth: { mode: 'none', user: 'local:carol' },
    });
    try {
      const url = server.url;
      const add = await run(
        'maintenance.ts',
        'add',
        '--url',
        url,
        '--id',
        'rds-main-patch',
        '--tag',
        'resource=rds-main',
        '--weekly',
        'Sun 02:00',
        '--duration',
        '90m',
        '--reason',
        'patching',
      );
      expect(add).toMatchObject({ code: 0, out: 'Saved rds-main-patch\n' });
      expect(await alerts.listWindows()).toEqual([
        {
          id: 'rds-main-patch',
          tags: { resource: 'rds-main' },
          schedule: { kind: 'weekly', dayOfWeek: 0, startMinute: 120, durationMinutes: 90 },
          reason: 'patching',
        },
      ]);
      const list = await run('maintenance.ts', 'list', '--url', url);
      expect(JSON.parse(list.out)).toEqual(await alerts.listWindows());
      expect((await run('maintenance.ts', 'delete', '--url', url, '--id', 'rds-main-patch')).out).toBe(
        'Deleted rds-main-patch\n',
      );
      expect((await run('maintenance.ts', 'delete', '--url', url, '--id', 'rds-main-patch')).out).toBe(
        'No window rds-main-patch\n',
      );
      expect(await alerts.listWindows()).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
