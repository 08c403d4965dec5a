// Dashboard first-load benchmark: the local stack seeded with 55 demo series (plus the host's own) × 24 h
// of 1-minute points and ~200 anomalies (`npm start -- --seed-demo`), Debian's Chromium headless at 1280×800 with the HTTP cache
// cleared, signed in as the seeded staff user. Measures the time from loading the page until the first
// view (health) and then all six views have rendered from data (each opened from the navigation, as a
// user would), the bytes transferred on the wire, and the JS bundle size (raw and gzip).
// Targets (issue #7): all views under 1 s, bundle under 300 KB gzipped.
// Run: npm run bench:dashboard [-- --runs 5 --stack local|fixture]
//   --stack fixture: the test fixture API (test/helpers/browser.ts) with the same data volume, no stack.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildDashboard, DEFAULT_OUT_DIR } from '../dashboard/build';
import {
  type DashboardView,
  DemoWorld,
  launchChromium,
  openView,
  signIn,
  startFixtureServer,
  startLocalStack,
  VIEWS,
  waitForView,
} from '../test/helpers/browser';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    stack: { type: 'string', default: 'local' },
  },
});
const RUNS = Number(values.runs);
const STACK = values.stack;
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 50)
  throw new Error('--runs must be an integer from 1 to 50');
if (STACK !== 'local' && STACK !== 'fixture') throw new Error('--stack must be local or fixture');

interface Run {
  firstViewMs: number;
  allViewsMs: number;
  perViewMs: Record<string, number>;
  /** From the page's performance marks (no harness overhead). */
  inPage: Record<DashboardView, number>;
  inPageAllMs: number;
  bytes: { total: number; app: number; api: number; other: number; requests: number };
  tiles: number;
  anomalies: number;
}

/**
 * Runs in the page (as source text: tsx's helpers do not exist there). Opens each view from its
 * navigation link and resolves when it is rendered; returns milliseconds per view.
 */
const OPEN_VIEWS_IN_PAGE = `async (views) => {
  const out = {};
  const main = document.querySelector('main');
  for (const view of views) {
    const v0 = performance.now();
    await new Promise((done) => {
      const ready = () =>
        main.dataset.view === view &&
        main.dataset.state === 'ready' &&
        (view !== 'anomalies' || document.querySelector('.chart canvas, .chart .empty') !== null);
      const observer = new MutationObserver(() => {
        if (ready()) {
          observer.disconnect();
          done();
        }
      });
      observer.observe(main, { attributes: true, childList: true, subtree: true });
      document.querySelector('nav a[data-view="' + view + '"]').click();
    });
    out[view] = performance.now() - v0;
  }
  return out;
}`;

