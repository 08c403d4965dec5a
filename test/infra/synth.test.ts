// The one full synth: esbuild bundles both handlers locally (no Docker), exactly as `npm run synth` does.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, type Stack } from 'aws-cdk-lib';
import { addMonitorStack } from '../../infra/app';
import { ESM_REQUIRE_BANNER, type MonitorFunction } from '../../infra/constructs/monitor-function';
import { EXAMPLE_CONFIG_FILE, PROJECT_ROOT } from '../../infra/load-config';
import { ENV } from '../../shared/config';
import { parseMonitorConfigJson } from '../../shared/monitor-config';

jest.setTimeout(180_000);

const CDK_CONTEXT = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context;
const config = parseMonitorConfigJson(
  readFileSync(path.join(PROJECT_ROOT, EXAMPLE_CONFIG_FILE), 'utf8'),
  EXAMPLE_CONFIG_FILE,
);

describe('cdk synth with bundling', () => {
  let outdir: string;
  let stack: Stack & {
    collect: MonitorFunction;
    detect: MonitorFunction;
    tune: MonitorFunction;
    api: MonitorFunction;
    drift: { ingest: MonitorFunction; train: MonitorFunction; check: MonitorFunction };
  };
  let template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

  beforeAll(() => {
    // Prepare
    outdir = mkdtempSync(path.join(tmpdir(), 'monitor-synth-'));
    const app = new App({ outdir, context: CDK_CONTEXT });
    stack = addMonitorStack(app, config);
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

  it('gives each job its own asset', () => {
    expect(bundleOf(stack.collect)).not.toBe(bundleOf(stack.detect));
  });

  const jobOf = (name: string): MonitorFunction =>
    name === 'collect' || name === 'detect' || name === 'tune' || name === 'api'
      ? stack[name]
      : stack.drift[name.replace('-drift', '').replace('-predictions', '') as 'ingest' | 'train' | 'check'];

  it.each(['collect', 'detect', 'tune', 'api', 'ingest-predictions', 'train-drift', 'check-drift'])(
    '%s: the bundle loads and reads its baked config, not MONITOR_CONFIG_JSON',
    (name) => {
      // Act: import the bundle as Lambda would (ESM), with the table env vars but no config env var.
      const url = pathToFileURL(bundleOf(jobOf(name))).href;
      const run = spawnSync(
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
