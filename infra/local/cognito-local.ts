// (local stack) real sign-in on the laptop: cognito-local as a child process on loopback, with a user pool,
// an app client (USER_PASSWORD_AUTH + REFRESH_TOKEN_AUTH), the `staff` group, a staff user and a non-staff
// user whose passwords are new and random on every start. Its data (pool, users) lives in the given
// directory, so a restart keeps the pool and client ids. The dashboard signs in through the local server,
// which forwards only sign-in calls (see `proxyCognito`): cognito-local enforces no admin credentials, so
// its port must never be the browser's business.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { STAFF_GROUP } from '../../functions/auth';
import { DependencyError } from '../../shared/errors';
import { BodyTooLargeError, readBody } from './api-adapter';

/** Username and password of a local user. */
export interface LocalCredentials {
  readonly username: string;
  readonly password: string;
}

/** A running cognito-local, bootstrapped. */
export interface LocalCognito {
  /** Its endpoint, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The `iss` of its tokens: `<url>/<userPoolId>`. */
  readonly issuer: string;
  readonly userPoolId: string;
  readonly clientId: string;
  readonly users: { readonly staff: LocalCredentials; readonly nonStaff: LocalCredentials };
  /** Call a Cognito Identity Provider action (`InitiateAuth`, `AdminGetUser`, …). @throws CognitoCallError */
  call(action: string, body: Record<string, unknown>): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Options of {@link startCognitoLocal}. */
export interface CognitoLocalOptions {
  /** cognito-local's working directory: it keeps its data in `<dir>/.cognito`. */
  readonly dir: string;
  /** Port on 127.0.0.1. @default any free port */
  readonly port?: number;
  /** User names. @default { staff: 'staff', nonStaff: 'viewer' } */
  readonly usernames?: { readonly staff: string; readonly nonStaff: string };
  /** How long to wait for it to answer. @default 20 s */
  readonly startTimeoutMs?: number;
}

/** A Cognito action answered with an error (`__type` is Cognito's exception name). */
export class CognitoCallError extends DependencyError {
  public constructor(
    public readonly action: string,
    public readonly type: string,
    message: string,
  ) {
    super(`cognito-local ${action} failed: ${type}: ${message}`);
  }
}

const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.';
const STATE_FILE = 'drift-sentinel-pool.json';
const StateSchema = z.object({ userPoolId: z.string().min(1), clientId: z.string().min(1) });

/** Where the running child's pid is kept, so the next start can stop one a crash left behind. */
const PID_FILE = 'cognito-local.pid';

/**
 * Runs in the cognito-local child before its own start script (`node -e GUARD <start.js> <keys dir>`):
 * 1. umask 077: its data files (user records with password hashes and, in cognito-local, the plaintext
 *    password) are created 0600 in 0700 directories.
 * 2. A signing key made for this start only, in place of the key pair cognito-local ships in its
 *    package (anyone could forge tokens with that one). The private key never leaves this process; its
 *    JWKS endpoint serves the matching public key, which is all the local verifier trusts.
 * 3. It dies with its parent: stdin is a pipe from the parent, closed by the kernel when the parent
 *    dies however it dies (`kill -9` included); the parent pid is also polled in case stdin lingers.
 */
const GUARD = `
process.umask(0o077);
const path = require('node:path');
const Module = require('node:module');
const { generateKeyPairSync } = require('node:crypto');
const [start, keys] = process.argv.slice(1);
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'CognitoLocal', alg: 'RS256', use: 'sig' };
const seed = (file, exports) => {
  const m = new Module(file);
  m.filename = file;
  m.loaded = true;
  m.exports = exports;
  require.cache[file] = m;
};
seed(path.join(keys, 'cognitoLocal.private.json'), { jwk, pem: privateKey.export({ type: 'pkcs1', format: 'pem' }) });
seed(path.join(keys, 'cognitoLocal.public.json'), { jwk });
const parent = process.ppid;
const orphaned = () => process.exit(0);
process.stdin.on('end', orphaned);
process.stdin.on('error', orphaned);
process.stdin.resume();
setInterval(() => { if (process.ppid !== parent) orphaned(); }, 500).unref();
require(start);
`;

/**
 * Stop a cognito-local an earlier run left behind (its parent was killed before the guard existed, or
 * the machine's pid file survived a crash): the pid in `<dir>/.cognito/cognito-local.pid`, only if that
 * process is still a cognito-local (Linux: its command line), so a reused pid is never killed.
 */
export async function sweepStaleChild(dir: string): Promise<boolean> {
  const file = join(dir, '.cognito', PID_FILE);
  if (!existsSync(file)) return false;
  const pid = Number(readFileSync(file, 'utf8').trim());
  rmSync(file, { force: true });
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return false; // gone, or no /proc to confirm it is ours: leave it
  }
  if (!cmdline.includes('cognito-local')) return false;
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 30 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive()) process.kill(pid, 'SIGKILL');
  return true;
}

