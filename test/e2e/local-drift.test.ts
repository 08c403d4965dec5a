// The local ML drift path as a user runs it: `npm start -- --simulate-predictions` (short windows), the
// drift e-mail appearing in aws-ses-v2-local, `npm run send-predictions -- --local` through the local bus,
// and `npm run train-drift` answering against the running stack.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { npmStart } from '../helpers/npm-start';

const ROOT = resolve(__dirname, '../..');

const start = npmStart;

async function waitFor(output: () => string, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = output().match(pattern);
    if (m) return m;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Timed out waiting for ${pattern}; output:\n${output()}`);
}

describe('local ML drift (npm start -- --simulate-predictions)', () => {
  let dir: string;
  let run: ReturnType<typeof start> | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sentinel-drift-'));
  });
  afterAll(() => {
    if (run?.child.pid) {
      try {
        process.kill(-run.child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('a simulated shift produces a drift e-mail in the local mail store; the CLIs reach the running stack', async () => {
    run = start([
      '--simulate-predictions',
      '--simulate-rate',
      '50',
      '--shift-after',
      '8s',
      '--drift-every',
      '4s',
      '--drift-recent',
      '6s',
      '--drift-baseline',
      '12s',
      '--data-dir',
      dir,
      '--port',
      '0',
      '--collect-every',
      '60s',
      '--detect-every',
      '60s',
    ]);
    const mailUrl = (
      await waitFor(run.output, /Mail \(aws-ses-v2-local\): (http:\/\/127\.0\.0\.1:\d+\/)/)
    )[1]!;
    const model = (await waitFor(run.output, /\[simulate\] Model (sim-churn-\d{6}):/))[1]!;
    await waitFor(run.output, new RegExp(`e-mail sent: drift model:${model}`), 90_000);
    const store = (await (await fetch(`${mailUrl}store`)).json()) as {
      emails: { subject: string; destination: { to: string[] }; body: { text: string; html: string } }[];
    };
    const mail = store.emails.find((e) => e.subject.includes(model));
    expect(mail?.subject).toMatch(
      new RegExp(`^\\[ML drift\\] ${model}: prediction scores shifted \\(K-S D=`),
    );
    expect(mail?.destination.to).toEqual(['ml-team@example.com']);
    expect(mail?.body.text).toMatch(/quantile +baseline +recent +shift/);
    expect(mail?.body.text).toMatch(/Dashboard: http:\/\/127\.0\.0\.1:\d+\//);

    // The stack wrote its endpoints for the CLIs.
    const endpoints = JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8')) as {
      pid: number;
      events: string;
    };
    expect(endpoints.events).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const send = spawnSync(
      'npm',
      [
        'run',
        'send-predictions',
        '--',
        '--local',
        '--data-dir',
        dir,
        '--model',
        'cli-model',
        '--count',
        '25',
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(send.stdout).toContain('25 accepted by local-predictions, 0 not accepted');
    expect(send.status).toBe(0);
    const train = spawnSync(
      'npm',
      ['run', 'train-drift', '--', '--days', '1', '--data-dir', dir, '--min-rows', '100000'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(train.stdout).toMatch(/Using the running local stack \(pid \d+\)/);
    expect(train.stderr).toMatch(/Refused: Not enough data to train: \d+ complete rows over the last 1 days/);
    expect(train.status).toBe(2);

    if (run.child.pid) process.kill(-run.child.pid, 'SIGINT');
    await run.exited;
    expect(run.output()).toMatch(/Stopped\. Data kept/);
    expect(JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8')).pid).toBe(0);
  }, 150_000);
});
