/**
 * The console's entry: decides whether a key is needed (with no management key configured,
 * the API accepts loopback callers without one, and the form is skipped), shows the login
 * form or the gateway-down screen, then the tabbed views, routed by the URL's hash.
 */
import 'uplot/dist/uPlot.min.css';
import '../styles.css';
import { ApiError, createApi, describeError, type ApiClient } from './api.ts';
import { h, notice } from './dom.ts';
import { poll } from './poll.ts';
import { forgetKeys, storedCredentials, storeKey, type Credentials, type KeyKind } from './session.ts';
import type { View, ViewContext } from './view.ts';
import { providersView } from './views/providers.ts';
import { credentialsView } from './views/credentials.ts';
import { modelsView } from './views/models.ts';
import { usageView } from './views/usage.ts';
import { requestsView } from './views/requests.ts';

const VIEWS: View[] = [providersView, credentialsView, modelsView, usageView, requestsView];
/** A cheap management call: answers 200 only with a good key (or loopback with none set). */
const PROBE = '/v0/management/cooldowns';
/** A `/v1` read the console needs: wants a client key when `api_keys` are set and no management key is. */
const CLIENT_PROBE = '/v1/providers?type=custom';

const app = document.getElementById('app') as HTMLElement;

function screen(...children: Array<Node | string>): void {
  app.replaceChildren(...children);
}

async function boot(): Promise<void> {
  const credentials = storedCredentials();
  screen(h('p', { class: 'boot' }, 'Connecting to the gateway…'));
  try {
    const api = createApi(credentials);
    await api.get(PROBE);
    if (credentials.management === undefined) {
      // Management is open to loopback; the /v1 routes may still want a client key.
      try {
        await api.get(CLIENT_PROBE);
      } catch (error) {
        if (!(error instanceof ApiError && error.isAuth)) throw error;
        forgetKeys();
        return showLogin('client', credentials.client === undefined ? undefined : 'The saved client key no longer works. Enter it again.');
      }
    }
    startConsole(credentials);
  } catch (error) {
    if (error instanceof ApiError && error.isAuth) {
      forgetKeys();
      showLogin('management', credentials.management !== undefined ? 'The saved management key no longer works. Enter it again.' : undefined);
    } else {
      showDown(error);
    }
  }
}

function showDown(error: unknown): void {
  const retry = h('button', { type: 'button', class: 'primary', onclick: () => void boot() }, 'Retry');
  screen(h('main', { id: 'main', class: 'center-card' },
    h('h1', null, 'cliproxy dashboard'),
    notice('error', error instanceof ApiError && error.isUnreachable
      ? 'The gateway cannot be reached. Check that it is running, then retry.'
      : `The gateway answered with an error: ${describeError(error)}`),
    retry));
  retry.focus();
}

const LOGIN_TEXT: Record<KeyKind, { label: string; hint: string }> = {
  management: {
    label: 'Management key',
    hint: 'The gateway\'s management_key. It is kept in this tab only (sessionStorage) and sent in the x-management-key header.',
  },
  client: {
    label: 'Client API key',
    hint: 'No management_key is set, so management is open to this loopback browser, but the gateway\'s api_keys guard the /v1 routes the dashboard reads. Enter one of them; it is kept in this tab only and sent as Authorization: Bearer.',
  },
};

function showLogin(kind: KeyKind, message?: string): void {
  const text = LOGIN_TEXT[kind];
  const input = h('input', { id: 'login-key', name: 'login-key', type: 'password', autocomplete: 'current-password', required: true, spellcheck: 'false', 'aria-describedby': 'key-hint' });
  const status = h('div', { class: 'login-status', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { class: 'login-form', 'aria-label': 'Sign in' },
    h('label', { for: 'login-key' }, text.label),
    input,
    h('p', { class: 'hint', id: 'key-hint' }, text.hint),
    submit,
    status);
  if (message !== undefined) status.replaceChildren(notice('error', message));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (key === '') return;
    submit.disabled = true;
    status.replaceChildren(notice('info', 'Checking the key…'));
    const credentials: Credentials = kind === 'management' ? { management: key } : { client: key };
    createApi(credentials).get(kind === 'management' ? PROBE : CLIENT_PROBE).then(() => {
      storeKey(kind, key);
      startConsole(credentials);
    }, (error: unknown) => {
      submit.disabled = false;
      if (error instanceof ApiError && error.isAuth) {
        status.replaceChildren(notice('error', `Wrong ${kind === 'management' ? 'management' : 'client'} key: the gateway refused it (HTTP ${error.status}).`));
        input.select();
      } else if (error instanceof ApiError && error.isUnreachable) {
        status.replaceChildren(notice('error', 'The gateway cannot be reached. Check that it is running, then sign in again.'));
      } else {
        status.replaceChildren(notice('error', describeError(error)));
      }
      input.focus();
    });
  });
  screen(h('main', { id: 'main', class: 'center-card' }, h('h1', null, 'cliproxy dashboard'), form));
  input.focus();
}

