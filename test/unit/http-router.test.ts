import { z } from 'zod';
import { actorOf, createRouter, ProxyEventSchema, route } from '../../functions/http';
import { DependencyError } from '../../shared/errors';
import { apiEvent, parsed } from '../helpers/api';
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
      },
      async ({ params, body, actor }) => ({ status: 200, body: { name: params.name, n: body.n, actor } }),
    ),
    route({ method: 'GET', path: '/api/boom', summary: 'fails' }, async () => {
      throw new Error('secret detail');
    }),
    route({ method: 'GET', path: '/api/down', summary: 'dependency' }, async () => {
      throw new DependencyError('table gone');
    }),
  ],
  log,
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

  it('takes the actor from Cognito claims first (issue #7), then the IAM caller, then a local user', () => {
    const base = apiEvent('GET', '/api/x');
    const withClaims = {
      ...base,
      requestContext: {
        ...base.requestContext,
        authorizer: { claims: { 'cognito:username': 'carol', email: 'c@x' } },
      },
    };
    expect(actorOf(ProxyEventSchema.parse(withClaims))).toEqual({ kind: 'person', name: 'carol' });
    expect(actorOf(ProxyEventSchema.parse(base))).toEqual({
      kind: 'person',
      name: 'arn:aws:iam::123456789012:user/alice',
    });
    const local = apiEvent('GET', '/api/x', { userArn: null });
    expect(actorOf(ProxyEventSchema.parse(local))).toBeUndefined();
    expect(
      actorOf(ProxyEventSchema.parse({ ...local, requestContext: { identity: { user: 'local:dan' } } })),
    ).toEqual({ kind: 'person', name: 'local:dan' });
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
