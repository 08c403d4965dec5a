// (SPA) who is signed in and which token the API gets. Three modes (config.json `auth.mode`):
// `password` signs in against cognito-local through the local server (USER_PASSWORD_AUTH, refreshed with
// REFRESH_TOKEN_AUTH); `hosted-ui` is Cognito's hosted UI with code + PKCE (auth-hosted.ts, oidc-client-ts);
// `none` is the local no-auth flag, shown with a red banner. Every API call sends the Cognito ID token,
// which carries `cognito:groups`.

/** A signed-in user, as the header shows it. */
export interface Session {
  readonly username: string;
  readonly groups: readonly string[];
  /** When the ID token expires (epoch ms). */
  readonly expiresAt: number;
}

/** The part of the Web Storage API the password mode uses (sessionStorage in the browser). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface Auth {
  readonly mode: 'none' | 'password' | 'hosted-ui';
  /** Restore a session (and finish a hosted-UI redirect); null when nobody is signed in. */
  init(): Promise<Session | null>;
  /** The bearer token for the next API call, renewed first when it is about to expire; null in `none`. */
  token(): Promise<string | null>;
  /** Renew after the API said 401; false when the session cannot be renewed (sign in again). */
  refresh(): Promise<boolean>;
  signOut(): Promise<void>;
}

/** Sign-in or renewal failed; `message` is fit to show. */
export class AuthError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuthError';
  }
}

/** Renew this long before the token expires, so a request in flight does not carry a dead token. */
export const RENEW_MARGIN_MS = 60_000;

/** The claims of a JWT (not verified: the API verifies; the SPA only reads the name and expiry). */
export function jwtClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) throw new AuthError('The token is not a JWT');
  try {
    const b64 = part
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(part.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof claims !== 'object' || claims === null) throw new Error('claims are not an object');
    return claims as Record<string, unknown>;
  } catch (error) {
    throw new AuthError('The token could not be read', { cause: error });
  }
}

/** The session an ID token describes. */
export function sessionOf(idToken: string, fallbackExpiresAt: number): Session {
  const c = jwtClaims(idToken);
  const name = [c['cognito:username'], c.email, c.username, c.sub].find((v) => typeof v === 'string');
  const groups = Array.isArray(c['cognito:groups'])
    ? c['cognito:groups'].filter((g): g is string => typeof g === 'string')
    : [];
  const exp = typeof c.exp === 'number' ? c.exp * 1000 : fallbackExpiresAt;
  return { username: (name as string | undefined) ?? 'unknown user', groups, expiresAt: exp };
}

/** Local development without sign-in (`npm start -- --no-auth`). */
export class NoAuth implements Auth {
  public readonly mode = 'none' as const;

  public async init(): Promise<Session> {
    return { username: 'local developer', groups: [], expiresAt: Number.POSITIVE_INFINITY };
  }

  public async token(): Promise<null> {
    return null;
  }

  public async refresh(): Promise<boolean> {
    return false;
  }

  public async signOut(): Promise<void> {}
}

interface StoredTokens {
  readonly idToken: string;
  readonly refreshToken?: string;
  readonly expiresAt: number;
}

type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

const STORAGE_KEY = 'drift-sentinel.tokens';

/**
 * Username and password against cognito-local (local mode). Tokens live in sessionStorage: they survive
 * a reload of the tab, not the browser.
 */
export class PasswordAuth implements Auth {
  public readonly mode = 'password' as const;
  private tokens: StoredTokens | null = null;
  private renewing: Promise<boolean> | null = null;

  public constructor(
    private readonly cfg: { readonly endpoint: string; readonly clientId: string },
    private readonly store: KeyValueStore,
    private readonly fetchFn: FetchFn,
    private readonly now: () => number = Date.now,
  ) {}

  public async init(): Promise<Session | null> {
    const raw = this.store.getItem(STORAGE_KEY);
    if (!raw) return null;
    try {
      const t = JSON.parse(raw) as StoredTokens;
      if (typeof t.idToken !== 'string' || typeof t.expiresAt !== 'number') throw new Error('bad shape');
      this.tokens = t;
    } catch {
      this.store.removeItem(STORAGE_KEY);
      return null;
    }
    if (this.tokens.expiresAt - RENEW_MARGIN_MS <= this.now() && !(await this.refresh())) return null;
    return this.session();
  }