/** Make the data directory private (it holds user records): directories 0700, files 0600. */
function makePrivate(dir: string): void {
  chmodSync(dir, 0o700);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) makePrivate(path);
    else if (entry.isFile()) chmodSync(path, 0o600);
  }
}

/** A free TCP port on 127.0.0.1 (cognito-local must know its port before it starts: it is in the issuer). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => ok(port));
    });
  });
}

/** A random password meeting Cognito's strongest policy (upper, lower, digit, symbol, 20+ characters). */
export function randomPassword(): string {
  return `Ds-${randomBytes(15).toString('base64url')}-7a`;
}

function callerOf(url: string) {
  return async (action: string, body: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const res = await fetch(`${url}/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `${TARGET_PREFIX}${action}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    const json = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
    if (!res.ok) {
      throw new CognitoCallError(action, String(json.__type ?? res.status), String(json.message ?? text));
    }
    return json;
  };
}

async function waitUntilUp(url: string, child: ChildProcess, output: () => string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new DependencyError(`cognito-local exited with code ${child.exitCode}:\n${output()}`);
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new DependencyError(`cognito-local did not answer within ${timeoutMs} ms:\n${output()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((ok) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(kill);
      ok();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Start cognito-local and make sure the pool, client, group and both users exist.
 * 1. Write its config (loopback only, the issuer with the chosen port, plain user names) and spawn it.
 * 2. Reuse the pool and client recorded in `<dir>/drift-sentinel-pool.json` when they still exist, else
 *    create them and the `staff` group.
 * 3. Create the users when missing; give each a new random password; put the staff user in `staff`.
 */
export async function startCognitoLocal(options: CognitoLocalOptions): Promise<LocalCognito> {
  await sweepStaleChild(options.dir);
  const port = options.port && options.port > 0 ? options.port : await freePort();
  const url = `http://127.0.0.1:${port}`;
  mkdirSync(join(options.dir, '.cognito', 'db'), { recursive: true, mode: 0o700 });
  makePrivate(options.dir); // also fixes the modes of data an earlier version wrote 0644
  writeFileSync(
    join(options.dir, '.cognito', 'config.json'),
    `${JSON.stringify(
      {
        // Plain user names (its default makes every pool sign in by e-mail).
        UserPoolDefaults: { UsernameAttributes: [] },
        TokenConfig: { IssuerDomain: url },
        ServerConfig: { hostname: '127.0.0.1', port },
      },
      null,
      2,
    )}\n`,
    { mode: 0o600 },
  );
  const lines: string[] = [];
  const start = require.resolve('cognito-local/lib/bin/start.js');
  const child = spawn(process.execPath, ['-e', GUARD, start, join(dirname(start), '..', 'keys')], {
    cwd: options.dir,
    // It logs the AWS SDK v2 end-of-support notice as a process warning.
    env: { ...process.env, NODE_NO_WARNINGS: '1', PORT: String(port), HOST: '127.0.0.1' },
    // stdin: the pipe whose closing tells the child its parent is gone (see GUARD).
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined)
    writeFileSync(join(options.dir, '.cognito', PID_FILE), `${child.pid}\n`, { mode: 0o600 });
  child.once('exit', () => rmSync(join(options.dir, '.cognito', PID_FILE), { force: true }));
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 40));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // If this process dies without stopping it (a crash, process.exit), the child must not outlive it.
  const killOnExit = (): void => {
    child.kill('SIGTERM');
  };
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  try {
    await waitUntilUp(url, child, () => lines.join('\n'), options.startTimeoutMs ?? 20_000);
    const call = callerOf(url);
    const { userPoolId, clientId } = await ensurePool(call, options.dir);
    const names = options.usernames ?? { staff: 'staff', nonStaff: 'viewer' };
    const staff = await ensureUser(call, userPoolId, names.staff, true);
    const nonStaff = await ensureUser(call, userPoolId, names.nonStaff, false);
    return {
      url,
      issuer: `${url}/${userPoolId}`,
      userPoolId,
      clientId,
      users: { staff, nonStaff },
      call,
      stop: () => stopChild(child),
    };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

type Call = ReturnType<typeof callerOf>;

async function ensurePool(call: Call, dir: string): Promise<{ userPoolId: string; clientId: string }> {
  const file = join(dir, STATE_FILE);
  if (existsSync(file)) {
    const saved = StateSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (saved.success) {
      try {
        await call('DescribeUserPoolClient', {
          UserPoolId: saved.data.userPoolId,
          ClientId: saved.data.clientId,
        });
        return saved.data;
      } catch (error) {
        if (!(error instanceof CognitoCallError)) throw error;
        // gone (data deleted): create a new pool below
      }
    }
  }
  const pool = (await call('CreateUserPool', {
    PoolName: 'drift-sentinel-local',
    Policies: {
      PasswordPolicy: {
        MinimumLength: 12,
        RequireUppercase: true,
        RequireLowercase: true,
        RequireNumbers: true,
        RequireSymbols: true,
      },
    },
  })) as { UserPool: { Id: string } };
  const client = (await call('CreateUserPoolClient', {
    UserPoolId: pool.UserPool.Id,
    ClientName: 'dashboard-local',
    ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    IdTokenValidity: 60,
    AccessTokenValidity: 60,
    RefreshTokenValidity: 1,
    TokenValidityUnits: { IdToken: 'minutes', AccessToken: 'minutes', RefreshToken: 'days' },
  })) as { UserPoolClient: { ClientId: string } };
  await call('CreateGroup', {
    UserPoolId: pool.UserPool.Id,
    GroupName: STAFF_GROUP,
    Description: 'May use the staff dashboard and its API',
  });
  const state = { userPoolId: pool.UserPool.Id, clientId: client.UserPoolClient.ClientId };
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  return state;
}

async function ensureUser(
  call: Call,
  userPoolId: string,
  username: string,
  staff: boolean,
): Promise<LocalCredentials> {
  try {
    await call('AdminGetUser', { UserPoolId: userPoolId, Username: username });
  } catch (error) {
    if (!(error instanceof CognitoCallError) || error.type !== 'UserNotFoundException') throw error;
    await call('AdminCreateUser', {
      UserPoolId: userPoolId,
      Username: username,
      MessageAction: 'SUPPRESS',
      UserAttributes: [
        { Name: 'email', Value: `${username}@drift-sentinel.local` },
        { Name: 'email_verified', Value: 'true' },
      ],
    });
  }
  const password = randomPassword();
  await call('AdminSetUserPassword', {
    UserPoolId: userPoolId,
    Username: username,
    Password: password,
    Permanent: true,
  });
  const { Groups = [] } = (await call('AdminListGroupsForUser', {
    UserPoolId: userPoolId,
    Username: username,
  })) as { Groups?: { GroupName: string }[] };
  const member = Groups.some((g) => g.GroupName === STAFF_GROUP);
  if (staff && !member) {
    await call('AdminAddUserToGroup', { UserPoolId: userPoolId, Username: username, GroupName: STAFF_GROUP });
  } else if (!staff && member) {
    await call('AdminRemoveUserFromGroup', {
      UserPoolId: userPoolId,
      Username: username,
      GroupName: STAFF_GROUP,
    });
  }
  return { username, password };
}

/** The only actions the dashboard may send through the local server: sign in, refresh, sign out. */
const PROXIED = new Set(['InitiateAuth', 'RevokeToken']);
const PROXY_MAX_BODY = 16 * 1024;

/**
 * Forward one sign-in call from the dashboard (`POST /local/cognito`, Cognito's JSON protocol) to
 * cognito-local: only `InitiateAuth` and `RevokeToken`, only for the dashboard's app client. Adds what
 * cognito-local leaves out of a successful InitiateAuth and real Cognito sends (`ExpiresIn`, `TokenType`).
 */
export async function proxyCognito(
  req: IncomingMessage,
  res: ServerResponse,
  target: { readonly url: string; readonly clientId: string },
  headers: Readonly<Record<string, string>> = {},
): Promise<void> {
  const reply = (status: number, body: Record<string, unknown>): void => {
    res.writeHead(status, {
      ...headers,
      'Content-Type': 'application/x-amz-json-1.1',
      'Cache-Control': 'no-store',
    });
    res.end(JSON.stringify(body));
  };
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    reply(405, { __type: 'MethodNotAllowed', message: 'POST only' });
    return;
  }
  const amzTarget = String(req.headers['x-amz-target'] ?? '');
  const action = amzTarget.startsWith(TARGET_PREFIX) ? amzTarget.slice(TARGET_PREFIX.length) : '';
  if (!PROXIED.has(action)) {
    reply(400, {
      __type: 'UnsupportedOperation',
      message: `Only ${[...PROXIED].join(' and ')} are forwarded`,
    });
    return;
  }
  if (!String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) {
    reply(415, {
      __type: 'UnsupportedMediaType',
      message: 'Content-Type must be application/x-amz-json-1.1',
    });
    return;
  }
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(await readBody(req, PROXY_MAX_BODY));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('not an object');
    body = parsed as Record<string, unknown>;
  } catch (error) {
    if (error instanceof BodyTooLargeError) reply(413, { __type: 'RequestTooLarge', message: error.message });
    else reply(400, { __type: 'SerializationException', message: 'The body must be a JSON object' });
    return;
  }
  if (body.ClientId !== target.clientId) {
    reply(400, {
      __type: 'InvalidParameterException',
      message: "ClientId is not the dashboard's app client",
    });
    return;
  }
  let upstream: Response;
  try {
    upstream = await fetch(`${target.url}/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': amzTarget },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    reply(503, { __type: 'ServiceUnavailable', message: 'cognito-local is not answering' });
    return;
  }
  const text = await upstream.text();
  let json: Record<string, unknown>;
  try {
    json = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
  } catch {
    reply(502, { __type: 'BadGateway', message: 'cognito-local answered with something other than JSON' });
    return;
  }
  const result = json.AuthenticationResult as Record<string, unknown> | undefined;
  if (upstream.ok && result && typeof result.IdToken === 'string') {
    const exp = expiryOf(result.IdToken);
    if (result.ExpiresIn === undefined && exp !== undefined) {
      result.ExpiresIn = Math.max(0, exp - Math.floor(Date.now() / 1000));
    }
    result.TokenType ??= 'Bearer';
  }
  reply(upstream.status, json);
}

/** The `exp` claim of a JWT (not verified: only to report the lifetime cognito-local gave it). */
function expiryOf(token: string): number | undefined {
  try {
    const exp = Number(JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')).exp);
    return Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}
