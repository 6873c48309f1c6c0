/**
 * Credentials: each provider's credentials (ids and masked tails — the API never sends a
 * secret), API keys added at run time (add, list, delete), the OAuth accounts with token
 * expiry and quota, and the device logins (device-logins.ts).
 */
import { ApiError, describeError } from '../api.ts';
import { bar, dataTable, h, notice, swap, type Child } from '../dom.ts';
import { count, dateTime, relative } from '../format.ts';
import type { AddedKey, List, OAuthCredential, ProviderSummary, Quota } from '../types.ts';
import type { View, ViewContext } from '../view.ts';
import { deviceLogins, LOGIN_PROVIDERS } from './device-logins.ts';
import { stateBadge } from './providers.ts';


export function quotaBar(quota: Quota | null): Child {
  if (quota === null) return h('span', { class: 'meta' }, 'not reported');
  if (quota.unlimited === true) return h('span', { class: 'badge ok' }, 'unlimited');
  if (quota.limit === null || quota.limit <= 0 || quota.remaining === null) {
    return quota.remaining === null ? '—' : `${count(quota.remaining)} left`;
  }
  const fraction = quota.remaining / quota.limit;
  const label = `${count(quota.remaining)} of ${count(quota.limit)} left`;
  return [bar(fraction, label, fraction < 0.1 ? 'danger' : fraction < 0.3 ? 'warn' : 'normal'),
    quota.reset_at === undefined ? null : h('span', { class: 'meta' }, `resets ${relative(quota.reset_at)}`)];
}