  /** The signed-in user, or null. */
  public session(): Session | null {
    return this.tokens ? sessionOf(this.tokens.idToken, this.tokens.expiresAt) : null;
  }

  /** Sign in. @throws AuthError with Cognito's message (wrong password, unknown user…) */
  public async signIn(username: string, password: string): Promise<Session> {
    const result = await this.initiate({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: this.cfg.clientId,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    });
    this.keep(result, undefined);
    return this.session()!;
  }

  public async token(): Promise<string | null> {
    if (!this.tokens) return null;
    if (this.tokens.expiresAt - RENEW_MARGIN_MS <= this.now()) await this.refresh();
    return this.tokens?.idToken ?? null;
  }

  public refresh(): Promise<boolean> {
    // Several requests may see a 401 at once: one renewal serves them all.
    this.renewing ??= this.renew().finally(() => {
      this.renewing = null;
    });
    return this.renewing;
  }

  /** Forget the tokens and revoke the refresh token (best effort: signing out never fails). */
  public async signOut(): Promise<void> {
    const refreshToken = this.tokens?.refreshToken;
    this.forget();
    if (!refreshToken) return;
    try {
      await this.fetchFn(this.cfg.endpoint, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-amz-json-1.1',
          'X-Amz-Target': 'AWSCognitoIdentityProviderService.RevokeToken',
        },
        body: JSON.stringify({ Token: refreshToken, ClientId: this.cfg.clientId }),
      });
    } catch {
      // The tokens are gone from this tab either way; an unrevoked refresh token expires on its own.
    }
  }

  private forget(): void {
    this.tokens = null;
    this.store.removeItem(STORAGE_KEY);
  }

  private async renew(): Promise<boolean> {
    const refreshToken = this.tokens?.refreshToken;
    if (!refreshToken) {
      this.forget();
      return false;
    }
    try {
      const result = await this.initiate({
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        ClientId: this.cfg.clientId,
        AuthParameters: { REFRESH_TOKEN: refreshToken },
      });
      this.keep(result, refreshToken);
      return true;
    } catch {
      this.forget();
      return false;
    }
  }

  private keep(result: Record<string, unknown>, previousRefresh: string | undefined): void {
    const idToken = result.IdToken;
    if (typeof idToken !== 'string') throw new AuthError('Sign-in answered without an ID token');
    const expiresIn = typeof result.ExpiresIn === 'number' ? result.ExpiresIn : 3600;
    const refreshToken = typeof result.RefreshToken === 'string' ? result.RefreshToken : previousRefresh;
    this.tokens = {
      idToken,
      ...(refreshToken ? { refreshToken } : {}),
      expiresAt: this.now() + expiresIn * 1000,
    };
    this.store.setItem(STORAGE_KEY, JSON.stringify(this.tokens));
  }

  private async initiate(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    let res: Response;
    try {
      res = await this.fetchFn(this.cfg.endpoint, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-amz-json-1.1',
          'X-Amz-Target': 'AWSCognitoIdentityProviderService.InitiateAuth',
        },
        body: JSON.stringify(body),
      });
    } catch (error) {
      throw new AuthError('The sign-in service could not be reached', { cause: error });
    }
    let data: Record<string, unknown> = {};
    try {
      data = (await res.json()) as Record<string, unknown>;
    } catch {
      // keep {}: the status below says what happened
    }
    if (!res.ok) {
      const message = typeof data.message === 'string' ? data.message : `Sign-in failed (HTTP ${res.status})`;
      throw new AuthError(message);
    }
    if (typeof data.ChallengeName === 'string') {
      throw new AuthError(
        `This account needs ${data.ChallengeName}, which the local sign-in form does not handle`,
      );
    }
    const result = data.AuthenticationResult;
    if (typeof result !== 'object' || result === null) throw new AuthError('Sign-in answered without tokens');
    return result as Record<string, unknown>;
  }
}