function parseHash(): { id: string; params: URLSearchParams } {
  const raw = location.hash.replace(/^#\/?/, '');
  const mark = raw.indexOf('?');
  const id = mark < 0 ? raw : raw.slice(0, mark);
  return { id, params: new URLSearchParams(mark < 0 ? '' : raw.slice(mark + 1)) };
}

function startConsole(credentials: Credentials): void {
  let stopped = false;
  let current: AbortController | undefined;
  const wakers = new Set<() => void>();
  const stop = (): void => {
    stopped = true;
    current?.abort();
    window.removeEventListener('hashchange', route);
    forgetKeys();
  };
  const onAuthFailure = (): void => {
    if (stopped) return;
    stop();
    if (credentials.management !== undefined) showLogin('management', 'The gateway refused the management key (it may have changed). Sign in again.');
    else void boot();
  };
  const api: ApiClient = createApi(credentials, onAuthFailure);

  const banner = h('div', { class: 'banner-slot' });
  const setReachable = (reachable: boolean, error?: unknown): void => {
    if (reachable) {
      banner.replaceChildren();
      return;
    }
    if (banner.childElementCount > 0) return;
    banner.replaceChildren(notice('error', `${describeError(error)} Retrying every few seconds. `,
      h('button', { type: 'button', class: 'link', onclick: () => { for (const wake of wakers) wake(); } }, 'Retry now')));
  };

  const links = VIEWS.map((view) => h('a', { href: `#/${view.id}`, 'data-view': view.id }, view.title));
  const signOut = credentials.management === undefined
    ? h('span', { class: 'mode', title: 'No management_key is set: the management API accepts loopback callers without one.' }, 'Open (loopback, no management key)')
    : h('button', { type: 'button', class: 'quiet', onclick: () => { stop(); showLogin('management'); } }, 'Sign out');
  const main = h('main', { id: 'main', tabindex: -1 });
  screen(
    h('header', { class: 'topbar' },
      h('span', { class: 'brand' }, 'cliproxy'),
      h('nav', { 'aria-label': 'Dashboard sections' }, links),
      h('div', { class: 'session' }, signOut)),
    banner,
    main,
  );

  let first = true;
  function route(): void {
    if (stopped) return;
    const { id, params } = parseHash();
    const view = VIEWS.find((candidate) => candidate.id === id);
    if (view === undefined) {
      history.replaceState(null, '', `#/${VIEWS[0]!.id}`);
      return route();
    }
    current?.abort();
    wakers.clear();
    const controller = new AbortController();
    current = controller;
    for (const link of links) {
      if (link.dataset.view === view.id) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    document.title = `${view.title} · cliproxy dashboard`;
    main.replaceChildren();
    main.dataset.view = view.id;
    const context: ViewContext = {
      api,
      signal: controller.signal,
      params,
      setParams(next) {
        const query = next.toString();
        history.replaceState(null, '', `#/${view.id}${query === '' ? '' : `?${query}`}`);
      },
      every(intervalMs, task) {
        const wake = poll({
          signal: controller.signal,
          intervalMs,
          task,
          settled: (error) => {
            if (error === undefined) setReachable(true);
            else if (error instanceof ApiError && error.isUnreachable) setReachable(false, error);
          },
        });
        wakers.add(wake);
        return wake;
      },
    };
    view.render(main, context);
    if (!first) main.querySelector('h1')?.focus();
    first = false;
  }
  window.addEventListener('hashchange', route);
  route();
}

void boot();
