/**
 * Providers: the registry as the seed's capability matrix, an enabled switch per provider,
 * live status (state, success rate, latency p50/p95, in flight) refreshed every few
 * seconds, and the live cooldowns with buttons clearing one or all.
 */
import { describeError } from '../api.ts';
import { dataTable, h, notice, swap, type Child } from '../dom.ts';
import { count, dateTime, duration, millis, percent } from '../format.ts';
import type { Cooldown, List, ProviderStatus, ProviderSummary } from '../types.ts';
import type { View, ViewContext } from '../view.ts';

const REFRESH_MS = 4000;

export function yesNo(value: boolean): Child {
  return value
    ? h('span', { class: 'yes' }, h('span', { 'aria-hidden': 'true' }, '✓'), h('span', { class: 'sr-only' }, 'yes'))
    : h('span', { class: 'no' }, h('span', { 'aria-hidden': 'true' }, '–'), h('span', { class: 'sr-only' }, 'no'));
}

export function stateBadge(state: string): HTMLElement {
  return h('span', { class: `badge state-${state}` }, state);
}

function render(root: HTMLElement, context: ViewContext): void {
  const { api } = context;
  const summary = h('p', { class: 'subtitle' }, 'Loading the registry…');
  const messages = h('div', { class: 'messages', 'aria-live': 'polite' });
  const matrix = h('section', { 'aria-labelledby': 'matrix-title' });
  const cooldownSection = h('div');
  let providers: ProviderSummary[] = [];
  const statuses = new Map<string, ProviderStatus>();
  const pending = new Set<string>();

  const say = (kind: 'error' | 'ok', text: string): void => swap(messages, notice(kind, text));

  async function toggle(provider: ProviderSummary, input: HTMLInputElement): Promise<void> {
    const enabled = input.checked;
    pending.add(provider.name);
    input.disabled = true;
    try {
      const updated = await api.send<ProviderSummary>('PUT', `/v1/providers/${encodeURIComponent(provider.name)}/enabled`, { enabled });
      providers = providers.map((item) => (item.name === updated.name ? updated : item));
      say('ok', `${updated.display_name} is now ${updated.enabled ? 'enabled' : 'disabled'}.`);
      pending.delete(provider.name);
      refreshStatus();
    } catch (error) {
      pending.delete(provider.name);
      input.checked = !enabled;
      say('error', `Could not switch ${provider.name}: ${describeError(error)}`);
    } finally {
      input.disabled = false;
      drawMatrix();
    }
  }

  function drawMatrix(): void {
    const enabledCount = providers.filter((provider) => provider.enabled).length;
    summary.textContent = `${providers.length} providers registered, ${enabledCount} enabled. Live figures refresh every ${REFRESH_MS / 1000} s.`;
    swap(matrix, h('h2', { id: 'matrix-title' }, 'Capability matrix and live status'), dataTable('Providers', [
      {
        label: 'Provider',
        cell: (provider) => [h('strong', null, provider.display_name), h('span', { class: 'meta' }, `${provider.name} · ${provider.type}`)],
        class: 'provider-cell',
      },
      {
        label: 'Enabled',
        cell: (provider) => {
          const input = h('input', {
            type: 'checkbox', role: 'switch', class: 'switch', checked: provider.enabled,
            'aria-label': `Enable ${provider.name}`, 'data-focus': `enable:${provider.name}`,
            disabled: pending.has(provider.name),
          });
          input.addEventListener('change', () => void toggle(provider, input));
          return input;
        },
      },
      {
        label: 'State',
        cell: (provider) => {
          const status = statuses.get(provider.name);
          const last = status?.last_error;
          return [stateBadge(status?.state ?? provider.state),
            last === null || last === undefined ? null : h('span', { class: 'meta error-text', title: last.message }, `last error: ${last.status} ${last.code}`)];
        },
      },
      { label: 'Streaming', cell: (provider) => yesNo(provider.capabilities.streaming), class: 'center' },
      { label: 'Functions', cell: (provider) => yesNo(provider.capabilities.functions), class: 'center' },
      { label: 'Vision', cell: (provider) => yesNo(provider.capabilities.vision), class: 'center' },
      { label: 'Code', cell: (provider) => yesNo(provider.capabilities.code_generation), class: 'center' },
      { label: 'Max tokens', cell: (provider) => count(provider.capabilities.max_tokens), class: 'num' },
      { label: 'Success rate', cell: (provider) => percent(statuses.get(provider.name)?.success_rate), class: 'num' },
      { label: 'p50', cell: (provider) => millis(statuses.get(provider.name)?.latency_ms.p50), class: 'num' },
      { label: 'p95', cell: (provider) => millis(statuses.get(provider.name)?.latency_ms.p95), class: 'num' },
      { label: 'In flight', cell: (provider) => count(statuses.get(provider.name)?.in_flight), class: 'num' },
      { label: 'Requests', cell: (provider) => count(statuses.get(provider.name)?.requests), class: 'num' },
    ], providers, 'No providers are registered.', (provider) => ({ 'data-provider': provider.name, class: provider.enabled ? null : 'muted-row' }), true));
  }

  async function loadProviders(): Promise<void> {
    const list = await api.get<List<ProviderSummary>>('/v1/providers');
    providers = list.data;
    const enabled = providers.filter((provider) => provider.enabled);
    const results = await Promise.allSettled(enabled.map((provider) => api.get<ProviderStatus>(`/v1/providers/${encodeURIComponent(provider.name)}/status`)));
    statuses.clear();
    results.forEach((result) => { if (result.status === 'fulfilled') statuses.set(result.value.provider, result.value); });
    if (!context.signal.aborted) drawMatrix();
  }

  let cooldowns: Cooldown[] = [];
  let loadedAt = Date.now();

  async function clear(query: string, what: string): Promise<void> {
    try {
      const result = await api.send<{ cleared: number }>('DELETE', `/v0/management/cooldowns${query}`);
      say('ok', `Cleared ${result.cleared} cooldown${result.cleared === 1 ? '' : 's'} (${what}).`);
    } catch (error) {
      say('error', `Could not clear ${what}: ${describeError(error)}`);
    }
    refreshCooldowns();
    refreshStatus();
  }

  function drawCooldowns(): void {
    const elapsed = (Date.now() - loadedAt) / 1000;
    swap(cooldownSection,
      h('div', { class: 'section-head' },
        h('h2', { id: 'cooldowns-title' }, `Cooldowns (${cooldowns.length})`),
        h('button', {
          type: 'button', class: 'danger', disabled: cooldowns.length === 0, 'data-focus': 'clear-all',
          onclick: () => void clear('', 'all cooldowns'),
        }, 'Clear all cooldowns')),
      dataTable('Live cooldowns', [
        { label: 'Provider', cell: (cooldown) => cooldown.provider },
        { label: 'Credential', cell: (cooldown) => h('code', null, cooldown.credential) },
        { label: 'Model', cell: (cooldown) => cooldown.model === '' || cooldown.model === '*' ? 'all models' : cooldown.model },
        { label: 'Reason', cell: (cooldown) => [h('span', { class: 'badge warn' }, cooldown.reason), cooldown.status !== null && cooldown.status > 0 ? ` HTTP ${cooldown.status}` : '', cooldown.message === '' ? null : h('span', { class: 'meta' }, cooldown.message)] },
        { label: 'Strikes', cell: (cooldown) => count(cooldown.strikes), class: 'num' },
        { label: 'Resets at', cell: (cooldown) => dateTime(cooldown.until), class: 'nowrap' },
        { label: 'Left', cell: (cooldown) => duration(Math.max(0, cooldown.remaining_seconds - elapsed)), class: 'num nowrap' },
        {
          label: 'Action',
          cell: (cooldown) => h('button', {
            type: 'button', class: 'small', 'data-focus': `clear:${cooldown.key}`,
            'aria-label': `Clear the cooldown of ${cooldown.provider} ${cooldown.credential}${cooldown.model === '' ? '' : ` ${cooldown.model}`}`,
            onclick: () => void clear(`?key=${encodeURIComponent(cooldown.key)}`, `${cooldown.provider} ${cooldown.credential}`),
          }, 'Clear'),
        },
      ], cooldowns, 'No provider or credential is cooling down.', (cooldown) => ({ 'data-cooldown': cooldown.key })));
  }

  async function loadCooldowns(): Promise<void> {
    const list = await api.get<List<Cooldown>>('/v0/management/cooldowns');
    cooldowns = list.data;
    loadedAt = Date.now();
    if (!context.signal.aborted) drawCooldowns();
  }

  root.append(
    h('h1', { tabindex: -1 }, 'Providers'),
    summary,
    messages,
    matrix,
    h('section', { 'aria-labelledby': 'cooldowns-title' }, cooldownSection),
  );
  const refreshStatus = context.every(REFRESH_MS, () => loadProviders().catch((error: unknown) => {
    if (providers.length === 0) swap(matrix, notice('error', `Could not load the providers: ${describeError(error)}`));
    throw error;
  }));
  const refreshCooldowns = context.every(REFRESH_MS, () => loadCooldowns().catch((error: unknown) => {
    swap(cooldownSection, h('h2', { id: 'cooldowns-title' }, 'Cooldowns'), notice('error', `Could not load the cooldowns: ${describeError(error)}`));
    throw error;
  }));
}

export const providersView: View = { id: 'providers', title: 'Providers', render };
