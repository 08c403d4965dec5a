// `npm run feedback` end to end: against "deployed" tables (dynalite, the SDK's endpoint override, the
// monitoring config file) and against the local stack's HTTP API.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiRouter } from '../../functions/api-routes';
import { cognitoClaims } from '../../functions/auth';
import { startHttpServer } from '../../infra/local/http-server';
import { runCli } from '../../scripts/feedback';
import { DynamoAlertStore } from '../../shared/adapters/dynamodb-alert-store';
import { DynamoAnomalyStore } from '../../shared/adapters/dynamodb-anomaly-store';
import { DynamoFeedbackStore } from '../../shared/adapters/dynamodb-feedback-store';
import { DynamoMetricStore } from '../../shared/adapters/dynamodb-metric-store';
import { DynamoThresholdStore } from '../../shared/adapters/dynamodb-threshold-store';
import { MemoryAnomalyStore } from '../../shared/adapters/memory-stores';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';
import { readStores } from '../helpers/api-deps';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';
import { handlerEnv } from '../helpers/lambda';

const MIN = 60_000;
const raw = {
  series: [
    {
      metric: 'cpu_percent',
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensions: { InstanceId: 'i-9' },
    },
  ],
};
const config = parseMonitorConfig(raw);
const spec = expandSeries(config)[0]!;
const TS = Math.floor(Date.now() / MIN) * MIN - 60 * MIN;
let db: TestDynamo;
let dir: string;

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  db = await startDynalite();
  dir = mkdtempSync(join(tmpdir(), 'feedback-cli-'));
  const file = join(dir, 'monitor.config.json');
  writeFileSync(file, JSON.stringify(raw));
  handlerEnv(db.endpoint, {}, raw);
  process.env.MONITOR_CONFIG = file;
  await new DynamoAnomalyStore({ client: db.doc, tableName: db.tables.anomalies }).record(
    [
      {
        series: spec.id,
        metric: 'cpu_percent',
        label: spec.label,
        ts: TS,
        value: 99,
        expectedLow: 1,
        expectedHigh: 9,
        baseline: 5,
        deviation: 7,
        score: 0.9,
        methods: ['zscore'],
        findings: [],
        severity: 'critical',
        level: 'CRITICAL',
        explanation: 'x',
        sensitivity: 1,
      },
    ],
    Date.now(),
  );
});
afterAll(async () => {
  delete process.env.MONITOR_CONFIG;
  rmSync(dir, { recursive: true, force: true });
  await db.close();
});

describe('feedback CLI against deployed tables', () => {
  const tables = () => [
    '--control',
    db.tables.control,
    '--anomalies',
    db.tables.anomalies,
    '--points',
    db.tables.points,
  ];

  it('marks, lists, sets, shows history, reverts and previews; --actor is recorded', async () => {
    const marked = await cli(
      'mark',
      '--series',
      spec.id,
      '--time',
      new Date(TS).toISOString(),
      '--fp',
      '--reason',
      'noise',
      ...tables(),
    );
    expect(marked).toMatchObject({ code: 0, err: '' });
    expect(marked.out).toContain(': false-positive');
    expect(marked.out).toContain('cpu_percent: FP 1, confirmed 0, threshold 0%');

    const set = await cli(
      'set',
      '--metric',
      'cpu_percent',
      '--adjustment',
      '0.2',
      '--actor',
      'ops-bob',
      ...tables(),
    );
    expect(set.out).toMatch(/^cpu_percent: 0% → \+20% \(manual, entry \d{13}-cpu_percent-1\)$/);
    const history = await cli('history', ...tables());
    expect(history.out).toContain('manual  by ops-bob');
    const id = /entry (\S+)\)/.exec(set.out)![1]!;
    const reverted = await cli('revert', '--id', id, ...tables());
    expect(reverted.out).toMatch(/^cpu_percent: \+20% → 0% \(revert/);
    const thresholds = await cli('thresholds', ...tables());
    expect(thresholds.out).toMatch(/^cpu_percent\s+0% {2}sensitivity ×1 {2}FP 1/);
    const preview = await cli('preview', '--metric', 'cpu_percent', '--adjustment', '0.3', ...tables());
    expect(preview.code).toBe(0);
    expect(preview.out).toContain('current      0%: 0 pages');
  });

  it('prints the API error naming the field and exits 1', async () => {
    const bad = await cli('mark', '--series', spec.id, '--time', String(TS + 1), '--confirm', ...tables());
    expect(bad).toMatchObject({ code: 1, out: '' });
    expect(bad.err).toMatch(/^404: No anomaly of series .* \(ts\)$/);
    const long = await cli(
      'mark',
      '--series',
      spec.id,
      '--time',
      String(TS),
      '--fp',
      '--reason',
      'x'.repeat(501),
      ...tables(),
    );
    expect(long.err).toMatch(/^400: .* \(reason\)/);
    expect((await cli('history')).err).toContain('--control');
  });
});

describe('feedback CLI against the local stack', () => {
  it('talks to the local API with --local --url', async () => {
    const thresholds = new DynamoThresholdStore({ client: db.doc, tableName: db.tables.control });
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
      series: [spec],
      store,
      anomalies: new MemoryAnomalyStore(),
      clock,
      alerts,
      publisher: { list: () => [] },
      api: createApiRouter({
        config,
        series: [spec],
        store,
        feedback: new DynamoFeedbackStore({ client: db.doc, tableName: db.tables.anomalies }),
        thresholds,
        alerts,
        ...readStores(db),
        clock,
        log,
        authenticate: cognitoClaims(),
      }),
      auth: { mode: 'none', user: 'local:carol' },
    });
    try {
      const r = await cli(
        'mark',
        '--series',
        spec.id,
        '--time',
        String(TS),
        '--confirm',
        '--local',
        '--url',
        server.url,
      );
      expect(r).toMatchObject({ code: 0, err: '' });
      expect(r.out).toContain('cpu_percent: FP 0, confirmed 1');
      const tune = await cli('tune', '--local', '--url', server.url, '--json');
      expect(JSON.parse(tune.out)).toMatchObject({ metrics: [{ metric: 'cpu_percent' }] });
    } finally {
      await server.close();
    }
  });
});

describe('feedback CLI: over HTTP to the local stack', () => {
  it('sends the staff ID token as a bearer token: --token, else DRIFT_SENTINEL_TOKEN', async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"items":[]}');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const quiet = { out: () => undefined, err: () => undefined };
    try {
      expect(
        await runCli(['history', '--url', url], { ...quiet, env: { DRIFT_SENTINEL_TOKEN: 'a.b.c' } }),
      ).toBe(0);
      expect(await runCli(['history', '--url', url, '--token', 'd.e.f'], { ...quiet, env: {} })).toBe(0);
      expect(await runCli(['history', '--url', url], { ...quiet, env: {} })).toBe(0);
    } finally {
      server.close();
    }
    expect(seen).toEqual(['Bearer a.b.c', 'Bearer d.e.f', undefined]);
  });
});
