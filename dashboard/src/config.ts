// (SPA) the runtime config (GET config.json, written at deploy or by the local server), checked by hand
// so the bundle does not carry a schema library. Every problem is reported with the key at fault.

export type AuthConfig =
  | {
      readonly mode: 'hosted-ui';
      readonly authority: string;
      readonly clientId: string;
      readonly domain: string;
      readonly redirectUri: string;
      readonly logoutUri: string;
    }
  | {
      readonly mode: 'password';
      readonly endpoint: string;
      readonly clientId: string;
      readonly userPoolId: string;
    }
  | { readonly mode: 'none' };

export interface DashboardConfig {
  /** Prefix for API paths, no trailing slash; "" = same origin. */
  readonly apiBaseUrl: string;
  /** Auto-refresh period in seconds (default 60; 0 turns it off). */
  readonly refreshSeconds: number;
  readonly auth: AuthConfig;
}

/** A config.json that cannot be used; `key` names the offending entry. */
export class ConfigError extends Error {
  public readonly key: string;

  public constructor(key: string, message: string) {
    super(`config.json: ${key} ${message}`);
    this.name = 'ConfigError';
    this.key = key;
  }
}

export const DEFAULT_REFRESH_SECONDS = 60;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function text(o: Record<string, unknown>, key: string, prefix: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length === 0)
    throw new ConfigError(`${prefix}${key}`, 'must be a non-empty string');
  return v;
}

function url(o: Record<string, unknown>, key: string, prefix: string): string {
  const v = text(o, key, prefix);
  if (!/^https?:\/\/[^\s]+$/.test(v)) throw new ConfigError(`${prefix}${key}`, 'must be an http(s) URL');
  return v;
}

/** Validate a parsed config.json. @throws ConfigError naming the key */
export function parseConfig(raw: unknown): DashboardConfig {
  if (!isRecord(raw)) throw new ConfigError('(root)', 'must be a JSON object');
  const base = raw.apiBaseUrl ?? '';
  if (typeof base !== 'string' || (base !== '' && !/^(https?:\/\/[^\s]+|\/[^\s]*)$/.test(base))) {
    throw new ConfigError('apiBaseUrl', 'must be "" or an http(s) URL or a path');
  }
  const refresh = raw.refreshSeconds ?? DEFAULT_REFRESH_SECONDS;
  if (typeof refresh !== 'number' || !Number.isFinite(refresh) || refresh < 0 || refresh > 86_400) {
    throw new ConfigError('refreshSeconds', 'must be a number of seconds from 0 to 86400');
  }
  const a = raw.auth;
  if (!isRecord(a)) throw new ConfigError('auth', 'must be an object with a mode');
  let auth: AuthConfig;
  switch (a.mode) {
    case 'hosted-ui':
      auth = {
        mode: 'hosted-ui',
        authority: url(a, 'authority', 'auth.'),
        clientId: text(a, 'clientId', 'auth.'),
        domain: url(a, 'domain', 'auth.').replace(/\/+$/, ''),
        redirectUri: url(a, 'redirectUri', 'auth.'),
        logoutUri: url(a, 'logoutUri', 'auth.'),
      };
      break;
    case 'password':
      auth = {
        mode: 'password',
        endpoint: text(a, 'endpoint', 'auth.'),
        clientId: text(a, 'clientId', 'auth.'),
        userPoolId: text(a, 'userPoolId', 'auth.'),
      };
      break;
    case 'none':
      auth = { mode: 'none' };
      break;
    default:
      throw new ConfigError('auth.mode', 'must be "hosted-ui", "password" or "none"');
  }
  return { apiBaseUrl: base.replace(/\/+$/, ''), refreshSeconds: refresh, auth };
}
