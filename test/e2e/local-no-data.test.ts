// `npm start` as a user runs it: a replayed series stops for an hour and comes back; the local stack
// raises NO_DATA, delivers the trigger and then the resolve to its local PagerDuty and webhook receiver
// (each webhook signature verified on arrival), and prints what Slack/Teams would show.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NpmStart, npmStart } from '../helpers/npm-start';

/** 1-minute points for an hour, nothing for the next hour, then an hour of points again. */
function writeCsv(dir: string): string {
  const rows = ['timestamp,value'];
  const t0 = Date.UTC(2014, 3, 1);
  for (let i = 0; i < 180; i++) {
    if (i >= 60 && i < 120) continue;
    const ts = new Date(t0 + i * 60_000).toISOString().replace('T', ' ').slice(0, 19);
    rows.push(`${ts},${10 + (i % 3) * 0.5}`);
  }
  const file = join(dir, 'gappy_series.csv');
  writeFileSync(file, `${rows.join('\n')}\n`);
  return file;
}

describe('no-data alerts and local delivery (npm start)', () => {
  let dir: string;
  let run: NpmStart | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sentinel-nodata-'));
  });
  afterAll(() => {
    run?.signal('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a silent series pages NO_DATA and resolves when it returns, delivered signed to the local receiver', async () => {
    run = npmStart([
      '--replay',
      writeCsv(dir),
      '--speed',
      '600',
      '--collect-every',
      '1s',
      '--no-data-after',
      '20m',
      '--webhook-receiver',
      '--data-dir',
      join(dir, 'data'),
      '--port',
      '0',
      '--no-auth',
    ]);
    const receiver = (await run.waitFor(/Webhook receiver: (http:\/\/127\.0\.0\.1:\d+\/)/, 90_000))[1]!;
    await run.waitFor(/sent no data for 20 min/, 90_000);
    const trigger = await run.waitFor(/🔗 Webhook got: trigger dedupKey=(\S+), signature (\w+)/, 60_000);
    expect(trigger[1]).toMatch(/^replay_gappy_series-no_data-[0-9a-f]{16}-\d+,?$/);
    expect(trigger[2]).toBe('valid');
    expect(run.output()).toMatch(/📟 PagerDuty would get: trigger dedup_key=replay_gappy_series-no_data-/);
    expect(run.output()).toMatch(/💬 Slack\/Teams would show: 🟠 \[WARNING\] .*sent no data for 20 min/);
    const resolve = await run.waitFor(/🔗 Webhook got: resolve dedupKey=(\S+), signature (\w+)/, 90_000);
    expect(resolve[1]).toBe(trigger[1]);
    expect(resolve[2]).toBe('valid');
    expect(run.output()).toMatch(/💬 Slack\/Teams would show: ✅ \[RESOLVED\] .*data is back/);
    // The receiver lists what arrived: the trigger and the resolve, at both endpoints.
    const received = (await (await fetch(receiver)).json()) as {
      kind: string;
      signatureValid?: boolean;
      body: { event?: string; event_action?: string };
    }[];
    const events = received.map((r) => `${r.kind}:${r.body.event ?? r.body.event_action}`);
    expect(events).toEqual(
      expect.arrayContaining([
        'pagerduty:trigger',
        'webhook:trigger',
        'pagerduty:resolve',
        'webhook:resolve',
      ]),
    );
    expect(received.filter((r) => r.kind === 'webhook').every((r) => r.signatureValid)).toBe(true);
    run.signal('SIGINT');
    await run.exited;
    expect(run.output()).toMatch(/Stopped\. Data kept/);
  }, 240_000);
});
