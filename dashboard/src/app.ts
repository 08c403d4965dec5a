// (SPA shell) header and navigation, the sign-in / refused / error screens, hash routing between the
// views, and the auto-refresh loop. Auth errors from any view land here: 401 → sign in again,
// 403 → "not in the staff group" with a sign-out button.

import type { HealthResponse, ModelsResponse } from '../../shared/api/types';
import { ApiClient, ForbiddenError, SignInRequiredError } from './api';
import type { Auth, Session } from './auth';
import type { DashboardConfig } from './config';
import { h, replace } from './dom';
import { fullTime } from './format';
import { DEFAULT_VIEW, hrefFor, parseHash, type Route, type ViewId } from './router';
import { errorBox, loading, type SharedData, type View, type ViewContext, type ViewFactory } from './view';
import { createAlertsView } from './views/alerts';
import { createAnomaliesView } from './views/anomalies';
import { createDriftView } from './views/drift';
import { createHealthView } from './views/health';
import { createModelsView } from './views/models';
import { createSettingsView } from './views/settings';

const VIEWS: Record<ViewId, { label: string; create: ViewFactory }> = {
  health: { label: 'Health', create: createHealthView },
  anomalies: { label: 'Anomalies', create: createAnomaliesView },
  models: { label: 'Models', create: createModelsView },
  drift: { label: 'Drift', create: createDriftView },
  alerts: { label: 'Alerts', create: createAlertsView },
  settings: { label: 'Settings', create: createSettingsView },
};

/** Shows the sign-in screen and resolves once signed in (password form locally, hosted-UI button in AWS). */
export type SignInUi = (shell: Shell, message?: string) => Promise<Session>;

/** The page frame every screen is drawn into. */
export interface Shell {
  readonly root: HTMLElement;
  /** Replace the main area with a full-page screen (sign-in, refused, fatal error). */
  screen(...children: (Node | string)[]): void;
}

/** A short-lived cache so views that read the same endpoint within a refresh period share one call. */
function sharedData(api: ApiClient, maxAgeMs: number, now: () => number): SharedData {
  const cache = new Map<string, { at: number; value: Promise<unknown> }>();
  const get = <T>(key: string, load: () => Promise<T>, fresh = false): Promise<T> => {
    const hit = cache.get(key);
    if (!fresh && hit && now() - hit.at < maxAgeMs) return hit.value as Promise<T>;
    const value = load();
    cache.set(key, { at: now(), value });
    value.catch(() => cache.delete(key));
    return value;
  };
  return {
    health: (fresh) => get<HealthResponse>('health', () => api.health(), fresh),
    models: (fresh) => get<ModelsResponse>('models', () => api.models(), fresh),
  };
}

export class App implements Shell {
  public readonly root: HTMLElement;
  private readonly api: ApiClient;
  private readonly shared: SharedData;
  private readonly main: HTMLElement;
  private readonly nav: HTMLElement;
  private readonly userBox: HTMLElement;
  private readonly statusText: HTMLElement;
  private readonly statusBar: HTMLElement;
  private readonly autoBox: HTMLInputElement;
  private view: View | null = null;
  private viewAbort: AbortController | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private session: Session | null = null;
  private started = false;
  private stopped = false;
  private loadSeq = 0;

  public constructor(
    mount: HTMLElement,
    private readonly config: DashboardConfig,
    private readonly auth: Auth,
    private readonly signIn: SignInUi,
    private readonly now: () => number = Date.now,
  ) {
    this.api = new ApiClient(config.apiBaseUrl, auth);
    this.shared = sharedData(this.api, Math.max(5, config.refreshSeconds / 2) * 1000, now);
    this.nav = h('nav', { class: 'nav', 'aria-label': 'Views' });
    this.userBox = h('div', { class: 'user' });
    this.statusText = h('span', {
      id: 'status',
      role: 'status',
      'aria-live': 'polite',
      'aria-atomic': 'true',
    });
    this.autoBox = h('input', { type: 'checkbox', id: 'auto-refresh', checked: config.refreshSeconds > 0 });
    this.autoBox.disabled = config.refreshSeconds === 0;
    this.autoBox.addEventListener('change', () => this.schedule());
    this.statusBar = h(
      'div',
      { class: 'statusbar', hidden: true },
      this.statusText,
      h(
        'span',
        { class: 'status-actions' },
        h(
          'label',
          { for: 'auto-refresh', class: 'check' },
          this.autoBox,
          config.refreshSeconds > 0 ? ` Auto-refresh every ${config.refreshSeconds} s` : ' Auto-refresh off',
        ),
        h(
          'button',
          { type: 'button', class: 'btn small', id: 'refresh-now', onclick: () => void this.load(true) },
          'Refresh now',
        ),
      ),
    );
    this.main = h('main', { id: 'main', tabindex: -1, 'data-state': 'loading' });
    const skip = h(
      'button',
      { type: 'button', class: 'skip', onclick: () => this.focusHeading() },
      'Skip to content',
    );
    this.root = h(
      'div',
      { class: 'app' },
      config.auth.mode === 'none'
        ? h(
            'div',
            { class: 'banner-noauth', role: 'alert' },
            'NO AUTH — local development. Anyone who can reach this port can change settings.',
          )
        : null,
      h(
        'header',
        { class: 'top' },
        skip,
        h(
          'span',
          { class: 'brand' },
          h('span', { class: 'logo', 'aria-hidden': 'true' }, '◆'),
          ' Drift Sentinel',
        ),
        this.nav,
        this.userBox,
      ),
      this.statusBar,
      this.main,
    );
    replace(mount, this.root);
    window.addEventListener('unhandledrejection', (e) => {
      if (this.handleAuthError(e.reason)) e.preventDefault();
    });
  }

