// (SPA entry) read config.json, pick the auth mode, start the shell. The sign-in screens live here: a
// username/password form for the local stack (cognito-local), a button to the hosted UI in AWS.
import 'uplot/dist/uPlot.min.css';
import '../style.css';
import { App, type Shell } from './app';
import { type Auth, AuthError, NoAuth, PasswordAuth, type Session } from './auth';
import { HostedUiAuth } from './auth-hosted';
import { type DashboardConfig, parseConfig } from './config';
import { h, replace } from './dom';

async function loadConfig(): Promise<DashboardConfig> {
  // Relative: the site may live under a path prefix.
  const res = await fetch('config.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`config.json could not be loaded (HTTP ${res.status})`);
  return parseConfig(await res.json());
}

function createAuth(config: DashboardConfig): Auth {
  switch (config.auth.mode) {
    case 'none':
      return new NoAuth();
    case 'password':
      return new PasswordAuth(config.auth, window.sessionStorage, (input, init) => fetch(input, init));
    case 'hosted-ui':
      return new HostedUiAuth(config.auth);
  }
}

/** The password form (local mode): resolves when Cognito accepts the credentials. */
function passwordSignIn(auth: PasswordAuth) {
  return (shell: Shell, message?: string): Promise<Session> =>
    new Promise((resolve) => {
      const user = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true });
      const pass = h('input', {
        id: 'password',
        name: 'password',
        type: 'password',
        autocomplete: 'current-password',
        required: true,
      });
      const error = h('p', { class: 'form-error', role: 'alert', id: 'signin-error' }, message ?? '');
      const submit = h('button', { type: 'submit', class: 'btn primary' }, 'Sign in');
      const form = h(
        'form',
        {
          class: 'signin',
          'aria-labelledby': 'signin-title',
          onsubmit: async (e: Event) => {
            e.preventDefault();
            submit.disabled = true;
            error.textContent = '';
            try {
              resolve(await auth.signIn(user.value.trim(), pass.value));
            } catch (err) {
              error.textContent =
                err instanceof AuthError ? err.message : `Sign-in failed: ${(err as Error).message}`;
              pass.value = '';
              pass.focus();
            } finally {
              submit.disabled = false;
            }
          },
        },
        h('h1', { id: 'signin-title' }, 'Sign in'),
        h(
          'p',
          { class: 'muted' },
          'Staff dashboard · local user pool (the credentials are printed by npm start).',
        ),
        h('div', { class: 'field' }, h('label', { for: 'username' }, 'Username'), user),
        h('div', { class: 'field' }, h('label', { for: 'password' }, 'Password'), pass),
        error,
        submit,
      );
      shell.screen(form);
      user.focus();
    });
}

/** The hosted-UI screen: one button; the page leaves for Cognito and comes back signed in. */
function hostedSignIn(auth: HostedUiAuth) {
  return (shell: Shell, message?: string): Promise<Session> =>
    new Promise<Session>(() => {
      const button = h(
        'button',
        {
          type: 'button',
          class: 'btn primary',
          id: 'signin-hosted',
          onclick: () => {
            button.disabled = true;
            auth.signIn().catch((e: unknown) => {
              button.disabled = false;
              error.textContent = `The sign-in page could not be opened: ${(e as Error).message}`;
            });
          },
        },
        'Sign in',
      );
      const error = h('p', { class: 'form-error', role: 'alert' }, message ?? '');
      shell.screen(
        h(
          'div',
          { class: 'signin' },
          h('h1', null, 'Sign in'),
          h('p', { class: 'muted' }, 'Staff dashboard · you will be sent to the organisation sign-in page.'),
          error,
          button,
        ),
      );
      button.focus();
    });
}

async function main(): Promise<void> {
  const mount = document.getElementById('app');
  if (!mount) throw new Error('index.html has no #app element');
  let config: DashboardConfig;
  try {
    config = await loadConfig();
  } catch (e) {
    replace(
      mount,
      h(
        'div',
        { class: 'screen', role: 'alert' },
        h('h1', null, 'Dashboard unavailable'),
        h('p', null, (e as Error).message),
      ),
    );
    return;
  }
  const auth = createAuth(config);
  const signIn =
    auth instanceof PasswordAuth
      ? passwordSignIn(auth)
      : auth instanceof HostedUiAuth
        ? hostedSignIn(auth)
        : () => new NoAuth().init();
  await new App(mount, config, auth, signIn).start();
}

void main();
