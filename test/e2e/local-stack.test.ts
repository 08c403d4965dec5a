// Starts the local stack as a user would (`npm start -- …` in a child process), replays a CSV with one
// spike, and checks that points are stored, the spike is recorded as an anomaly, Ctrl-C stops cleanly,
// and a restart keeps the data.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NpmStart, npmStart } from '../helpers/npm-start';

const start = npmStart;

/** 400 points 5 minutes apart (NAB layout), gently noisy around 10, one spike to 95 at row 350. */
function writeCsv(dir: string): string {
  const rows = ['timestamp,value'];
  const t0 = Date.UTC(2014, 3, 1);
  for (let i = 0; i < 400; i++) {
    const ts = new Date(t0 + i * 300_000).toISOString().replace('T', ' ').slice(0, 19);
    const value = i === 350 ? 95 : 10 + ((i * 7) % 5) * 0.3;
    rows.push(`${ts},${value}`);
  }
  const file = join(dir, 'spiky_series.csv');
  writeFileSync(file, `${rows.join('\n')}\n`);
  return file;
}

describe('local stack (npm start)', () => {
  let dir: string;
  const running: NpmStart[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sentinel-local-'));
  });
  afterAll(() => {
    for (const r of running) r.signal('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a bad option with a clear message and starts nothing', async () => {
    const run = start(['--collect-every', 'soon']);
    running.push(run);
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/--collect-every: Invalid duration "soon"/);
  }, 60_000);

  it('replays a spike into a recorded anomaly, stops on SIGINT, and keeps its data', async () => {
    const csv = writeCsv(dir);
    const dataDir = join(dir, 'data');
    const run = start([
      '--replay',
      csv,
      '--speed',
      '30000',
      '--collect-every',
      '1s',
      '--data-dir',
      dataDir,
      '--port',
      '0',
    ]);
    running.push(run);
    await run.waitFor(/Dashboard: http:\/\/127\.0\.0\.1:\d+\//);
    await run.waitFor(/\[collect\] [1-9]\d* points written/);
    const anomaly = await run.waitFor(
      /\[detect\] Anomaly: (replay_spiky_series = 95 at [^:]+:\d\d:\d\d\.\d{3}Z): outside expected/,
    );
    expect(run.output()).toMatch(/Severity (critical|high)/);
    run.signal('SIGINT');
    // npm itself dies of the SIGINT (code null), as it does at a terminal; the stack stops cleanly.
    await run.exited;
    expect(run.output()).toMatch(/SIGINT: stopping/);
    expect(run.output()).toMatch(/Stopped\. Data kept/);
    // The replay's detector checkpoint is in the local S3 (s3rver keeps objects as files), under the
    // prefix of the shard that owns the series.
    const state = join(dataDir, 's3', 'local-detector-state', 'detector-state');
    const files = readdirSync(state, { recursive: true, encoding: 'utf8' });
    expect(files.some((f) => /^\d+of\d+\/.*replay_spiky_series.*\.json\.gz\._S3rver_object$/.test(f))).toBe(
      true,
    );
    expect(run.output()).toMatch(/Detect cycle: 2 shards in parallel/);
    // …and beside it, that shard's kept band (the health tiles' last hour of expected ranges).
    expect(files.some((f) => /^\d+of2\/band\/recent\.json\.gz\._S3rver_object$/.test(f))).toBe(true);

    // Restart (host metrics this time) on the same data dir: the anomaly is still there.
    const again = start([
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--sample-every',
      '1s',
      '--collect-every',
      '60s',
    ]);
    running.push(again);
    const url = (await again.waitFor(/Dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/))[1]!;
    // The status document is staff-only: sign in as the printed staff user, as the dashboard does.
    const [, username, password] = again.output().match(/staff user: +(\S+) \/ (\S+)/)!;
    expect((await fetch(`${url}local/status`)).status).toBe(401);
    const config = (await (await fetch(`${url}config.json`)).json()) as { auth: { clientId: string } };
    const signIn = await fetch(`${url}local/cognito`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': 'AWSCognitoIdentityProviderService.InitiateAuth',
      },
      body: JSON.stringify({
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: config.auth.clientId,
        AuthParameters: { USERNAME: username, PASSWORD: password },
      }),
    });
    const { IdToken } = ((await signIn.json()) as { AuthenticationResult: { IdToken: string } })
      .AuthenticationResult;
    const status = (await (
      await fetch(`${url}local/status`, { headers: { Authorization: `Bearer ${IdToken}` } })
    ).json()) as {
      anomalies: { explanation: string }[];
    };
    expect(status.anomalies.some((a) => a.explanation.startsWith(anomaly[1]!))).toBe(true);
    const page = await (await fetch(url)).text();
    // The SPA once dashboard/build.ts has built it, the placeholder page before.
    expect(page).toMatch(/<title>Drift Sentinel( \(local\))?<\/title>/);
    again.signal('SIGINT');
    await again.exited;
    expect(again.output()).toMatch(/Stopped\. Data kept/);
  }, 120_000);
});
