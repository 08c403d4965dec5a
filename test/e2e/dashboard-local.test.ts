// The staff dashboard against the real local stack, started as a user would start it
// (`npm start -- --port 0 --seed-demo --users-file … --data-dir …`: cognito-local sign-in, dynalite, the
// API handlers behind the API Gateway event adapter, 55 demo series × 24 h, ~200 anomalies, three models
// with drift results). Debian's Chromium signs in as the seeded staff user, sees every view populated,
// marks a false positive and sees the metric's count change (and still marked after a reload); the
// seeded non-staff user is refused; the XSS-looking labels render as text. Screenshots:
// test-output/dashboard/local-*.png.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DEMO } from '../../infra/local/demo-data';
import {
  type LocalStack,
  launchChromium,
  openView,
  type PageProblems,
  signIn,
  startLocalStack,
  waitForView,
  watchPage,
} from '../helpers/browser';

jest.setTimeout(90_000);

const SHOTS = resolve(__dirname, '../../test-output/dashboard');

let stack: LocalStack;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  [stack, browser] = await Promise.all([startLocalStack(), launchChromium()]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 60_000);

const text = async (page: Page, selector: string): Promise<string> =>
  (await page.textContent(selector))?.trim() ?? '';

async function signedIn(
  who: 'staff' | 'nonStaff',
): Promise<{ page: Page; problems: PageProblems; close: () => Promise<void> }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto(stack.url);
  await signIn(page, stack[who].username, stack[who].password);
  return { page, problems, close: () => context.close() };
}