const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  // The local stack serves dashboard/dist; the fixture serves a private copy.
  const fixtureDist = STACK === 'fixture' ? mkdtempSync(join(tmpdir(), 'ds-bench-dist-')) : undefined;
  const built = await buildDashboard({ outDir: fixtureDist ?? DEFAULT_OUT_DIR });
  const js = built.files.find((f) => f.path === 'app.js')!;
  const all = built.files.reduce((s, f) => ({ raw: s.raw + f.bytes, gz: s.gz + f.gzipBytes }), {
    raw: 0,
    gz: 0,
  });

  let url: string;
  let user: { username: string; password: string };
  let stop: () => Promise<void>;
  if (STACK === 'fixture') {
    const world = new DemoWorld({ series: 50, anomalies: 200, hours: 24 });
    const users = { staff: { password: 'bench-Pass-1', groups: ['staff'] } };
    const server = await startFixtureServer({ distDir: fixtureDist!, users, world });
    url = server.url;
    user = { username: 'staff', password: users.staff.password };
    stop = async () => {
      await server.close();
      rmSync(fixtureDist!, { recursive: true, force: true });
    };
  } else {
    console.log('Starting the local stack (npm start -- --seed-demo)…');
    const stack = await startLocalStack();
    url = stack.url;
    user = stack.staff;
    stop = stack.stop;
  }

  const browser = await launchChromium();
  const runs: Run[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      // Sign in once (user time is not page time), then measure a cold reload with the session kept.
      await page.goto(url);
      await page.waitForSelector('form.signin #username, main[data-view]');
      if (await page.$('form.signin #username')) await signIn(page, user.username, user.password);
      await waitForView(page, 'health', 60_000);

      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.clearBrowserCache');
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
      const urls = new Map<string, string>();
      const bytes = { total: 0, app: 0, api: 0, other: 0, requests: 0 };
      cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
      cdp.on('Network.loadingFinished', (e) => {
        const u = new URL(urls.get(e.requestId) ?? url);
        bytes.total += e.encodedDataLength;
        bytes.requests++;
        if (u.pathname.startsWith('/api/')) bytes.api += e.encodedDataLength;
        else if (/\/(app\.js|app\.css|index\.html|)$/.test(u.pathname)) bytes.app += e.encodedDataLength;
        else bytes.other += e.encodedDataLength;
      });

      await page.evaluate(() => window.location.replace('#/health'));
      const t0 = Date.now();
      await page.reload();
      await waitForView(page, 'health', 60_000);
      const firstViewMs = Date.now() - t0;
      // The other views are opened from inside the page (a click on the navigation link, then wait for
      // the view's ready state with a MutationObserver), so no automation round trip sits between them.
      const perViewMs = (await page.evaluate(
        `(${OPEN_VIEWS_IN_PAGE})(${JSON.stringify(VIEWS.slice(1))})`,
      )) as Record<string, number>;
      perViewMs.health = firstViewMs;
      const allViewsMs = Date.now() - t0;
      // In-page times from the app's performance marks: navigation start → health ready, then each
      // view's start → ready.
      const marks = await page.evaluate(() =>
        performance.getEntriesByType('mark').map((m) => ({ name: m.name, t: m.startTime })),
      );
      const last = (name: string): number => {
        const found = marks.filter((m) => m.name === name).at(-1);
        if (!found) throw new Error(`No performance mark ${name}`);
        return found.t;
      };
      const inPage = { health: last('ds:view-ready:health') } as Record<DashboardView, number>;
      for (const view of VIEWS.slice(1))
        inPage[view] = last(`ds:view-ready:${view}`) - last(`ds:view-start:${view}`);
      const inPageAllMs = VIEWS.reduce((sum, v) => sum + inPage[v], 0);
      // Wait for late responses (none expected) before reading the byte counters.
      await page.waitForLoadState('networkidle');
      await openView(page, 'health');
      const tiles = await page.$$eval('.tile', (t) => t.length);
      await openView(page, 'anomalies');
      const anomalies = Number(
        (
          /^([\d,]+) anomalies/.exec((await page.textContent('#list-title ~ .summary')) ?? '')?.[1] ?? '0'
        ).replace(/,/g, ''),
      );
      runs.push({
        firstViewMs,
        allViewsMs,
        perViewMs,
        inPage,
        inPageAllMs,
        bytes: { ...bytes },
        tiles,
        anomalies,
      });
      await context.close();
      process.stdout.write(
        `run ${i + 1}/${RUNS}: all views ${Math.round(inPageAllMs)} ms in page, ${allViewsMs} ms wall, ${kb(bytes.total)}\n`,
      );
    }
  } finally {
    await browser.close();
    await stop();
  }

  const col = (k: (r: Run) => number): { med: number; max: number } => ({
    med: median(runs.map(k)),
    max: Math.max(...runs.map(k)),
  });
  const ms = (x: number): string => `${Math.round(x)} ms`;
  const first = col((r) => r.inPage.health);
  const allIn = col((r) => r.inPageAllMs);
  const allV = col((r) => r.allViewsMs);
  const total = col((r) => r.bytes.total);
  const app = col((r) => r.bytes.app);
  const api = col((r) => r.bytes.api);
  const rows: [string, string, string, string][] = [
    ['health (page load → rendered)', ms(first.med), ms(first.max), ''],
    ...VIEWS.slice(1).map((v): [string, string, string, string] => {
      const c = col((r) => r.inPage[v]);
      return [`  + ${v} (click → rendered)`, ms(c.med), ms(c.max), ''];
    }),
    ['all 6 views rendered (sum)', ms(allIn.med), ms(allIn.max), '< 1000 ms'],
    ['  wall clock (bench process)', ms(allV.med), ms(allV.max), ''],
    ['bytes transferred (all views)', kb(total.med), kb(total.max), ''],
    ['  of which page + bundle', kb(app.med), kb(app.max), ''],
    ['  of which API JSON', kb(api.med), kb(api.max), ''],
    ['JS bundle app.js (raw)', kb(js.bytes), '', ''],
    ['JS bundle app.js (gzip)', kb(js.gzipBytes), '', '< 300 KB'],
    ['all static files (raw / gzip)', `${kb(all.raw)} / ${kb(all.gz)}`, '', ''],
  ];
  const w = [0, 1, 2, 3].map((i) =>
    Math.max(...[['', 'median', 'max', 'target'], ...rows].map((r) => r[i]!.length)),
  );
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('   ');
  const tiles = runs[0]!.tiles;
  const anomalies = runs[0]!.anomalies;
  console.log(
    `\nDashboard first load — ${STACK === 'local' ? 'local stack (npm start --seed-demo)' : 'fixture API'}: ${tiles} series tiles, ${anomalies} anomalies in 24 h; Chromium headless 1280×800, HTTP cache cleared, ${RUNS} runs`,
  );
  console.log(line(['', 'median', 'max', 'target']));
  for (const r of rows) console.log(line(r));
  const ok = allIn.med < 1000 && js.gzipBytes < 300 * 1024;
  console.log(ok ? '\nTargets met.' : '\nTARGET MISSED.');
  if (!ok) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
