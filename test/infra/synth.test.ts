// The one full synth: esbuild bundles every handler locally (no Docker), exactly as `npm run synth` does,
// for the example fleet plus enough RDS instances to need two detect shards (which share one bundle).
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, type Stack } from 'aws-cdk-lib';
import { addMonitorStack } from '../../infra/app';
import { ESM_REQUIRE_BANNER, type MonitorFunction } from '../../infra/constructs/monitor-function';
import { EXAMPLE_CONFIG_FILE, PROJECT_ROOT } from '../../infra/load-config';
import { ENV } from '../../shared/config';
import { parseMonitorConfig } from '../../shared/monitor-config';

jest.setTimeout(180_000);

// The module object itself (an `import * as` namespace is a copy a spy would not reach into).
const childProcess: typeof import('node:child_process') = require('node:child_process');

const CDK_CONTEXT = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context;
const EXAMPLE = JSON.parse(readFileSync(path.join(PROJECT_ROOT, EXAMPLE_CONFIG_FILE), 'utf8'));
/** 1,800 instances × 4 metrics (none an ML drift feature) and the example's 9 series: 2 shards of 1769 MB. */
const config = parseMonitorConfig(
  {
    ...EXAMPLE,
    rds: {
      instances: Array.from({ length: 1800 }, (_, i) => ({
        id: `db-${i}`,
        metrics: ['FreeableMemory', 'ReadIOPS', 'WriteIOPS', 'SwapUsage'].map((metricName) => ({
          metric: `db_${metricName.toLowerCase()}`,
          metricName,
        })),
      })),
    },
  },
  EXAMPLE_CONFIG_FILE,
);

describe('cdk synth with bundling', () => {
  let outdir: string;
  let stack: Stack & {
    collect: MonitorFunction;
    detectShards: readonly MonitorFunction[];
    tune: MonitorFunction;
    api: MonitorFunction;
    drift: { ingest: MonitorFunction; train: MonitorFunction; check: MonitorFunction };
  };
  let template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  /** esbuild runs during the synth (NodejsFunction bundles locally through spawnSync). */
  let esbuildRuns = 0;

  beforeAll(() => {
    // Prepare
    outdir = mkdtempSync(path.join(tmpdir(), 'monitor-synth-'));
    const app = new App({ outdir, context: CDK_CONTEXT });
    const spawn = jest.spyOn(childProcess, 'spawnSync');
    stack = addMonitorStack(app, config);
    esbuildRuns = spawn.mock.calls.filter((call) => JSON.stringify(call).includes('esbuild')).length;
    spawn.mockRestore();
    // Act
    const assembly = app.synth();
    template = assembly.getStackByName(config.name).template;
  });

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  function bundleOf(job: MonitorFunction): string {
    const id = stack.getLogicalId(job.lambdaFunction.node.defaultChild as never);
    const code = template.Resources[id]?.Properties.Code as { S3Key: string };
    return path.join(outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`, 'index.mjs');
  }

  it.each(['collect', 'detect', 'tune', 'api', 'ingest-predictions', 'train-drift', 'check-drift'])(
    '%s: bundles an ESM handler with the config baked in',
    (name) => {
      // Assess
      const bundle = bundleOf(jobOf(name));
      expect(existsSync(bundle)).toBe(true);
      expect(existsSync(`${bundle}.map`)).toBe(true);
      const code = readFileSync(bundle, 'utf8');
      expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
      expect(code).not.toContain('process.env.MONITOR_CONFIG_JSON');
      expect(code).toContain('i-0123456789abcdef0');
      console.log(
        `${name} bundle: ${(statSync(bundle).size / 1024).toFixed(1)} KiB ` +
          `(+ ${(statSync(`${bundle}.map`).size / 1024).toFixed(1)} KiB source map)`,
      );
    },
  );

  it('gives each job its own asset, and every detect shard the one detect bundle (built once)', () => {
    expect(stack.detectShards).toHaveLength(2);
    const [first, ...others] = stack.detectShards.map(bundleOf);
    expect(bundleOf(stack.collect)).not.toBe(first);
    for (const other of others) expect(other).toBe(first);
    // One esbuild run per distinct bundle: the second shard reused the first one's staged asset.
    const bundled = new Set(
      Object.values(template.Resources)
        .filter((r) => r.Type === 'AWS::Lambda::Function')
        .map((r) => (r.Properties.Code as { S3Key?: string }).S3Key)
        .filter(
          (key) =>
            key !== undefined &&
            existsSync(path.join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs')),
        ),
    );
    expect(bundled.size).toBeGreaterThan(1);
    expect(esbuildRuns).toBe(bundled.size);
  });

  it('keeps the error class names the state machine retries on (errorType is the error name)', () => {
    const detect = readFileSync(bundleOf(stack.detectShards[0]!), 'utf8');
    for (const name of ['ShardIncompleteError', 'DependencyError']) expect(detect).toContain(`"${name}"`);
    expect(readFileSync(bundleOf(stack.collect), 'utf8')).toContain('"DependencyError"');
  });

  const jobOf = (name: string): MonitorFunction =>
    name === 'collect' || name === 'tune' || name === 'api'
      ? stack[name]
      : name === 'detect'
        ? stack.detectShards[0]!
        : stack.drift[name.replace('-drift', '').replace('-predictions', '') as 'ingest' | 'train' | 'check'];

  it.each(['collect', 'detect', 'tune', 'api', 'ingest-predictions', 'train-drift', 'check-drift'])(
    '%s: the bundle loads and reads its baked config, not MONITOR_CONFIG_JSON',
    (name) => {
      // Act: import the bundle as Lambda would (ESM), with the table env vars but no config env var.
      const url = pathToFileURL(bundleOf(jobOf(name))).href;
      const run = childProcess.spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(url)}); console.log(typeof m.handler);`,
        ],
        {
          encoding: 'utf8',
          env: {
            PATH: process.env.PATH,
            AWS_REGION: 'us-east-1',
            [ENV.pointsTable]: 'points-table',
            [ENV.anomaliesTable]: 'anomalies-table',
            [ENV.controlTable]: 'control-table',
            [ENV.alertTopicArn]: 'arn:aws:sns:us-east-1:123456789012:noc',
            [ENV.alertDeadLetterUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/alert-dlq',
            [ENV.predictionsTable]: 'predictions-table',
            [ENV.modelsBucket]: 'models-bucket',
            [ENV.detectorStateBucket]: 'detector-state-bucket',
            [ENV.detectShards]: '1',
            [ENV.rejectedPredictionsUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/rejected',
            [ENV.dashboardOrigin]: 'https://d111111abcdef8.cloudfront.net',
            [ENV.dashboardClientId]: 'example1client2id',
          },
        },
      );
      // Assess
      expect(run.stderr).not.toMatch(/MONITOR_CONFIG_JSON|Error/);
      expect(run.stdout.trim()).toBe('function');
    },
  );
});
