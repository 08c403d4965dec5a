import { z } from 'zod';
import { cognitoClaims, groupsOf, trustedCaller } from '../../functions/auth';
import { createRouter, ProxyEventSchema, route } from '../../functions/http';
import { returns } from '../../shared/api/contract';
import { DependencyError } from '../../shared/errors';
import { apiEvent, parsed, STAFF_ACTOR, STAFF_CLAIMS, TEST_CLIENT_ID } from '../helpers/api';
import { recordingLog } from '../helpers/logs';

const log = recordingLog();
const router = createRouter(
  [
    route(
      {
        method: 'POST',
        path: '/api/echo/{name}',
        summary: 'echo',
        params: z.object({ name: z.string().regex(/^[a-z]+$/) }),
        body: z.strictObject({ n: z.number().default(1) }),
        mutates: true,
        success: returns('Echo'),
      },
      async ({ params, body, actor }) => ({ status: 200, body: { name: params.name, n: body.n, actor } }),
    ),
    route({ method: 'GET', path: '/api/boom', summary: 'fails', success: returns('none') }, async () => {
      throw new Error('secret detail');
    }),
    route({ method: 'GET', path: '/api/down', summary: 'dependency', success: returns('none') }, async () => {
      throw new DependencyError('table gone');
    }),
  ],
  log,
  { authenticate: cognitoClaims({ clientId: TEST_CLIENT_ID }), headers: { 'X-Extra': 'yes' } },
);

describe('router', () => {
  it('validates params and body, defaults an empty body, decodes base64 bodies', async () => {
    expect(parsed(await router(apiEvent('POST', '/api/echo/abc')))).toMatchObject({
      status: 200,
      body: { n: 1 },
    });
    const b64 = {
      ...apiEvent('POST', '/api/echo/abc'),
      body: Buffer.from('{"n":5}').toString('base64'),
      isBase64Encoded: true,
    };
    expect(parsed(await router(b64)).body).toMatchObject({ n: 5 });
    expect(parsed(await router(apiEvent('POST', '/api/echo/ABC')))).toMatchObject({
      status: 400,
      body: { field: 'name' },
    });
    expect(parsed(await router(apiEvent('POST', '/api/echo/abc', { body: { n: 'x' } })))).toMatchObject({
      status: 400,
      body: { field: 'n', issues: [expect.stringMatching(/^n: /)] },
    });
  });

  it('answers 405 with Allow, 500 without leaking the message, 503 for dependencies', async () => {
    const wrong = await router(apiEvent('GET', '/api/echo/abc'));
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers?.Allow).toBe('POST');
    const boom = parsed(await router(apiEvent('GET', '/api/boom')));
    expect(boom).toEqual({ status: 500, body: { error: 'Internal error', field: null } });
    expect(log.lines.some((l) => l.level === 'error' && l.extra?.error === 'secret detail')).toBe(true);
    expect(parsed(await router(apiEvent('GET', '/api/down')))).toMatchObject({
      status: 503,
      body: { field: null },
    });
  });

  it('records the caller as the actor: the e-mail of the token, else its user name', async () => {
    const r = parsed(await router(apiEvent('POST', '/api/echo/abc')));
    expect(r.body.actor).toEqual({ kind: 'person', name: STAFF_ACTOR });
    const { email: _email, ...noEmail } = STAFF_CLAIMS;
    const byName = parsed(await router(apiEvent('POST', '/api/echo/abc', { claims: noEmail })));
    expect(byName.body.actor).toEqual({ kind: 'person', name: 'alice' });
  });
});

