// The staff dashboard in Debian's Chromium against the fixture API (test/helpers/browser.ts): the built
// bundle under the local stack's CSP, password sign-in (a fake cognito-local), every view populated,
// a false-positive mark made with the keyboard and its count change, the XSS label shown as text, the
// non-staff refusal, token renewal, settings actions, the phone layout and auto-refresh.
// Screenshots: test-output/dashboard/fixture-*.png. The same flows against the real local stack:
// dashboard-local.test.ts.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildDashboard } from '../../dashboard/build';
import {
  type FixtureServer,
  launchChromium,
  openView,
  type PageProblems,
  signIn,
  startFixtureServer,
  VIEWS,
  waitForView,
  watchPage,
  XSS_LABEL,
} from '../helpers/browser';

jest.setTimeout(60_000);

const SHOTS = resolve(__dirname, '../../test-output/dashboard');
const USERS = {
  staff: { password: 'Staff-Pass-1!', groups: ['staff'] },
  viewer: { password: 'Viewer-Pass-1!', groups: ['readers'] },
};

let dist: string;
let browser: Browser;
let server: FixtureServer;

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), 'ds-dist-'));
  mkdirSync(SHOTS, { recursive: true });
  await buildDashboard({ outDir: dist });
  browser = await launchChromium();
  server = await startFixtureServer({ distDir: dist, users: USERS });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dist, { recursive: true, force: true });
});

async function staffPage(
  viewport = { width: 1280, height: 800 },
  url = server.url,
): Promise<{ context: BrowserContext; page: Page; problems: PageProblems }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto(url);
  await signIn(page, 'staff', USERS.staff.password);
  await waitForView(page, 'health');
  return { context, page, problems };
}

const text = async (page: Page, selector: string): Promise<string> =>
  (await page.textContent(selector))?.trim() ?? '';

