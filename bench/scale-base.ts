// bench:scale's base memory of a detect function before any series: bundle functions/detect.ts as the
// stack does (esbuild, ESM, minified, the fleet's config baked in), load it in a fresh Node with the
// Lambda environment set (module init builds the clients, parses the config, expands the series), and
// read the heap and RSS after a full GC. The config is part of it: every shard holds the whole fleet's.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import type { MonitorConfig } from '../shared/monitor-config';

/** Memory of a loaded detect bundle, no series evaluated yet. */
export interface BaseMemory {
  readonly heapUsedBytes: number;
  readonly arrayBuffersBytes: number;
  readonly rssBytes: number;
  readonly bundleBytes: number;
}

const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/**
 * Bundle the detect handler with `config` baked in and measure it loaded (a few seconds).
 */
export async function measureBaseMemory(
  config: MonitorConfig,
  projectRoot = process.cwd(),
): Promise<BaseMemory> {
  const dir = mkdtempSync(path.join(tmpdir(), 'scale-base-'));
  try {
    const bundle = path.join(dir, 'detect.mjs');
    const built = await build({
      entryPoints: [path.join(projectRoot, 'functions/detect.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      mainFields: ['module', 'main'],
      banner: { js: ESM_REQUIRE_BANNER },
      minify: true,
      outfile: bundle,
      define: { 'process.env.MONITOR_CONFIG_JSON': JSON.stringify(JSON.stringify(config)) },
      logLevel: 'silent',
      metafile: true,
    });
    const bundleBytes = Object.values(built.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
    const probe = path.join(dir, 'probe.mjs');
    writeFileSync(
      probe,
      [
        `await import(${JSON.stringify(bundle)});`,
        'globalThis.gc(); await new Promise((r) => setImmediate(r)); globalThis.gc();',
        'const m = process.memoryUsage();',
        'process.stdout.write(JSON.stringify({ heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, rss: m.rss }));',
      ].join('\n'),
    );
    const out = execFileSync(process.execPath, ['--expose-gc', probe], {
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
        POWERTOOLS_SERVICE_NAME: 'detect',
        POWERTOOLS_METRICS_NAMESPACE: config.name,
        POWERTOOLS_TRACE_ENABLED: 'false',
        LOG_LEVEL: 'INFO',
        POINTS_TABLE: 'bench-points',
        ANOMALIES_TABLE: 'bench-anomalies',
        CONTROL_TABLE: 'bench-control',
        ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:bench-alerts',
        ALERT_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench-dlq',
        DETECTOR_STATE_BUCKET: 'bench-detector-state',
      },
      encoding: 'utf8',
      maxBuffer: 1 << 20,
      // The SDK's Node-version notice and the like: not this measurement's business.
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const m = JSON.parse(out.slice(out.lastIndexOf('{'))) as {
      heapUsed: number;
      arrayBuffers: number;
      rss: number;
    };
    return { heapUsedBytes: m.heapUsed, arrayBuffersBytes: m.arrayBuffers, rssBytes: m.rss, bundleBytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
