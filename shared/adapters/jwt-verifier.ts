// (adapter) verifies Cognito ID tokens where no API Gateway authorizer does it (the local stack): jose
// against the issuer's JWKS, RS256 only, issuer and audience (the app client) checked, `token_use: id`.
// The issuer is configurable because cognito-local issues `http://127.0.0.1:<port>/<userPoolId>`;
// aws-jwt-verify rejects that issuer and cognito-local's pool ids, so jose it is (DESIGN §7).
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import { DependencyError, UnauthorizedError } from '../errors';

/** Settings of {@link createIdTokenVerifier}. */
export interface IdTokenVerifierOptions {
  /** The `iss` tokens must carry, e.g. `https://cognito-idp.<region>.amazonaws.com/<poolId>`. */
  readonly issuer: string;
  /** The app client id tokens must be issued to (`aud`). */
  readonly audience: string;
  /**
   * Where the signing keys are published.
   * @default `${issuer}/.well-known/jwks.json` (Cognito's and cognito-local's layout)
   */
  readonly jwksUrl?: string;
  /**
   * Tolerated clock skew.
   * @default 5 seconds
   */
  readonly clockToleranceSeconds?: number;
}

/**
 * Verifies an ID token and returns its claims.
 * @throws UnauthorizedError saying why the token was refused; DependencyError when the keys could not be
 * fetched (the issuer is down: not the caller's fault)
 */
export type IdTokenVerifier = (token: string) => Promise<JWTPayload>;

const FIELD = 'authorization';

/** Build a verifier; keys are fetched on first use and cached (refetched for an unknown `kid`). */
export function createIdTokenVerifier(options: IdTokenVerifierOptions): IdTokenVerifier {
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl ?? `${options.issuer}/.well-known/jwks.json`));
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: ['RS256'],
        clockTolerance: options.clockToleranceSeconds ?? 5,
      }));
    } catch (cause) {
      if (!(cause instanceof errors.JOSEError) || cause instanceof errors.JWKSTimeout) {
        throw new DependencyError('The token issuer could not be reached to verify the token', { cause });
      }
      const reason =
        cause instanceof errors.JWTExpired
          ? 'The token has expired: sign in again'
          : cause instanceof errors.JWTClaimValidationFailed
            ? `The token's ${cause.claim} claim is not accepted`
            : 'The token could not be verified';
      throw new UnauthorizedError(reason, { field: FIELD, cause });
    }
    if (payload.token_use !== 'id') {
      throw new UnauthorizedError('An ID token is required', { field: FIELD });
    }
    return payload;
  };
}

/** The bearer token of an Authorization header value, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\s*$/i.exec(header ?? '');
  return m ? m[1] : undefined;
}
