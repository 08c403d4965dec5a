// (SPA) Cognito hosted UI: authorization code + PKCE through oidc-client-ts (no client secret in the
// browser), tokens renewed with the refresh token before they expire, sign-out through the hosted UI's
// /logout so the Cognito session ends too.
import { type User, UserManager, WebStorageStateStore } from 'oidc-client-ts';
import { type Auth, AuthError, RENEW_MARGIN_MS, type Session, sessionOf } from './auth';
import type { AuthConfig } from './config';

type HostedConfig = Extract<AuthConfig, { mode: 'hosted-ui' }>;

/** The route to come back to after the redirect round trip. */
interface ReturnState {
  readonly hash: string;
}

/** The hosted UI's logout URL (Cognito's metadata has no end_session_endpoint). */
export function logoutUrl(cfg: HostedConfig): string {
  const q = new URLSearchParams({ client_id: cfg.clientId, logout_uri: cfg.logoutUri });
  return `${cfg.domain}/logout?${q.toString()}`;
}

export class HostedUiAuth implements Auth {
  public readonly mode = 'hosted-ui' as const;
  private readonly manager: UserManager;
  private user: User | null = null;

  public constructor(private readonly cfg: HostedConfig) {
    this.manager = new UserManager({
      authority: cfg.authority,
      client_id: cfg.clientId,
      redirect_uri: cfg.redirectUri,
      post_logout_redirect_uri: cfg.logoutUri,
      response_type: 'code',
      scope: 'openid email profile',
      // Refresh-token renewal: oidc-client-ts uses the refresh token when the user has one.
      automaticSilentRenew: true,
      accessTokenExpiringNotificationTimeInSeconds: RENEW_MARGIN_MS / 1000,
      userStore: new WebStorageStateStore({ store: window.sessionStorage }),
      loadUserInfo: false,
    });
    this.manager.events.addUserLoaded((u) => {
      this.user = u;
    });
    this.manager.events.addUserUnloaded(() => {
      this.user = null;
    });
  }

  public async init(): Promise<Session | null> {
    const params = new URLSearchParams(window.location.search);
    if (params.has('error')) {
      const description = params.get('error_description') ?? params.get('error') ?? 'unknown error';
      window.history.replaceState(null, '', window.location.pathname);
      throw new AuthError(`Sign-in failed: ${description}`);
    }
    if (params.has('code') && params.has('state')) {
      try {
        const user = await this.manager.signinCallback();
        this.user = user ?? null;
      } catch (error) {
        throw new AuthError('Sign-in could not be completed; try again', { cause: error });
      } finally {
        const back = (this.user?.state as ReturnState | undefined)?.hash ?? '';
        window.history.replaceState(null, '', `${window.location.pathname}${back}`);
      }
    } else {
      this.user = await this.manager.getUser();
    }
    if (this.user?.expired && !(await this.refresh())) return null;
    return this.session();
  }

  public session(): Session | null {
    const id = this.user?.id_token;
    return id ? sessionOf(id, (this.user?.expires_at ?? 0) * 1000) : null;
  }

  /** Go to the hosted UI; the current route comes back with the code. */
  public async signIn(): Promise<void> {
    const state: ReturnState = { hash: window.location.hash };
    await this.manager.signinRedirect({ state });
  }

  public async token(): Promise<string | null> {
    const expiresAt = (this.user?.expires_at ?? 0) * 1000;
    if (this.user && expiresAt - RENEW_MARGIN_MS <= Date.now()) await this.refresh();
    return this.user?.id_token ?? null;
  }

  public async refresh(): Promise<boolean> {
    if (!this.user?.refresh_token) return false;
    try {
      this.user = await this.manager.signinSilent();
      return this.user !== null;
    } catch {
      await this.manager.removeUser();
      this.user = null;
      return false;
    }
  }

  public async signOut(): Promise<void> {
    await this.manager.removeUser();
    this.user = null;
    window.location.assign(logoutUrl(this.cfg));
  }
}