describe('staff dashboard on the local stack (npm start --seed-demo)', () => {
  it('signs the staff user in through cognito-local and shows all six views populated', async () => {
    // Prepare / Act
    const { page, problems, close } = await signedIn('staff');
    await waitForView(page, 'health', 30_000);

    // Assess: each view, opened from the navigation
    expect(await text(page, '.user-name')).toBe(stack.staff.username);
    expect(await page.$$eval('.tile', (t) => t.length)).toBeGreaterThanOrEqual(50);
    expect(await page.$$eval('.tile svg.spark polyline', (t) => t.length)).toBeGreaterThanOrEqual(50);
    // Every demo series' tile draws its expected band (the host's own are still learning).
    expect(
      await page.$$eval('.tile[data-series^="Demo/"] svg.spark polygon.spark-band', (t) => t.length),
    ).toBe(DEMO.hosts * 5);
    await page.screenshot({ path: join(SHOTS, 'local-health.png') });

    await openView(page, 'anomalies');
    await page.waitForSelector('.chart canvas');
    expect(await page.$$eval('tr[data-key]', (r) => r.length)).toBe(50);
    expect(
      Number(/^([\d,]+) anomalies/.exec(await text(page, '#list-title ~ .summary'))?.[1]?.replace(/,/g, '')),
    ).toBeGreaterThanOrEqual(100);
    expect(await page.$$eval('.counts tr[data-metric]', (r) => r.length)).toBeGreaterThanOrEqual(5);
    await page.screenshot({ path: join(SHOTS, 'local-anomalies.png') });

    await openView(page, 'models');
    expect(
      (await page.$$eval('tr[data-model]', (r) => r.map((x) => x.getAttribute('data-model')))).sort(),
    ).toEqual([...DEMO.models].sort());
    expect(await text(page, 'tr[data-model="fraud-score"]')).toMatch(/\d[\d,]*.*\d+\.\d%/);
    await page.screenshot({ path: join(SHOTS, 'local-models.png') });

    await openView(page, 'drift');
    expect(await page.$$eval('.card[data-model] .stats', (c) => c.length)).toBe(DEMO.models.length);
    expect(await text(page, '.card[data-model] .stats')).toMatch(
      /K-S statistic\d.*p-value.*Samples[\d,]+ vs [\d,]+/,
    );
    expect(await page.$('.card[data-subject="infra"]')).not.toBeNull();
    await page.screenshot({ path: join(SHOTS, 'local-drift.png') });

    await openView(page, 'alerts');
    expect(Number((await text(page, '[data-kpi="anomalies"]')).replace(/,/g, ''))).toBeGreaterThanOrEqual(
      100,
    );
    expect(await text(page, '[data-kpi="conversion"]')).toMatch(/^\d+\.\d%$/);
    expect(await page.$$eval('tr[data-alert]', (r) => r.length)).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'local-alerts.png') });

    await openView(page, 'settings');
    expect(await page.$$eval('tr[data-metric]', (r) => r.length)).toBeGreaterThanOrEqual(5);
    expect(await page.$('.window-form')).not.toBeNull();
    await page.screenshot({ path: join(SHOTS, 'local-settings.png') });

    expect(problems.errors).toEqual([]);
    expect(problems.dialogs).toEqual([]);
    await close();
  });

  it('renders the seeded XSS-looking labels as text, with no dialog and no injected element', async () => {
    // Prepare / Act
    const { page, problems, close } = await signedIn('staff');
    await waitForView(page, 'health', 30_000);
    const tileLabels = await page.$$eval('.tile-label', (els) => els.map((e) => e.textContent));
    await openView(page, 'anomalies');
    const options = await page.$$eval('#f-series option', (els) => els.map((e) => e.textContent));

    // Assess
    for (const label of DEMO.xssLabels) {
      expect(tileLabels).toContain(label);
      expect(options).toContain(label);
    }
    expect(await page.$$eval('img, main script', (e) => e.length)).toBe(0);
    expect(problems.dialogs).toEqual([]);
    expect(problems.errors).toEqual([]);
    await close();
  });

  it('marks a false positive in place and shows the metric count change, kept after a reload', async () => {
    // Prepare: an unmarked anomaly and its metric's current count
    const { page, problems, close } = await signedIn('staff');
    await waitForView(page, 'health', 30_000);
    await openView(page, 'anomalies');
    const row = page.locator('tr[data-key]:has(button[data-action="false-positive"])').first();
    const key = (await row.getAttribute('data-key'))!;
    const metric = (await row.getAttribute('data-metric'))!;
    const fpCell = `.counts tr[data-metric="${metric}"] td[data-count="falsePositives"]`;
    const before = Number(await text(page, fpCell));

    // Act: keyboard only
    await row.locator('button[data-action="false-positive"]').focus();
    await page.keyboard.press('Enter');
    await page.keyboard.type('e2e: known batch job');
    await page.keyboard.press('Enter');
    await page.waitForSelector(`.feedback-result:has-text("false positives ${before} → ${before + 1}")`);

    // Assess: on screen now, and from the server after a reload
    expect(Number(await text(page, fpCell))).toBe(before + 1);
    await page.screenshot({ path: join(SHOTS, 'local-anomalies-marked.png') });
    await page.reload();
    await waitForView(page, 'anomalies', 30_000);
    const marked = page.locator(`tr[data-key="${key}"]`);
    expect(await marked.getAttribute('class')).toContain('marked-false-positive');
    expect(await marked.locator('td.feedback').textContent()).toContain('e2e: known batch job');
    expect(Number(await text(page, fpCell))).toBe(before + 1);
    expect(problems.errors).toEqual([]);
    await close();
  });

  it('adds and deletes a maintenance window and reverts a threshold change through the real API', async () => {
    // Prepare: a manual threshold change made through the API with the page's own staff token
    const { page, problems, close } = await signedIn('staff');
    await waitForView(page, 'health', 30_000);
    const token = await page.evaluate(
      () =>
        (JSON.parse(sessionStorage.getItem('drift-sentinel.tokens') ?? '{}') as { idToken?: string }).idToken,
    );
    const put = await fetch(`${stack.url}api/thresholds/memory_percent`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ adjustment: 0.2, reason: 'e2e: raise before revert' }),
    });
    expect(put.status).toBe(200);
    await openView(page, 'settings');

    // Act: a weekly window on one series
    const seriesId = await page.$eval(
      '#mw-series option:nth-child(2)',
      (o) => (o as HTMLOptionElement).value,
    );
    await page.fill('#mw-id', 'e2e-window');
    await page.selectOption('#mw-series', seriesId);
    await page.check('#mw-weekly');
    await page.selectOption('#mw-day', '6');
    await page.fill('#mw-time', '23:00');
    await page.fill('#mw-duration', '120');
    await page.click('.window-form button[type="submit"]');
    await page.waitForSelector('tr[data-window="e2e-window"]');

    // Assess
    expect(await text(page, 'tr[data-window="e2e-window"]')).toContain('Every Saturday at 23:00 UTC for 2 h');

    // Act: delete it, then revert the raise from the history
    await page.click('tr[data-window="e2e-window"] button:has-text("Delete")');
    await page.click('tr[data-window="e2e-window"] button:has-text("Yes, delete")');
    await page.waitForSelector('tr[data-window="e2e-window"]', { state: 'detached' });
    const change = page.locator('tr[data-change]', { hasText: 'e2e: raise before revert' });
    await change.locator('button:has-text("Revert")').click();
    await change.locator('input').fill('e2e: back');
    await change.locator('button[type="submit"]').click();
    await page.waitForSelector('.feedback-result:has-text("Reverted memory_percent: +20% → 0%")');

    // Assess
    expect(await text(page, 'tr[data-metric="memory_percent"] td.num >> nth=0')).toBe('0%');
    expect(await text(page, 'tr[data-change] >> nth=0')).toContain('e2e: back');
    expect(problems.errors).toEqual([]);
    await close();
  });

  it('refuses the non-staff user with the staff-group message and a sign-out button', async () => {
    // Prepare / Act
    const { page, problems, close } = await signedIn('nonStaff');
    await page.waitForSelector('main[data-state="forbidden"]', { timeout: 30_000 });

    // Assess
    expect(await text(page, '.refused-message')).toBe('Your account is not in the staff group');
    expect(await page.$$eval('.tile', (t) => t.length)).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'local-refused.png') });
    await page.click('.refused button:has-text("Sign out")');
    await page.waitForSelector('form.signin #username');
    expect(problems.dialogs).toEqual([]);
    // Chromium logs each refused API call (HTTP 403) as a console error; nothing else may appear.
    expect(problems.errors.filter((e) => !e.includes('403 (Forbidden)'))).toEqual([]);
    await close();
  });
});
