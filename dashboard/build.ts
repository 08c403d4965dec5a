// (build) the staff dashboard bundle: dashboard/src/main.ts → app.js (one minified IIFE: the CSP allows
// only same-origin scripts, nothing inline), the CSS it imports (uPlot's and style.css) → app.css, and
// index.html. No config.json: that is written at deploy (CDK) or served by the local stack.
// Called by the CDK hosting construct at synth, by the local stack, by the browser tests and the bench.
// Run: npm run build:dashboard [-- --out-dir <dir>] [--no-minify] [--sourcemap]
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const HERE = __dirname;

/** Where the bundle goes by default (gitignored). */
export const DEFAULT_OUT_DIR = join(HERE, 'dist');

export interface BuildOptions {
  /** @default dashboard/dist */
  readonly outDir?: string;
  /** @default true */
  readonly minify?: boolean;
  /** Write app.js.map / app.css.map next to the bundle. @default false */
  readonly sourcemap?: boolean;
}

export interface BuiltFile {
  /** Relative to outDir, e.g. `app.js`. */
  readonly path: string;
  readonly bytes: number;
  /** Size after gzip -9: what a compressing CDN sends. */
  readonly gzipBytes: number;
}

export interface BuildResult {
  readonly outDir: string;
  readonly files: BuiltFile[];
}

/** Write through a temporary name and rename: a server reading the file never sees half of it. */
async function writeAtomic(path: string, contents: Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, contents);
  await rename(tmp, path);
}

/**
 * Bundle the dashboard into `outDir`: index.html, app.js, app.css (and maps with `sourcemap`).
 * @returns the files written with their raw and gzip sizes
 */
export async function buildDashboard(opts: BuildOptions = {}): Promise<BuildResult> {
  const outDir = resolve(opts.outDir ?? DEFAULT_OUT_DIR);
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: [join(HERE, 'src/main.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    outfile: join(outDir, 'app.js'),
    minify: opts.minify ?? true,
    sourcemap: opts.sourcemap ? 'linked' : false,
    legalComments: 'eof',
    charset: 'utf8',
    write: false,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const outputs = result.outputFiles.map((f) => ({ path: f.path, contents: f.contents }));
  outputs.push({ path: join(outDir, 'index.html'), contents: await readFile(join(HERE, 'index.html')) });
  const files: BuiltFile[] = [];
  for (const f of outputs) {
    await writeAtomic(f.path, f.contents);
    files.push({
      path: relative(outDir, f.path),
      bytes: f.contents.byteLength,
      gzipBytes: gzipSync(f.contents, { level: 9 }).byteLength,
    });
  }
  files.sort((a, b) => a.path.localeCompare(b.path));
  return { outDir, files };
}

/** The size table the CLI prints. */
export function formatSizes(r: BuildResult): string {
  const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;
  const rows = r.files.map((f) => [f.path, kb(f.bytes), kb(f.gzipBytes)]);
  const total = r.files.reduce((s, f) => ({ b: s.b + f.bytes, g: s.g + f.gzipBytes }), { b: 0, g: 0 });
  rows.push(['total', kb(total.b), kb(total.g)]);
  const widths = [0, 1, 2].map((i) =>
    Math.max(...[['file', 'raw', 'gzip'], ...rows].map((row) => row[i]!.length)),
  );
  const line = (row: string[]): string =>
    row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(['file', 'raw', 'gzip']), ...rows.map(line)].join('\n');
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      'out-dir': { type: 'string' },
      'no-minify': { type: 'boolean', default: false },
      sourcemap: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
  });
  const started = Date.now();
  buildDashboard({
    ...(values['out-dir'] ? { outDir: values['out-dir'] } : {}),
    minify: !values['no-minify'],
    sourcemap: values.sourcemap,
  })
    .then((r) => {
      if (values.quiet) {
        console.log(
          `Dashboard built in ${Date.now() - started} ms: ${relative(process.cwd(), r.outDir) || '.'}/`,
        );
      } else {
        console.log(`Dashboard built in ${Date.now() - started} ms → ${r.outDir}\n${formatSizes(r)}`);
      }
    })
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
