// (handler helper) who is calling the API, and whether they may: every request needs a Cognito ID token
// whose `cognito:groups` includes `staff`. In AWS, API Gateway's Cognito user pool authorizer verifies the
// token (signature, expiry, issuer) and hands its claims to the function as
// `requestContext.authorizer.claims`, every value a string; locally the loopback server verifies the bearer
// token with jose against the issuer's JWKS and passes the same claims (infra/local/http-server.ts). The
// router runs one Authenticator before any route, so no route can forget the check.
import { ForbiddenError, UnauthorizedError } from '../shared/errors';
import type { ProxyEvent } from './http';

/** The Cognito group every API route requires. */
export const STAFF_GROUP = 'staff';

/** An authenticated caller. */
export interface Caller {
  /** Recorded as the actor of what the caller changes: the e-mail when the token has one, else the user name. */
  readonly name: string;
  readonly username: string;
  readonly email?: string;
  readonly groups: readonly string[];
}

/**
 * Decide who is calling. @throws UnauthorizedError (401) without a usable identity, ForbiddenError (403)
 * when the caller lacks the required group
 */
export type Authenticator = (event: ProxyEvent) => Promise<Caller>;

/**
 * The groups of a `cognito:groups` claim in the shapes it arrives in: a JSON array (a verified token's
 * claims), or the string API Gateway's authorizer makes of it — `staff`, `[staff admin]` (HTTP API),
 * `staff,admin` (REST API). A Cognito group name may itself contain a comma, so a string with a comma
 * cannot be split safely (`x,staff` may be one group): it yields no groups here, and
 * {@link cognitoClaims} reads such a claim from the token itself instead.
 */
export function groupsOf(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((g): g is string => typeof g === 'string' && g !== '');
  if (typeof claim !== 'string') return [];
  const text = claim.trim();
  if (text.startsWith('[') && text.includes('"')) {
    try {
      return groupsOf(JSON.parse(text));
    } catch {
      // not JSON after all
    }
  }
  if (text.includes(',')) return []; // ambiguous: see cognitoClaims
  return text
    .replace(/^\[|\]$/g, '')
    .split(/\s+/)
    .filter((g) => g !== '');
}

/** Claims that tie a bearer token to the authorizer's verified claims (each compared when present). */
const TOKEN_IDENTITY_CLAIMS = [
  'sub',
  'jti',
  'origin_jti',
  'event_id',
  'aud',
  'cognito:username',
  'token_use',
];

/**
 * The exact groups of the request's ID token, for a flattened claim that holds a comma. API Gateway
 * verified the token in the Authorization header before the function runs; its payload (decoded, not
 * re-verified) is used only when the request carries exactly one Authorization header, its identity
 * claims equal the authorizer's, and its groups flatten to the very string the authorizer passed.
 */
function groupsFromToken(event: ProxyEvent, claims: Record<string, unknown>, flattened: string): string[] {
  const values = Object.entries(event.multiValueHeaders ?? {})
    .filter(([k]) => k.toLowerCase() === AUTH_FIELD)
    .flatMap(([, v]) => v ?? []);
  if (values.length > 1) return [];
  const header = Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === AUTH_FIELD)?.[1];
  const token = /^Bearer\s+([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\s*$/i.exec(header ?? '');
  if (!token) return [];
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(Buffer.from(token[2]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return [];
  }
  if (payload === null || typeof payload !== 'object' || claims.sub === undefined) return [];
  for (const name of TOKEN_IDENTITY_CLAIMS) {
    if (claims[name] !== undefined && String(payload[name]) !== String(claims[name])) return [];
  }
  const groups = payload['cognito:groups'];
  if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) return [];
  const matches = groups.join(',') === flattened || `[${groups.join(' ')}]` === flattened;
  return matches ? groups : [];
}

/** Options of {@link cognitoClaims}. */
export interface CognitoClaimsOptions {
  /**
   * The group every request needs.
   * @default STAFF_GROUP
   */
  readonly group?: string;
  /**
   * The app client the token must have been issued to (its `aud` claim).
   * @default any client of the user pool the authorizer trusts
   */
  readonly clientId?: string;
  /**
   * The issuer the token must carry (`iss`): the user pool's URL. Keeps tokens of any other pool — a
   * local cognito-local's included — out even if something upstream let them through.
   * @default not checked (the authorizer is bound to one user pool)
   */
  readonly issuer?: string;
}

const AUTH_FIELD = 'authorization';

function claimText(claims: Record<string, unknown>, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * An authenticator over the verified Cognito ID-token claims in `requestContext.authorizer.claims`:
 * 401 when there are none, the token is not an ID token, or it was issued to another app client; 403 when
 * the caller is not in the group.
 */
export function cognitoClaims(options: CognitoClaimsOptions = {}): Authenticator {
  const group = options.group ?? STAFF_GROUP;
  return async (event) => {
    const raw = event.requestContext?.authorizer?.claims;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new UnauthorizedError('Sign in first: send a Cognito ID token as Authorization: Bearer <token>', {
        field: AUTH_FIELD,
      });
    }
    const claims = raw as Record<string, unknown>;
    const use = claimText(claims, 'token_use');
    if (use !== undefined && use !== 'id') {
      throw new UnauthorizedError(`An ID token is required, not an ${use} token`, { field: AUTH_FIELD });
    }
    if (options.issuer !== undefined && claimText(claims, 'iss') !== options.issuer) {
      throw new UnauthorizedError('The token was issued by another user pool', { field: AUTH_FIELD });
    }
    if (options.clientId !== undefined && claimText(claims, 'aud') !== options.clientId) {
      throw new UnauthorizedError('The token was issued to another app client', { field: AUTH_FIELD });
    }
    const username = claimText(claims, 'cognito:username') ?? claimText(claims, 'sub');
    if (username === undefined) {
      throw new UnauthorizedError('The token names no user', { field: AUTH_FIELD });
    }
    const email = claimText(claims, 'email');
    const claim = claims['cognito:groups'];
    const groups =
      typeof claim === 'string' && claim.includes(',') && !claim.trim().startsWith('["')
        ? groupsFromToken(event, claims, claim.trim())
        : groupsOf(claim);
    if (!groups.includes(group)) {
      throw new ForbiddenError(`Your account is not in the ${group} group`, { field: AUTH_FIELD });
    }
    return {
      name: (email ?? username).slice(0, 256),
      username,
      ...(email !== undefined ? { email } : {}),
      groups,
    };
  };
}

/**
 * Every request is `name`, a staff member. Only for in-process callers that already hold the tables' IAM
 * credentials (the feedback CLI against the deployed tables): there IAM is the authorization.
 */
export function trustedCaller(name: string): Authenticator {
  const caller: Caller = { name, username: name, groups: [STAFF_GROUP] };
  return async () => caller;
}