describe('router: authentication (every route, before routing)', () => {
  it('answers 401 naming authorization without claims, for known and unknown paths alike', async () => {
    for (const path of ['/api/echo/abc', '/api/nowhere']) {
      const r = await router(apiEvent('POST', path, { claims: null }));
      expect(r.statusCode).toBe(401);
      expect(r.headers?.['WWW-Authenticate']).toBe('Bearer');
      expect(JSON.parse(r.body)).toEqual({ error: expect.any(String), field: 'authorization' });
    }
  });

  it('answers 403 naming authorization to a signed-in user outside the staff group', async () => {
    for (const groups of [undefined, 'admin', 'staffers,admin', '[admin readers]']) {
      const { 'cognito:groups': _g, ...rest } = STAFF_CLAIMS;
      const claims = groups === undefined ? rest : { ...rest, 'cognito:groups': groups };
      expect(parsed(await router(apiEvent('GET', '/api/boom', { claims })))).toEqual({
        status: 403,
        body: { error: 'Your account is not in the staff group', field: 'authorization' },
      });
    }
  });

  it('refuses access tokens, tokens of another app client, and tokens naming nobody (401)', async () => {
    for (const patch of [{ token_use: 'access' }, { aud: 'someoneelse' }] as Record<string, string>[]) {
      const r = parsed(await router(apiEvent('GET', '/api/boom', { claims: { ...STAFF_CLAIMS, ...patch } })));
      expect(r).toMatchObject({ status: 401, body: { field: 'authorization' } });
    }
    const { 'cognito:username': _u, sub: _s, ...anonymous } = STAFF_CLAIMS;
    expect(parsed(await router(apiEvent('GET', '/api/boom', { claims: anonymous }))).status).toBe(401);
  });

  it('adds the configured headers to every answer, errors included', async () => {
    expect((await router(apiEvent('GET', '/api/x', { claims: null }))).headers?.['X-Extra']).toBe('yes');
    expect((await router(apiEvent('POST', '/api/echo/abc'))).headers?.['X-Extra']).toBe('yes');
  });

  it('reads cognito:groups in every shape it arrives in', () => {
    expect(groupsOf(['staff', 'admin'])).toEqual(['staff', 'admin']);
    expect(groupsOf('staff')).toEqual(['staff']);
    expect(groupsOf('[staff admin]')).toEqual(['staff', 'admin']);
    expect(groupsOf('["staff","admin"]')).toEqual(['staff', 'admin']);
    expect(groupsOf(['x,staff'])).toEqual(['x,staff']);
    // A comma may be part of a group name: the flattened string alone cannot be split.
    expect(groupsOf('staff,admin')).toEqual([]);
    expect(groupsOf('[staff, admin]')).toEqual([]);
    expect(groupsOf(undefined)).toEqual([]);
    expect(groupsOf(42)).toEqual([]);
  });

  it('with an issuer configured, refuses a token of any other user pool (a local cognito-local one)', async () => {
    const issuer = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123';
    const strict = createRouter(
      [
        route({ method: 'GET', path: '/api/x', summary: 'x', success: returns('none') }, async () => ({
          status: 200,
          body: {},
        })),
      ],
      log,
      {
        authenticate: cognitoClaims({ clientId: TEST_CLIENT_ID, issuer }),
      },
    );
    const as = (iss: string | undefined) =>
      apiEvent('GET', '/api/x', { claims: { ...STAFF_CLAIMS, ...(iss === undefined ? {} : { iss }) } });
    expect(parsed(await strict(as(issuer))).status).toBe(200);
    for (const iss of [
      'http://127.0.0.1:9229/local_5uTj2Zbt',
      'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other',
      undefined,
    ])
      expect(parsed(await strict(as(iss)))).toMatchObject({ status: 401, body: { field: 'authorization' } });
  });

  describe('a flattened cognito:groups with a comma is read from the ID token itself', () => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const tokenOf = (payload: Record<string, unknown>) =>
      `${b64({ alg: 'RS256', kid: 'k' })}.${b64(payload)}.c2lnbmF0dXJl`;
    const payloadOf = (groups: string[]) => ({
      sub: STAFF_CLAIMS.sub,
      aud: TEST_CLIENT_ID,
      token_use: 'id',
      'cognito:username': 'alice',
      'cognito:groups': groups,
    });
    /** A request as API Gateway hands it on: the claims flattened, the Authorization header as sent. */
    const withToken = (
      groups: string[],
      authorization: string[] = [`Bearer ${tokenOf(payloadOf(groups))}`],
    ) => {
      const e = apiEvent('GET', '/api/boom', {
        claims: { ...STAFF_CLAIMS, 'cognito:groups': groups.join(',') },
      });
      return {
        ...e,
        headers: { ...e.headers, Authorization: authorization.at(-1)! },
        multiValueHeaders: { Authorization: authorization },
      };
    };
    const status = async (event: unknown) => parsed(await router(event)).status;

    it('a group named "x,staff" is not the staff group', async () => {
      expect(await status(withToken(['x,staff']))).toBe(403);
    });

    it('several real groups, staff among them, pass', async () => {
      expect(await status(withToken(['admin', 'staff']))).toBe(500); // /api/boom: past the auth check
    });

    it('refuses when the token is missing, for another user, or sent twice', async () => {
      const noToken = apiEvent('GET', '/api/boom', {
        claims: { ...STAFF_CLAIMS, 'cognito:groups': 'x,staff' },
      });
      expect(await status(noToken)).toBe(403);
      const other = tokenOf({ ...payloadOf(['x', 'staff']), sub: 'someone-else' });
      expect(await status(withToken(['x', 'staff'], [`Bearer ${other}`]))).toBe(403);
      // The authorizer verified one header; a second, forged one must not be the one read.
      const forged = tokenOf(payloadOf(['x', 'staff']));
      const real = tokenOf(payloadOf(['x,staff']));
      const twice = {
        ...withToken(['x,staff']),
        multiValueHeaders: { Authorization: [`Bearer ${real}`, `Bearer ${forged}`] },
      };
      twice.headers.Authorization = `Bearer ${forged}`;
      expect(await status(twice)).toBe(403);
    });
  });

  it('a trusted caller (the CLI against the tables, which IAM already authorized) is staff', async () => {
    const caller = await trustedCaller('cli:bob@host')(ProxyEventSchema.parse(apiEvent('GET', '/api/x')));
    expect(caller).toEqual({ name: 'cli:bob@host', username: 'cli:bob@host', groups: ['staff'] });
  });
});

describe('router: cross-site requests', () => {
  it('refuses a body route without application/json even when the body is empty (no form-POST CSRF)', async () => {
    const formPost = apiEvent('POST', '/api/echo/abc', { contentType: 'application/x-www-form-urlencoded' });
    expect(parsed(await router(formPost))).toMatchObject({ status: 415, body: { field: 'Content-Type' } });
    const noType = apiEvent('POST', '/api/echo/abc', { contentType: null });
    expect(parsed(await router(noType)).status).toBe(415);
  });
});