  /** Restore or establish a session, then show the route in the address bar. */
  public async start(): Promise<void> {
    this.screen(loading('the dashboard'));
    let session: Session | null = null;
    let problem: string | undefined;
    try {
      session = await this.auth.init();
    } catch (e) {
      problem = (e as Error).message;
    }
    this.signedIn(session ?? (await this.signIn(this, problem)));
  }

  public screen(...children: (Node | string)[]): void {
    this.stopTimer();
    this.destroyView();
    this.statusBar.hidden = true;
    this.nav.hidden = true;
    this.main.dataset.state = 'screen';
    delete this.main.dataset.view;
    replace(this.main, h('div', { class: 'screen' }, ...children));
  }

  private signedIn(session: Session): void {
    this.session = session;
    this.stopped = false;
    this.renderUser();
    this.renderNav(parseHash(window.location.hash).view);
    this.nav.hidden = false;
    this.statusBar.hidden = false;
    if (!this.started) {
      this.started = true;
      window.addEventListener('hashchange', () => {
        if (!this.stopped) this.route(parseHash(window.location.hash), true);
      });
      document.addEventListener('visibilitychange', () => {
        if (!document.hidden && !this.stopped && this.view && this.autoBox.checked && this.isStale())
          void this.load(true);
      });
    }
    if (!window.location.hash) window.history.replaceState(null, '', hrefFor(DEFAULT_VIEW));
    this.route(parseHash(window.location.hash), false);
  }

  private lastLoaded = 0;

  private isStale(): boolean {
    return this.now() - this.lastLoaded >= this.config.refreshSeconds * 1000;
  }

  private renderUser(): void {
    const s = this.session;
    if (!s) {
      this.userBox.replaceChildren();
      return;
    }
    replace(
      this.userBox,
      h(
        'span',
        { class: 'user-name', title: s.groups.length ? `groups: ${s.groups.join(', ')}` : undefined },
        s.username,
      ),
      this.auth.mode === 'none'
        ? null
        : h(
            'button',
            { type: 'button', class: 'btn small', id: 'sign-out', onclick: () => void this.signOut() },
            'Sign out',
          ),
    );
  }

  private renderNav(current: ViewId): void {
    replace(
      this.nav,
      h(
        'ul',
        null,
        ...(Object.keys(VIEWS) as ViewId[]).map((id) =>
          h(
            'li',
            null,
            h(
              'a',
              { href: hrefFor(id), 'data-view': id, 'aria-current': id === current ? 'page' : undefined },
              VIEWS[id].label,
            ),
          ),
        ),
      ),
    );
  }

  private route(route: Route, focus: boolean): void {
    this.destroyView();
    this.renderNav(route.view);
    const abort = new AbortController();
    this.viewAbort = abort;
    const ctx: ViewContext = {
      api: this.api,
      shared: this.shared,
      params: route.params,
      signal: abort.signal,
      now: this.now,
      announce: (m) => this.announce(m),
      navigate: (hash) => {
        window.location.hash = hash;
      },
      setParams: (params) => {
        window.history.replaceState(null, '', hrefFor(route.view, params));
      },
    };
    const container = h('div', { class: `view view-${route.view}` });
    replace(this.main, container);
    this.main.dataset.view = route.view;
    this.main.dataset.state = 'loading';
    // Performance marks for the bench and for anyone profiling in DevTools (ds:view-start/ready:<view>).
    performance.mark(`ds:view-start:${route.view}`);
    this.view = VIEWS[route.view].create(container, ctx);
    document.title = `${this.view.title} · Drift Sentinel`;
    if (focus) this.focusHeading();
    void this.load(false);
  }

