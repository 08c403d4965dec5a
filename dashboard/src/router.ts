// (SPA) hash routes: `#/<view>?<params>`. Hash routing needs no server rewrite rules, and a route is a
// plain link, so the browser's back button, new tabs and keyboard navigation all work.

export const VIEW_IDS = ['health', 'anomalies', 'models', 'drift', 'alerts', 'settings'] as const;
export type ViewId = (typeof VIEW_IDS)[number];

export const DEFAULT_VIEW: ViewId = 'health';

export interface Route {
  readonly view: ViewId;
  readonly params: URLSearchParams;
}

/** The route a hash names; unknown views fall back to the default one. */
export function parseHash(hash: string): Route {
  const body = hash.replace(/^#\/?/, '');
  const q = body.indexOf('?');
  const name = q === -1 ? body : body.slice(0, q);
  const params = new URLSearchParams(q === -1 ? '' : body.slice(q + 1));
  const view = (VIEW_IDS as readonly string[]).includes(name) ? (name as ViewId) : DEFAULT_VIEW;
  return { view, params };
}

/** The hash of a route; parameters with empty values are left out. */
export function hrefFor(view: ViewId, params: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return `#/${view}${s ? `?${s}` : ''}`;
}
