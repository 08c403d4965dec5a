// cognito-local as the local stack runs it: it dies with its parent (kill -9 included), a stale one
// from an earlier run is stopped at start, its data is private (0700 / 0600), and it signs with a key
// made for this start — a token signed with the key cognito-local ships in its package is refused.
import { type ChildProcess, spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SignJWT } from 'jose';
import { type LocalCognito, startCognitoLocal } from '../../infra/local/cognito-local';
import { createIdTokenVerifier } from '../../shared/adapters/jwt-verifier';

jest.setTimeout(90_000);

const ROOT = resolve(__dirname, '../..');

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      ok(true);
    });
    socket.once('error', () => ok(false));
  });
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return check();
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((ok) => child.once('exit', () => ok()));
}

describe('cognito-local lifecycle', () => {
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'cognito-life-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('dies with its parent: kill -9 of the process that started it stops its port', async () => {
    const dir = tmp();
    const script = join(dir, 'parent.ts');
    writeFileSync(
      script,
      `import { startCognitoLocal } from ${JSON.stringify(join(ROOT, 'infra/local/cognito-local'))};\n` +
        `startCognitoLocal({ dir: ${JSON.stringify(join(dir, 'data'))} }).then((c) => {\n` +
        `  console.log('URL ' + c.url);\n  setInterval(() => undefined, 1000);\n});\n`,
    );
    const parent = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = await new Promise<string>((ok, fail) => {
      let out = '';
      parent.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /URL (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) ok(m[1]!);
      });
      parent.once('exit', (code) => fail(new Error(`parent exited (${code}) before cognito-local was up`)));
    });
    const port = Number(new URL(url).port);
    expect(await listening(port)).toBe(true);

    parent.kill('SIGKILL');
    await exited(parent);
    // Generous: the child notices within a second; the bound allows for a loaded machine.
    expect(await waitUntil(async () => !(await listening(port)), 30_000)).toBe(true);
  });

  it('stops a stale cognito-local named in the pid file before starting', async () => {
    const dir = tmp();
    // Stands in for an orphan of an earlier run: a process whose command line names cognito-local.
    const stale = spawn(process.execPath, ['-e', 'setInterval(() => undefined, 1000)', 'cognito-local'], {
      stdio: 'ignore',
    });
    mkdirSync(join(dir, '.cognito'), { recursive: true });
    writeFileSync(join(dir, '.cognito', 'cognito-local.pid'), `${stale.pid}\n`);
    const cognito = await startCognitoLocal({ dir });
    try {
      await exited(stale);
      expect(stale.signalCode ?? stale.exitCode).not.toBeNull();
      expect(Number(readFileSync(join(dir, '.cognito', 'cognito-local.pid'), 'utf8'))).not.toBe(stale.pid);
    } finally {
      await cognito.stop();
      stale.kill('SIGKILL');
    }
  });

  describe('a running instance', () => {
    let cognito: LocalCognito;
    let dir: string;
    beforeAll(async () => {
      dir = tmp();
      cognito = await startCognitoLocal({ dir });
    });
    afterAll(async () => cognito?.stop());
    const signIn = async (username: string, password: string) =>
      (
        (await cognito.call('InitiateAuth', {
          AuthFlow: 'USER_PASSWORD_AUTH',
          ClientId: cognito.clientId,
          AuthParameters: { USERNAME: username, PASSWORD: password },
        })) as { AuthenticationResult: { IdToken: string } }
      ).AuthenticationResult;

    it('keeps its data private: directories 0700, files (users, passwords) 0600', async () => {
      // The users exist and have passwords by now; find the cognito-local data directory.
      const pid = readFileSync(join(dir, '.cognito', 'cognito-local.pid'), 'utf8');
      expect(Number(pid)).toBeGreaterThan(1);
      const walk = (d: string): string[] =>
        readdirSync(d, { withFileTypes: true }).flatMap((e) =>
          e.isDirectory() ? [join(d, e.name), ...walk(join(d, e.name))] : [join(d, e.name)],
        );
      const root = join(dir, '.cognito');
      const entries = [root, ...walk(root)];
      const db = entries.filter((e) => e.includes(`${join('.cognito', 'db')}`) && e.endsWith('.json'));
      expect(db.length).toBeGreaterThan(0);
      expect(db.some((f) => readFileSync(f, 'utf8').includes(cognito.users.staff.username))).toBe(true);
      for (const e of entries) {
        const mode = statSync(e).mode & 0o777;
        expect([e, mode.toString(8)]).toEqual([e, statSync(e).isDirectory() ? '700' : '600']);
      }
    });

    it('refuses a token signed with the key cognito-local ships; accepts one it issued', async () => {
      const verify = createIdTokenVerifier({
        issuer: cognito.issuer,
        audience: cognito.clientId,
        jwksUrl: `${cognito.issuer}/.well-known/jwks.json`,
      });
      const shipped = JSON.parse(
        readFileSync(require.resolve('cognito-local/lib/keys/cognitoLocal.private.json'), 'utf8'),
      ) as { pem: string };
      const forged = await new SignJWT({
        token_use: 'id',
        'cognito:username': 'mallory',
        'cognito:groups': ['staff'],
      })
        .setProtectedHeader({ alg: 'RS256', kid: 'CognitoLocal' })
        .setIssuer(cognito.issuer)
        .setAudience(cognito.clientId)
        .setSubject('mallory')
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(createPrivateKey(shipped.pem));
      await expect(verify(forged)).rejects.toThrow(/could not be verified/);
      const real = await signIn(cognito.users.staff.username, cognito.users.staff.password);
      expect(await verify(real.IdToken)).toMatchObject({ 'cognito:groups': ['staff'] });
    });
  });
});
