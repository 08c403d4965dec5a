// (SPA) what a view is, what the shell gives it, and the small widgets every view shares (badges,
// empty and error states). A view builds its DOM with dom.ts only.

import type { HealthResponse, ModelsResponse, Severity } from '../../shared/api/types';
import type { ApiClient } from './api';
import { type Child, h } from './dom';
import { words } from './format';
import type { ViewId } from './router';

/** Data several views read, fetched once per refresh period. */
export interface SharedData {
  health(fresh?: boolean): Promise<HealthResponse>;
  models(fresh?: boolean): Promise<ModelsResponse>;
}

export interface ViewContext {
  readonly api: ApiClient;
  readonly shared: SharedData;
  readonly params: URLSearchParams;
  /** Aborted when the view is left: late answers are dropped. */
  readonly signal: AbortSignal;
  readonly now: () => number;
  /** Say something to screen-reader users (the polite live region) and show it in the status bar. */
  readonly announce: (message: string) => void;
  /** Go to another route (a hash from router.hrefFor). */
  readonly navigate: (hash: string) => void;
  /** Record the view's own parameters in the address (bookmarkable) without re-opening the view. */
  readonly setParams: (params: Record<string, string | undefined>) => void;
}

export interface View {
  readonly id: ViewId;
  readonly title: string;
  /** Fetch and render; `fresh` bypasses the shared cache (auto-refresh, Refresh button). */
  load(fresh: boolean): Promise<void>;
  /** True while the user is editing in the view (a form has focus or is open): auto-refresh waits. */
  editing?(): boolean;
  /** Release what the view holds (chart, observers). */
  destroy?(): void;
}

export type ViewFactory = (root: HTMLElement, ctx: ViewContext) => View;

/** The view's heading: focused after navigation so keyboard and screen-reader users land on it. */
export function heading(title: string, ...extra: Child[]): HTMLElement {
  return h('div', { class: 'view-head' }, h('h1', { tabindex: -1, class: 'view-title' }, title), ...extra);
}

export function loading(what: string): HTMLElement {
  return h('p', { class: 'loading', role: 'status' }, `Loading ${what}…`);
}

export function empty(text: string): HTMLElement {
  return h('p', { class: 'empty' }, text);
}

/** An error panel with an optional retry button. */
export function errorBox(message: string, retry?: () => void): HTMLElement {
  return h(
    'div',
    { class: 'error-box', role: 'alert' },
    h('p', null, message),
    retry ? h('button', { type: 'button', class: 'btn', onclick: () => retry() }, 'Try again') : null,
  );
}

/** A coloured badge whose text says the same as its colour (colour is never the only cue). */
export function badge(text: string, tone: string): HTMLElement {
  return h('span', { class: `badge tone-${tone}` }, text);
}

export function severityBadge(severity: Severity, level?: string): HTMLElement {
  return h(
    'span',
    { class: `badge sev sev-${severity}`, title: level ? `alert level ${level}` : undefined },
    level ? `${severity} · ${level}` : severity,
  );
}

const ALERT_STATE_TONES: Record<string, string> = {
  sent: 'bad',
  grouped: 'warn',
  deduplicated: 'muted',
  'rate-limited': 'warn',
  'below-severity': 'muted',
  suppressed: 'info',
  pending: 'info',
  failed: 'bad',
  // Alerts (not anomalies): open until their RESOLVED notice.
  open: 'bad',
  resolved: 'ok',
};

export function alertStateBadge(state: string): HTMLElement {
  return badge(words(state), ALERT_STATE_TONES[state] ?? 'muted');
}

/** A drift status: `drift`/`drifting` is bad, `ok` good, anything else (insufficient, failed) neutral. */
export function driftBadge(status: string): HTMLElement {
  const tone = /^drift/.test(status)
    ? 'bad'
    : status === 'ok'
      ? 'ok'
      : status === 'failed'
        ? 'warn'
        : 'muted';
  return badge(words(status), tone);
}

/** A horizontal bar for a 0..1 share (width set through the CSSOM, which the CSP allows). */
export function meter(share: number, label: string, tone = 'info'): HTMLElement {
  const clamped = Math.max(0, Math.min(1, Number.isFinite(share) ? share : 0));
  const fill = h('span', { class: `meter-fill tone-${tone}` });
  fill.style.width = `${(clamped * 100).toFixed(1)}%`;
  return h(
    'span',
    {
      class: 'meter',
      role: 'meter',
      'aria-valuemin': 0,
      'aria-valuemax': 100,
      'aria-valuenow': Math.round(clamped * 100),
      'aria-label': label,
    },
    fill,
  );
}

/** A `<time>` element: short text, the full time in `title` and `datetime`. */
export function timeEl(ts: number, text: string, full: string): HTMLElement {
  return h('time', { datetime: new Date(ts).toISOString(), title: full }, text);
}