describe('staff dashboard (fixture API)', () => {
  it('signs in as staff and shows every view populated, without a console error or dialog', async () => {
    // Prepare
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const problems = watchPage(page);
    await page.goto(server.url);

    // Act: a wrong password first, then the right one
    await signIn(page, 'staff', 'wrong');
    await page.waitForSelector('#signin-error:has-text("Incorrect username or password.")');
    // Chromium logs the refused InitiateAuth (HTTP 400) as a console error: expected here, and only here.
    expect(problems.errors).toEqual([expect.stringContaining('400 (Bad Request)')]);
    problems.errors.length = 0;
    await signIn(page, 'staff', USERS.staff.password);
    await waitForView(page, 'health');

    // Assess: each view from its navigation link, with data in it
    expect(await text(page, '.user-name')).toBe('staff');
    expect(await page.$$eval('.tile', (t) => t.length)).toBe(50);
    expect(await page.$$eval('.tile.state-anomalous', (t) => t.length)).toBeGreaterThan(0);
    expect(await page.$$eval('.tile.state-no-data', (t) => t.length)).toBe(1);
    expect(await page.$$eval('.tile svg.spark polyline', (t) => t.length)).toBe(49);
    await page.screenshot({ path: join(SHOTS, 'fixture-health.png') });

    await openView(page, 'anomalies');
    await page.waitForSelector('.chart canvas');
    expect(await text(page, '#list-title ~ .summary')).toMatch(
      /^200 anomalies across \d+ series, newest first; the newest 50 are listed\.$/,
    );
    expect(await page.$$eval('tr[data-key]', (r) => r.length)).toBe(50);
    expect(await page.$$eval('.counts tr[data-metric]', (r) => r.length)).toBe(5);
    expect(await text(page, '.anomaly-list')).toContain('expected');
    expect(
      await page.$$eval('tr[data-key] .badge.sev', (b) => new Set(b.map((x) => x.textContent)).size),
    ).toBeGreaterThan(1);
    await page.screenshot({ path: join(SHOTS, 'fixture-anomalies.png') });
    await page.click('#show-more');
    expect(await page.$$eval('tr[data-key]', (r) => r.length)).toBe(100);
    expect(await page.evaluate(() => document.activeElement?.closest('tr')?.rowIndex)).toBe(51);

    await openView(page, 'models');
    expect(await page.$$eval('tr[data-model]', (r) => r.length)).toBe(3);
    expect(await text(page, 'tr[data-model="fraud-score"]')).toMatch(
      /86,400.*590,000.*71\.0%.*86\.0%.*drift/,
    );
    await page.screenshot({ path: join(SHOTS, 'fixture-models.png') });

    await openView(page, 'drift');
    expect(await text(page, '.card[data-model="fraud-score"]')).toMatch(
      /K-S statistic0\.183.*p-value1\.0e-14.*43,200 vs 2,880/,
    );
    expect(await text(page, '.card[data-subject="infra"]')).toMatch(
      /Anomaly rate0\.29%.*Expected rate0\.50%/,
    );
    await page.screenshot({ path: join(SHOTS, 'fixture-drift.png') });

    await openView(page, 'alerts');
    const summary = server.world.alerts(server.world.now - 86_400_000, server.world.now).summary;
    expect(await text(page, '[data-kpi="anomalies"]')).toBe('200');
    expect(await text(page, '[data-kpi="conversion"]')).toBe(`${(summary.conversionRate * 100).toFixed(1)}%`);
    expect(await text(page, 'tr[data-outcome="rateLimited"] td.num')).toBe(String(summary.rateLimited));
    expect(await page.$$eval('tr[data-alert]', (r) => r.length)).toBeGreaterThan(0);
    // "Undo" only on alerts with a labelled anomaly (issue 16): not on every row.
    const undo = await page.$$eval(
      'tr[data-alert] button',
      (b) => b.filter((x) => x.textContent === 'Undo').length,
    );
    expect(undo).toBeLessThan(await page.$$eval('tr[data-alert]', (r) => r.length));
    await page.screenshot({ path: join(SHOTS, 'fixture-alerts.png') });

    await openView(page, 'settings');
    expect(await page.$$eval('tr[data-metric]', (r) => r.length)).toBe(5);
    expect(await page.$$eval('tr[data-change]', (r) => r.length)).toBe(1);
    expect(await text(page, 'tr[data-window="db-patching"]')).toContain(
      'Every Sunday at 02:00 UTC for 1 h 30 min',
    );
    await page.screenshot({ path: join(SHOTS, 'fixture-settings.png') });

    expect(problems.errors).toEqual([]);
    expect(problems.dialogs).toEqual([]);
    await context.close();
  });

  it('shows a series label that looks like HTML as literal text everywhere', async () => {
    // Prepare
    const { context, page, problems } = await staffPage();

    // Act: the label is on a tile, in the chart title and table (its anomaly is the newest), and a model name
    const tileLabels = await page.$$eval('.tile-label', (els) => els.map((e) => e.textContent));
    await openView(page, 'anomalies');
    await page.waitForSelector('.chart canvas');
    const chartTitle = await text(page, '#chart-title');
    const firstRowLabel = await text(page, 'tr[data-key] .series-label');
    await openView(page, 'drift');
    const modelTitles = await page.$$eval('.card-title', (els) => els.map((e) => e.textContent));

    // Assess
    expect(tileLabels).toContain(XSS_LABEL);
    expect(chartTitle).toBe(`Chart: ${XSS_LABEL}`);
    expect(firstRowLabel).toBe(XSS_LABEL);
    expect(modelTitles.some((t) => t?.includes(`model ${XSS_LABEL}`))).toBe(true);
    expect(await page.$$eval('img', (i) => i.length)).toBe(0);
    expect(problems.dialogs).toEqual([]);
    expect(problems.errors).toEqual([]);
    await context.close();
  });

  it('marks a false positive with the keyboard, shows the count change, and undoes it', async () => {
    // Prepare
    const { context, page, problems } = await staffPage();
    await openView(page, 'anomalies');
    const row = page.locator('tr[data-key]').nth(1);
    const metric = (await row.getAttribute('data-metric'))!;
    const series = (await row.getAttribute('data-series'))!;
    const fpCell = `.counts tr[data-metric="${metric}"] td[data-count="falsePositives"]`;
    const before = Number(await text(page, fpCell));

    // Act: focus the row's button, Enter opens the reason field, typing + Enter saves
    await row.locator('button[data-action="false-positive"]').focus();
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.classList.contains('reason'))).toBe(true);
    await page.keyboard.type('deploy restarted the pool');
    await page.keyboard.press('Enter');
    await page.waitForSelector(`.feedback-result:has-text("false positives ${before} → ${before + 1}")`);

    // Assess: the count, the row, the request, and where focus went
    expect(Number(await text(page, fpCell))).toBe(before + 1);
    const marked = page.locator(`tr[data-key][data-series="${series}"].marked-false-positive`).first();
    expect(await marked.locator('td.feedback').textContent()).toContain('false positive by fixture-staff');
    expect(await marked.locator('td.feedback').textContent()).toContain('deploy restarted the pool');
    expect(server.bodies.at(-1)).toEqual({
      series,
      ts: expect.any(Number),
      label: 'false-positive',
      reason: 'deploy restarted the pool',
    });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Undo');
    expect(await text(page, '#status')).toContain(`false positives ${before} → ${before + 1}`);
    await page.screenshot({ path: join(SHOTS, 'fixture-anomalies-marked.png') });

    // Act: undo with the keyboard
    await page.keyboard.press('Enter');
    await page.waitForSelector(`.feedback-result:has-text("Mark removed")`);

    // Assess
    expect(Number(await text(page, fpCell))).toBe(before);
    expect(problems.errors).toEqual([]);
    await context.close();
  });

  it('draws what moved in drift: score CDFs, K-S and accuracy per run, the infra rate per run (issue 16)', async () => {
    // Prepare / Act
    const { context, page, problems } = await staffPage();
    await openView(page, 'drift');

    // Assess: the drifting model has its three pictures, the infra card its trend
    const card = page.locator('[data-model="fraud-score"]');
    expect(await card.locator('svg.cdf polyline').count()).toBe(2);
    expect(await card.locator('svg.mini-chart').count()).toBe(3);
    expect(await page.locator('[data-subject="infra"] svg.mini-chart').count()).toBe(1);
    // A model without quantiles or history draws none, and the view still renders.
    expect(await page.locator('[data-model="churn-v3"] svg.mini-chart').count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'fixture-drift-pictures.png'), fullPage: true });
    expect(problems.errors).toEqual([]);
    await context.close();
  });

  it('moves focus to the heading on navigation and keeps controls reachable by keyboard', async () => {
    const { context, page } = await staffPage();
    // A tile is a link to its series' timeline.
    const tile = page.locator('.tile[data-series="Demo/cpu_percent/host=web-02"] a');
    await tile.focus();
    await page.keyboard.press('Enter');
    await waitForView(page, 'anomalies');
    await page.waitForSelector('.chart canvas');
    expect(await text(page, '#chart-title')).toBe('Chart: web-02 CPU');
    expect(await page.$eval('#f-series', (s) => (s as HTMLSelectElement).value)).toBe(
      'Demo/cpu_percent/host=web-02',
    );
    expect(
      await page.$$eval('tr[data-key]', (r) => new Set(r.map((x) => x.getAttribute('data-series'))).size),
    ).toBe(1);

    await page.focus('nav a[data-view="models"]');
    await page.keyboard.press('Enter');
    await waitForView(page, 'models');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('ML model performance');
    expect(await page.getAttribute('nav a[data-view="models"]', 'aria-current')).toBe('page');
    // Every interactive element is a real control (buttons, links, inputs), none is a clickable div.
    expect(await page.$$eval('[onclick], div[tabindex="0"]:not(.table-wrap)', (e) => e.length)).toBe(0);
    await context.close();
  });

  it('refuses a signed-in user outside the staff group and lets them sign out', async () => {
    // Prepare
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const problems = watchPage(page);
    await page.goto(server.url);

    // Act
    await signIn(page, 'viewer', USERS.viewer.password);
    await page.waitForSelector('main[data-state="forbidden"]');

    // Assess
    expect(await text(page, '.refused-message')).toBe('Your account is not in the staff group');
    expect(await page.$$eval('.tile', (t) => t.length)).toBe(0);
    expect(await page.isHidden('nav')).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'fixture-refused.png') });
    await page.click('.refused button:has-text("Sign out")');
    await page.waitForSelector('form.signin #username');
    expect(server.authCalls.at(-1)).toEqual({
      target: 'AWSCognitoIdentityProviderService.RevokeToken',
      flow: 'undefined',
    });
    expect(problems.dialogs).toEqual([]);
    await context.close();
  });

  it('asks to sign in again when the API refuses the token and renewal fails, then returns to the view', async () => {
    // Prepare
    const own = await startFixtureServer({ distDir: dist, users: USERS });
    try {
      const { context, page, problems } = await staffPage(undefined, own.url);
      await openView(page, 'drift');

      // Act: the session is revoked server-side; the next call gets 401 and the refresh token is refused
      own.expireSessions();
      await page.click('#refresh-now');
      await page.waitForSelector('#signin-error:has-text("Your session has expired; sign in again")');

      // Assess: one renewal was tried; signing in again lands on the same view with data
      expect(own.authCalls.map((c) => c.flow)).toEqual(['USER_PASSWORD_AUTH', 'REFRESH_TOKEN_AUTH']);
      await signIn(page, 'staff', USERS.staff.password);
      await waitForView(page, 'drift');
      expect(await page.$$eval('.card[data-model]', (c) => c.length)).toBe(3);
      // Chromium logs the refused calls (401, 400) as console errors; nothing else may appear.
      expect(problems.errors.filter((e) => !/status of (401|400)/.test(e))).toEqual([]);
      await context.close();
    } finally {
      await own.close();
    }
  });

  it('renews a token about to expire with the refresh token', async () => {
    // Prepare: tokens that live 61 s are inside the 60 s renewal margin after one second
    const short = await startFixtureServer({ distDir: dist, users: USERS, tokenSeconds: 61 });
    try {
      const { context, page } = await staffPage(undefined, short.url);
      await new Promise((r) => setTimeout(r, 1100));

      // Act
      await page.click('#refresh-now');
      await page.waitForFunction(() =>
        document.querySelector('#status')?.textContent?.includes('updated at'),
      );

      // Assess
      expect(short.authCalls.map((c) => c.flow)).toEqual(['USER_PASSWORD_AUTH', 'REFRESH_TOKEN_AUTH']);
      expect(await page.$$eval('.tile', (t) => t.length)).toBe(50);
      await context.close();
    } finally {
      await short.close();
    }
  });

  it('adds and deletes a maintenance window and reverts a threshold change', async () => {
    // Prepare
    const { context, page, problems } = await staffPage();
    await openView(page, 'settings');

    // Act: an invalid window is refused on the field, then a weekly one by tag is saved
    await page.fill('#mw-id', 'bad id');
    await page.click('.window-form button[type="submit"]');
    expect(await page.getAttribute('#mw-id', 'aria-invalid')).toBe('true');
    await page.fill('#mw-id', 'night-batch');
    await page.fill('#mw-tags', 'env=prod');
    await page.check('#mw-weekly');
    await page.selectOption('#mw-day', '3');
    await page.fill('#mw-time', '01:30');
    await page.fill('#mw-duration', '45');
    await page.fill('#mw-reason', 'nightly batch');
    await page.click('.window-form button[type="submit"]');
    await page.waitForSelector('tr[data-window="night-batch"]');

    // Assess
    expect(await text(page, 'tr[data-window="night-batch"]')).toContain(
      'Every Wednesday at 01:30 UTC for 45 min',
    );
    expect(server.world.windows.find((w) => w.id === 'night-batch')).toEqual({
      id: 'night-batch',
      tags: { env: 'prod' },
      schedule: { kind: 'weekly', dayOfWeek: 3, startMinute: 90, durationMinutes: 45 },
      reason: 'nightly batch',
    });

    // Act: delete it (inline confirmation)
    await page.click('tr[data-window="night-batch"] button:has-text("Delete")');
    await page.click('tr[data-window="night-batch"] button:has-text("Yes, delete")');
    await page.waitForSelector('tr[data-window="night-batch"]', { state: 'detached' });
    expect(server.world.windows.some((w) => w.id === 'night-batch')).toBe(false);

    // Act: revert the weekly raise of cpu_percent (+10% → 0%)
    await page.click('tr[data-change] button:has-text("Revert")');
    await page.fill('tr[data-change] input', 'too quiet');
    await page.click('tr[data-change] button[type="submit"]');
    await page.waitForSelector('.feedback-result:has-text("Reverted cpu_percent: +10% → 0%")');

    // Assess: the history shows the revert on top and the metric is back at 0%
    expect(await page.$$eval('tr[data-change]', (r) => r.length)).toBe(2);
    expect(await text(page, 'tr[data-change] >> nth=0')).toContain('too quiet');
    expect(await text(page, 'tr[data-metric="cpu_percent"] td.num >> nth=0')).toBe('0%');
    expect(problems.errors).toEqual([]);
    await context.close();
  });

  it('stays readable on a phone: no sideways scrolling, every view renders', async () => {
    // Prepare
    const { context, page, problems } = await staffPage({ width: 390, height: 844 });

    // Act / Assess
    for (const view of VIEWS) {
      if (view !== 'health') await openView(page, view);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect({ view, overflow }).toEqual({ view, overflow: 0 });
      await page.screenshot({ path: join(SHOTS, `fixture-phone-${view}.png`) });
    }
    expect(problems.errors).toEqual([]);
    await context.close();
  });

  it('signs in through the hosted UI with code + PKCE, renews with the refresh token, signs out there', async () => {
    // Prepare: a fake OIDC provider in place of Cognito's hosted UI; 61 s tokens renew within a second
    const hosted = await startFixtureServer({
      distDir: dist,
      users: USERS,
      mode: 'hosted-ui',
      tokenSeconds: 61,
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const problems = watchPage(page);
    try {
      // Act: the dashboard's button → the provider's login page → back with a code
      await page.goto(`${hosted.url}#/models`);
      await page.click('#signin-hosted');
      await page.waitForSelector('#hosted-username');
      await page.fill('#hosted-username', 'staff');
      await page.fill('#hosted-password', USERS.staff.password);
      await page.click('#hosted-submit');
      await waitForView(page, 'models');

      // Assess: PKCE (S256, verifier checked by the provider), no client secret, the code gone from the
      // address, the route kept, and the API called with the ID token
      const authorize = hosted.oidc.authorize[0]!;
      expect(authorize).toMatchObject({
        response_type: 'code',
        client_id: 'fixture-client',
        code_challenge_method: 'S256',
      });
      expect(authorize.code_challenge).toMatch(/^[\w-]{43}$/);
      expect(authorize.scope).toContain('openid');
      expect(hosted.oidc.tokens[0]).toEqual({ grant: 'authorization_code', pkce: true, clientSecret: false });
      expect(page.url()).toBe(`${hosted.url}#/models`);
      expect(await text(page, '.user-name')).toBe('staff');

      // Act / Assess: oidc-client-ts renews before expiry with the refresh token
      // Polls with a generous deadline: the renewal timer fires late on a loaded machine.
      const deadline = Date.now() + 30_000;
      while (!hosted.oidc.tokens.some((t) => t.grant === 'refresh_token') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(hosted.oidc.tokens.find((t) => t.grant === 'refresh_token')).toEqual({
        grant: 'refresh_token',
        clientSecret: false,
      });
      await page.click('#refresh-now');
      await waitForView(page, 'models');

      // Act: sign out goes through the provider's /logout and back to the sign-in screen
      await page.click('#sign-out');
      await page.waitForSelector('#signin-hosted');

      // Assess
      expect(hosted.oidc.logouts).toEqual([{ client_id: 'fixture-client', logout_uri: hosted.url }]);
      expect(
        await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('oidc.user'))),
      ).toEqual([]);
      expect(problems.errors).toEqual([]);
      expect(problems.dialogs).toEqual([]);
    } finally {
      await context.close();
      await hosted.close();
    }
  });

  it('shows an error with a retry when the API fails, and recovers', async () => {
    // Prepare
    const { context, page } = await staffPage();
    server.failing.add('/api/alerts');
    try {
      // Act
      await page.click('nav a[data-view="alerts"]');
      await page.waitForSelector('main[data-view="alerts"][data-state="error"]');

      // Assess
      expect(await text(page, '.load-error')).toContain(
        'Alert correlation could not be loaded: A backing service failed; try again',
      );

      // Act: the service is back; "Try again"
      server.failing.delete('/api/alerts');
      await page.click('.load-error button');
      await waitForView(page, 'alerts');

      // Assess
      expect(await page.$('.load-error')).toBeNull();
      expect(await text(page, '[data-kpi="anomalies"]')).toBe('200');
    } finally {
      server.failing.delete('/api/alerts');
      await context.close();
    }
  });

  it('shows the no-auth banner and refreshes on the configured period', async () => {
    // Prepare
    const open = await startFixtureServer({ distDir: dist, refreshSeconds: 1 });
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.goto(open.url);
      await waitForView(page, 'health');
      const healthReads = () => open.requests.filter((r) => r.startsWith('GET /api/health')).length;
      const first = healthReads();

      // Act: wait for two more reads, not for a fixed time (a loaded machine delays timers). With the
      // default 60 s period none would come within the 20 s allowed, so two prove the 1 s setting.
      const deadline = Date.now() + 20_000;
      while (healthReads() < first + 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }

      // Assess
      expect(await text(page, '.banner-noauth')).toContain('NO AUTH — local development');
      expect(await page.$('#sign-out')).toBeNull();
      expect(healthReads()).toBeGreaterThanOrEqual(first + 2);
      await context.close();
    } finally {
      await open.close();
    }
  });
});
