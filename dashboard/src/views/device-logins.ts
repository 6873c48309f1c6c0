/**
 * Device logins for Copilot and Kiro (Builder ID or Identity Center): the page starts one,
 * shows the user code and the verification link, polls the gateway at the provider's pace,
 * and turns to success (or a readable failure) by itself. Logins started in this tab survive
 * a visit to another view.
 */
import { ApiError, describeError } from '../api.ts';
import { h, notice, swap, type Child } from '../dom.ts';
import { relative } from '../format.ts';
import type { LoginStatus, LoginTicket } from '../types.ts';
import type { ViewContext } from '../view.ts';

export const LOGIN_PROVIDERS: Record<string, string> = { copilot: 'GitHub Copilot', kiro: 'Kiro (AWS)' };

/** Logins started in this tab, kept while the user visits other views. */
const logins = new Map<string, { ticket: LoginTicket; status: LoginStatus }>();

/** The "Device login" section; `onSuccess` runs when a login has saved its credential. */
export function deviceLogins(context: ViewContext, onSuccess: () => void): HTMLElement {
  const { api } = context;
  function drawLogin(provider: string): void {
    const panel = loginPanels.querySelector<HTMLElement>(`[data-login-panel="${provider}"] .login-state`);
    if (panel === null) return;
    const entry = logins.get(provider);
    if (entry === undefined) return swap(panel);
    const status = entry.status;
    if (status.status === 'pending') {
      const link = entry.ticket.verification_uri_complete ?? entry.ticket.verification_uri;
      swap(panel, h('div', { class: 'device-code', role: 'status' },
        h('p', null, 'Open ', h('a', { href: link, target: '_blank', rel: 'noopener noreferrer' }, entry.ticket.verification_uri), ' and enter this code:'),
        h('p', { class: 'user-code', 'data-testid': `user-code-${provider}` }, entry.ticket.user_code),
        h('p', { class: 'meta' }, `Waiting for you to authorize… The code expires ${relative(entry.ticket.expires_at)}.`)));
    } else if (status.status === 'success') {
      swap(panel, notice('ok', `Signed in as ${status.label}. Saved as credential ${status.credential_id}.`));
    } else {
      swap(panel, notice('error', `The login failed: ${status.reason}`));
    }
  }

  async function pollLogin(provider: string): Promise<void> {
    for (;;) {
      const entry = logins.get(provider);
      if (entry === undefined || entry.status.status !== 'pending' || context.signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(entry.ticket.interval, 5)) * 1000));
      if (context.signal.aborted || logins.get(provider) !== entry) return;
      try {
        const status = await api.get<LoginStatus>(`/v0/management/oauth/${provider}/status?login_id=${encodeURIComponent(entry.ticket.login_id)}`);
        entry.status = status;
      } catch (error) {
        if (error instanceof ApiError && error.isUnreachable) continue;
        entry.status = { status: 'failed', login_id: entry.ticket.login_id, provider, reason: describeError(error), error: error instanceof ApiError ? error.code : 'error' };
      }
      drawLogin(provider);
      if (entry.status.status === 'success') onSuccess();
    }
  }

  async function startLogin(provider: string, body: Record<string, string>, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      const ticket = await api.send<LoginTicket>('POST', `/v0/management/oauth/${provider}/start`, body);
      logins.set(provider, { ticket, status: { status: 'pending', ...ticket } });
      drawLogin(provider);
      void pollLogin(provider);
    } catch (error) {
      const panel = loginPanels.querySelector(`[data-login-panel="${provider}"] .login-state`);
      if (panel !== null) swap(panel, notice('error', `Could not start the ${LOGIN_PROVIDERS[provider]} login: ${describeError(error)}`));
    } finally {
      button.disabled = false;
    }
  }

  function loginPanel(provider: string, fields: Child, body: () => Record<string, string>): HTMLElement {
    const button = h('button', { type: 'submit', class: 'primary' }, `Sign in to ${LOGIN_PROVIDERS[provider]}`);
    const form = h('form', { class: 'login-start', 'aria-label': `Start a ${LOGIN_PROVIDERS[provider]} login` }, fields, button);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void startLogin(provider, body(), button);
    });
    return h('div', { class: 'card', 'data-login-panel': provider },
      h('h3', null, LOGIN_PROVIDERS[provider]), form, h('div', { class: 'login-state', 'aria-live': 'polite' }));
  }

  const methodBuilder = h('input', { type: 'radio', name: 'kiro-method', value: 'builder-id', id: 'kiro-builder', checked: true });
  const methodIdc = h('input', { type: 'radio', name: 'kiro-method', value: 'idc', id: 'kiro-idc' });
  const startUrl = h('input', { id: 'kiro-start-url', type: 'url', placeholder: 'https://my-org.awsapps.com/start', autocomplete: 'off' });
  const region = h('input', { id: 'kiro-region', type: 'text', value: 'us-east-1', autocomplete: 'off' });
  const idcFields = h('div', { class: 'idc-fields', hidden: true },
    h('div', { class: 'field' }, h('label', { for: 'kiro-start-url' }, 'Start URL'), startUrl),
    h('div', { class: 'field' }, h('label', { for: 'kiro-region' }, 'Region'), region));
  const syncMethod = (): void => {
    idcFields.hidden = !methodIdc.checked;
    startUrl.required = methodIdc.checked;
  };
  methodBuilder.addEventListener('change', syncMethod);
  methodIdc.addEventListener('change', syncMethod);
  const loginPanels = h('div', { class: 'login-panels' },
    loginPanel('copilot', h('p', { class: 'hint' }, 'A GitHub device login: you get a code to enter on github.com.'), () => ({})),
    loginPanel('kiro', h('fieldset', null, h('legend', null, 'Sign in with'),
      h('label', { class: 'radio' }, methodBuilder, ' AWS Builder ID'),
      h('label', { class: 'radio' }, methodIdc, ' IAM Identity Center'),
      idcFields), (): Record<string, string> => (methodIdc.checked ? { method: 'idc', start_url: startUrl.value, region: region.value } : { method: 'builder-id' })),
  );


  for (const provider of Object.keys(LOGIN_PROVIDERS)) {
    drawLogin(provider);
    void pollLogin(provider);
  }
  return h('section', { 'aria-labelledby': 'device-login-title' }, h('h2', { id: 'device-login-title' }, 'Device login'), loginPanels);
}