  private focusHeading(): void {
    const title = this.main.querySelector<HTMLElement>('.view-title, h1, h2');
    (title ?? this.main).focus();
  }

  /** Load the current view; `fresh` bypasses the shared cache. */
  private async load(fresh: boolean): Promise<void> {
    const view = this.view;
    if (!view) return;
    const seq = ++this.loadSeq;
    this.stopTimer();
    const first = this.main.dataset.state !== 'ready';
    if (first) this.main.dataset.state = 'loading';
    this.main.setAttribute('aria-busy', 'true');
    this.main.querySelector(':scope > .view > .load-error')?.remove();
    try {
      await view.load(fresh);
      if (seq !== this.loadSeq || view !== this.view) return;
      this.lastLoaded = this.now();
      if (this.main.dataset.state !== 'ready') {
        performance.mark(`ds:view-ready:${view.id}`);
        this.prefetchShared();
      }
      this.main.dataset.state = 'ready';
      this.announce(`${view.title} updated at ${fullTime(this.now()).slice(11)}`);
    } catch (e) {
      if (seq !== this.loadSeq || view !== this.view) return;
      if ((e as Error).name === 'AbortError') return;
      if (this.handleAuthError(e)) return;
      this.main.dataset.state = 'error';
      const box = errorBox(
        `${view.title} could not be loaded: ${(e as Error).message}`,
        () => void this.load(true),
      );
      box.classList.add('load-error');
      this.main.querySelector('.view')?.prepend(box);
      this.announce(`${view.title} could not be loaded`);
    } finally {
      if (seq === this.loadSeq && view === this.view) {
        this.main.removeAttribute('aria-busy');
        this.schedule();
      }
    }
  }

  private prefetched = false;

  /**
   * Once the first view is on screen, fetch what several other views share (health, models) in the
   * background, so opening them does not wait on the API. Failures are left to the view that needs it.
   */
  private prefetchShared(): void {
    if (this.prefetched) return;
    this.prefetched = true;
    setTimeout(() => {
      if (this.stopped) return;
      this.shared.health().catch(() => undefined);
      this.shared.models().catch(() => undefined);
    }, 0);
  }

  private schedule(): void {
    this.stopTimer();
    if (this.stopped || !this.autoBox.checked || this.config.refreshSeconds <= 0) return;
    this.timer = setTimeout(() => {
      if (document.hidden) return; // visibilitychange reloads when the tab comes back
      if (this.view?.editing?.()) {
        this.announce('Auto-refresh waits while you edit');
        this.schedule();
        return;
      }
      void this.load(true);
    }, this.config.refreshSeconds * 1000);
  }

  private stopTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private destroyView(): void {
    this.viewAbort?.abort();
    this.viewAbort = null;
    this.view?.destroy?.();
    this.view = null;
    this.loadSeq++;
  }

  private announce(message: string): void {
    this.statusText.textContent = message;
  }

  /** True when `e` was an auth error and a screen now handles it. */
  private handleAuthError(e: unknown): boolean {
    if (!(e instanceof SignInRequiredError || e instanceof ForbiddenError)) return false;
    // Parallel requests fail together: the first one decides the screen.
    if (this.stopped) return true;
    if (e instanceof SignInRequiredError) {
      this.stopped = true;
      this.session = null;
      this.renderUser();
      // The failed renewal already dropped the tokens; signing out here would leave for the hosted UI.
      void this.signIn(this, e.message).then((s) => this.signedIn(s));
      return true;
    }
    this.stopped = true;
    this.screen(
      h(
        'div',
        { class: 'refused', role: 'alert' },
        h('h1', null, 'Access refused'),
        h('p', { class: 'refused-message' }, e.message),
        h(
          'p',
          { class: 'muted' },
          `Signed in as ${this.session?.username ?? 'unknown'}. Ask an administrator to add you to the staff group, then sign in again.`,
        ),
        this.auth.mode === 'none'
          ? null
          : h(
              'button',
              { type: 'button', class: 'btn primary', onclick: () => void this.signOut() },
              'Sign out',
            ),
      ),
    );
    this.main.dataset.state = 'forbidden';
    this.main.querySelector<HTMLButtonElement>('button')?.focus();
    return true;
  }

  private async signOut(): Promise<void> {
    this.stopped = true;
    this.session = null;
    this.renderUser();
    await this.auth.signOut();
    // hosted-ui navigates away to the hosted UI's logout; password mode shows the form again.
    if (this.auth.mode === 'password') this.signedIn(await this.signIn(this, 'Signed out.'));
  }
}
