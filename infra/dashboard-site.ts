// (infra) the staff dashboard's static site, as both the CDK hosting construct and the local server serve
// it: built by the SPA's own `dashboard/build.ts` (esbuild) into `dashboard/dist`; until that file exists,
// the placeholder page in `dashboard/` is served instead. Also the one Content-Security-Policy both use,
// so what passes the local stack's CSP passes CloudFront's.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ValidationError } from '../shared/errors';

/** `dashboard/` (the placeholder page until the SPA lands; the SPA's sources after). */
export const DASHBOARD_DIR = resolve(__dirname, '../dashboard');
/** Where `buildDashboard()` writes the site by default. */
export const DASHBOARD_DIST = join(DASHBOARD_DIR, 'dist');
/** The SPA branch's build script (the contract: `buildDashboard(opts?)`). */
export const DASHBOARD_BUILD_SCRIPT = join(DASHBOARD_DIR, 'build.ts');

/** Files of `dashboard/` that are sources, never served or deployed. */
export const SOURCE_EXCLUDES = [
  'dist',
  'dist/**',
  'src',
  'src/**',
  '*.ts',
  'node_modules',
  'node_modules/**',
  // A build running beside synth (the e2e tests rebuild the site) writes through `<file>.<pid>.<rnd>.tmp`
  // and renames: a staged copy must never pick up (or trip over) such a file.
  '*.tmp',
  '**/*.tmp',
];

/** What `dashboard/build.ts` exports (DASHBOARD-CONTRACT.md). */
export type BuildDashboard = (opts?: { outDir?: string; minify?: boolean }) => Promise<{
  outDir: string;
  files: { path: string; bytes: number; gzipBytes: number }[];
}>;

/** The site directory to serve or deploy. */
export interface DashboardSite {
  readonly dir: string;
  /** True when this is the placeholder page (no `dashboard/build.ts` yet). */
  readonly placeholder: boolean;
  /** Files the build wrote, when it ran now. */
  readonly built?: Awaited<ReturnType<BuildDashboard>>['files'];
}

/** Load `buildDashboard` from `dashboard/build.ts`, or undefined while the SPA has not landed. */
export async function loadDashboardBuilder(
  script = DASHBOARD_BUILD_SCRIPT,
): Promise<BuildDashboard | undefined> {
  if (!existsSync(script)) return undefined;
  const mod = (await import(script)) as { buildDashboard?: unknown };
  if (typeof mod.buildDashboard !== 'function') {
    throw new ValidationError(`${script} does not export buildDashboard()`, [
      'buildDashboard: an async function (DASHBOARD-CONTRACT.md)',
    ]);
  }
  return mod.buildDashboard as BuildDashboard;
}

/**
 * The site: build it with `dashboard/build.ts` when that exists (`when: 'always'`, or `'if-missing'`: only
 * when `dist/index.html` is absent), else the placeholder directory.
 */
export async function prepareDashboard(
  options: {
    readonly when?: 'always' | 'if-missing';
    readonly script?: string;
    readonly outDir?: string;
  } = {},
): Promise<DashboardSite> {
  const build = await loadDashboardBuilder(options.script);
  if (!build) return { dir: DASHBOARD_DIR, placeholder: true };
  const outDir = options.outDir ?? DASHBOARD_DIST;
  if ((options.when ?? 'always') === 'if-missing' && existsSync(join(outDir, 'index.html'))) {
    return { dir: outDir, placeholder: false };
  }
  const result = await build({ outDir, minify: true });
  return { dir: result.outDir, placeholder: false, built: result.files };
}

/**
 * Without building: `dashboard/dist` when it holds a built site, else the placeholder (CDK assertion tests
 * synthesize without building; `cdk synth` builds first, see infra/app.ts).
 */
export function currentDashboardDir(): string {
  return existsSync(join(DASHBOARD_DIST, 'index.html')) ? DASHBOARD_DIST : DASHBOARD_DIR;
}

/**
 * The dashboard's Content-Security-Policy: scripts and styles only from the site itself (no inline
 * scripts, no eval), no framing, no plugins; `connect` names the other origins the page may call (the API
 * and Cognito in AWS; none locally, where both are proxied on the same origin).
 */
export function dashboardCsp(connect: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${["'self'", ...connect].join(' ')}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