function render(root: HTMLElement, context: ViewContext): void {
  const { api } = context;
  const messages = h('div', { class: 'messages', 'aria-live': 'polite' });
  const say = (kind: 'error' | 'ok', text: string): void => swap(messages, notice(kind, text));
  const providerSection = h('section', { 'aria-labelledby': 'provider-credentials-title' });
  const oauthSection = h('section', { 'aria-labelledby': 'oauth-title' });
  const keysList = h('div', { class: 'added-keys', 'aria-live': 'polite' });
  let providers: ProviderSummary[] = [];

  // API keys --------------------------------------------------------------------------------
  const providerSelect = h('select', { id: 'key-provider', name: 'provider', required: true });
  const keyInput = h('input', { id: 'key-value', name: 'key', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const nameInput = h('input', { id: 'key-name', name: 'name', type: 'text', autocomplete: 'off', pattern: '[A-Za-z0-9_.\\-]{1,64}', placeholder: 'optional, e.g. team-b' });
  const keyForm = h('form', { class: 'inline-form', 'aria-labelledby': 'add-key-title' },
    h('div', { class: 'field' }, h('label', { for: 'key-provider' }, 'Provider'), providerSelect),
    h('div', { class: 'field grow' }, h('label', { for: 'key-value' }, 'API key'), keyInput),
    h('div', { class: 'field' }, h('label', { for: 'key-name' }, 'Name'), nameInput),
    h('div', { class: 'field' }, h('span', { class: 'label-spacer', 'aria-hidden': 'true' }, ' '), h('button', { type: 'submit', class: 'primary' }, 'Add key')));

  async function loadAddedKeys(): Promise<void> {
    const name = providerSelect.value;
    if (name === '') return swap(keysList);
    try {
      const list = await api.get<List<AddedKey>>(`/v0/management/providers/${encodeURIComponent(name)}/api-keys`);
      swap(keysList, dataTable(`Keys added at run time for ${name}`, [
        { label: 'Id', cell: (key) => h('code', null, key.id) },
        { label: 'Key', cell: (key) => h('code', null, key.masked) },
        { label: 'Weight', cell: (key) => count(key.weight), class: 'num' },
        { label: 'Added', cell: (key) => dateTime(key.created_at), class: 'nowrap' },
        {
          label: 'Action',
          cell: (key) => h('button', {
            type: 'button', class: 'small danger', 'aria-label': `Delete key ${key.id} of ${name}`, 'data-focus': `delete-key:${key.id}`,
            onclick: () => void deleteKey(name, key.id),
          }, 'Delete'),
        },
      ], list.data, `No key was added at run time for ${name}; keys from the config file are listed above.`));
    } catch (error) {
      swap(keysList, notice('error', `Could not list the added keys of ${name}: ${describeError(error)}`));
    }
  }

  async function deleteKey(provider: string, id: string): Promise<void> {
    try {
      await api.send('DELETE', `/v0/management/providers/${encodeURIComponent(provider)}/api-keys/${encodeURIComponent(id)}`);
      say('ok', `Deleted key ${id} of ${provider}.`);
    } catch (error) {
      say('error', `Could not delete key ${id}: ${describeError(error)}`);
    }
    await Promise.all([loadAddedKeys(), refreshProviders()]);
  }

  keyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const provider = providerSelect.value;
    const body: { key: string; name?: string } = { key: keyInput.value.trim() };
    if (nameInput.value.trim() !== '') body.name = nameInput.value.trim();
    api.send<{ id: string; masked: string }>('POST', `/v0/management/providers/${encodeURIComponent(provider)}/api-keys`, body).then(async (added) => {
      keyInput.value = '';
      nameInput.value = '';
      say('ok', `Added key ${added.id} (${added.masked}) to ${provider}. It applies to the next request.`);
      await Promise.all([loadAddedKeys(), refreshProviders()]);
    }, (error: unknown) => say('error', `Could not add the key: ${describeError(error)}`));
  });
  providerSelect.addEventListener('change', () => void loadAddedKeys());

  // Provider credentials ------------------------------------------------------------------
  function drawProviders(): void {
    const withAuth = providers.filter((provider) => provider.requires_auth || provider.credentials.length > 0);
    swap(providerSection,
      h('h2', { id: 'provider-credentials-title' }, 'Provider credentials'),
      h('p', { class: 'hint' }, 'Identifiers and masked tails only: the gateway never sends a secret.'),
      dataTable('Credentials per provider', [
        { label: 'Provider', cell: (provider) => [h('strong', null, provider.display_name), h('span', { class: 'meta' }, provider.name)] },
        {
          label: 'Credentials',
          cell: (provider) => provider.credentials.length === 0
            ? h('span', { class: 'meta' }, 'none')
            : h('ul', { class: 'chips' }, provider.credentials.map((credential) => h('li', null, h('code', null, credential.id), ' ', h('span', { class: 'meta' }, credential.masked)))),
        },
        { label: 'State', cell: (provider) => stateBadge(provider.state) },
        { label: 'Auth', cell: (provider) => provider.auth_type },
      ], withAuth, 'No provider needs a credential.', (provider) => ({ 'data-provider': provider.name }), true));
    const selected = providerSelect.value;
    const choices = providers.filter((provider) => provider.auth_type === 'api_key');
    if (providerSelect.options.length !== choices.length) {
      providerSelect.replaceChildren(...choices.map((provider) => h('option', { value: provider.name }, provider.display_name === provider.name ? provider.name : `${provider.display_name} (${provider.name})`)));
      if (choices.some((provider) => provider.name === selected)) providerSelect.value = selected;
      void loadAddedKeys();
    }
  }

  // OAuth accounts ------------------------------------------------------------------------
  function drawOAuth(list: OAuthCredential[], problems: unknown[]): void {
    swap(oauthSection,
      h('h2', { id: 'oauth-title' }, 'OAuth accounts (Copilot, Kiro)'),
      problems.length === 0 ? null : notice('error', `Problems in the credential store: ${problems.map((problem) => (typeof problem === 'string' ? problem : JSON.stringify(problem))).join('; ')}`),
      dataTable('OAuth credentials', [
        { label: 'Account', cell: (credential) => [h('strong', null, credential.label), h('span', { class: 'meta' }, `${LOGIN_PROVIDERS[credential.provider] ?? credential.provider} · ${credential.id}`)] },
        {
          label: 'Status',
          cell: (credential) => [h('span', { class: `badge ${credential.status === 'active' && !credential.exhausted ? 'ok' : 'warn'}` }, credential.exhausted ? 'quota exhausted' : credential.status),
            credential.status_reason === null ? null : h('span', { class: 'meta' }, credential.status_reason)],
        },
        { label: 'Quota remaining', cell: (credential) => quotaBar(credential.quota), class: 'quota-cell' },
        { label: 'Token expires', cell: (credential) => credential.expires_at === null ? '—' : [dateTime(credential.expires_at), h('span', { class: 'meta' }, relative(credential.expires_at))], class: 'nowrap' },
        { label: 'Updated', cell: (credential) => dateTime(credential.updated_at), class: 'nowrap' },
        {
          label: 'Action',
          cell: (credential) => {
            const button = h('button', { type: 'button', class: 'small danger', 'aria-label': `Remove credential ${credential.id}`, 'data-focus': `remove:${credential.id}` }, 'Remove');
            button.addEventListener('click', () => {
              if (button.dataset.armed !== 'true') {
                button.dataset.armed = 'true';
                button.textContent = 'Confirm removal';
                return;
              }
              api.send('DELETE', `/v0/management/credentials/${encodeURIComponent(credential.id)}`).then(
                () => say('ok', `Removed credential ${credential.id}.`),
                (error: unknown) => say('error', `Could not remove ${credential.id}: ${describeError(error)}`),
              ).finally(() => { refreshOAuth(); refreshProviders(); });
            });
            return button;
          },
        },
      ], list, 'No Copilot or Kiro account yet: sign in below.', (credential) => ({ 'data-credential': credential.id })));
  }

  root.append(
    h('h1', { tabindex: -1 }, 'Credentials'),
    h('p', { class: 'subtitle' }, 'API keys per provider and OAuth accounts. Secrets are never shown.'),
    messages,
    providerSection,
    h('section', { 'aria-labelledby': 'add-key-title' }, h('h2', { id: 'add-key-title' }, 'Add an API key'), keyForm, keysList),
    oauthSection,
    deviceLogins(context, () => { refreshOAuth(); refreshProviders(); }),
  );

  const refreshProviders = context.every(10_000, async () => {
    try {
      providers = (await api.get<List<ProviderSummary>>('/v1/providers')).data;
      if (!context.signal.aborted) drawProviders();
    } catch (error) {
      if (providers.length === 0) swap(providerSection, notice('error', `Could not load the providers: ${describeError(error)}`));
      throw error;
    }
  });
  const refreshOAuth = context.every(10_000, async () => {
    try {
      const list = await api.get<List<OAuthCredential> & { problems?: unknown[] }>('/v0/management/credentials');
      if (!context.signal.aborted) drawOAuth(list.data, list.problems ?? []);
    } catch (error) {
      const text = error instanceof ApiError && error.code === 'no_credentials'
        ? 'OAuth credentials are turned off in this gateway.'
        : `Could not load the OAuth credentials: ${describeError(error)}`;
      swap(oauthSection, h('h2', { id: 'oauth-title' }, 'OAuth accounts (Copilot, Kiro)'), notice(error instanceof ApiError && error.code === 'no_credentials' ? 'info' : 'error', text));
      throw error;
    }
  });
}

export const credentialsView: View = { id: 'credentials', title: 'Credentials', render };
