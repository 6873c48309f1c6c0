/**
 * Models: every provider's catalogue with per-model capabilities, the model mappings
 * (aliases), and where a model name is served (which providers, under which upstream name).
 */
import { ApiError, describeError } from '../api.ts';
import { dataTable, h, notice, swap } from '../dom.ts';
import { count } from '../format.ts';
import type { CatalogueModel, List, ModelServing, ProviderModels, ProviderSummary } from '../types.ts';
import type { View, ViewContext } from '../view.ts';
import { yesNo } from './providers.ts';

interface Row extends CatalogueModel {
  provider: string;
  providerEnabled: boolean;
}

function render(root: HTMLElement, context: ViewContext): void {
  const { api } = context;
  const providerFilter = h('select', { id: 'models-provider' }, h('option', { value: '' }, 'All providers'));
  const search = h('input', { id: 'models-search', type: 'search', placeholder: 'e.g. gpt-4o', autocomplete: 'off', value: context.params.get('q') ?? '' });
  const enabledOnly = h('input', { id: 'models-enabled-only', type: 'checkbox', checked: context.params.get('all') !== '1' });
  const catalogue = h('section', { 'aria-labelledby': 'catalogue-title' });
  const aliases = h('section', { 'aria-labelledby': 'aliases-title' });
  const servingInput = h('input', { id: 'serving-model', type: 'text', list: 'model-names', autocomplete: 'off', required: true, placeholder: 'a model name, alias or provider/model', value: context.params.get('model') ?? '' });
  const names = h('datalist', { id: 'model-names' });
  const servingResult = h('div', { 'aria-live': 'polite' });
  let rows: Row[] = [];
  let mappings: Array<{ provider: string; alias: string; upstream_model: string }> = [];
  let enabledNames = new Set<string>();

  function params(): URLSearchParams {
    const out = new URLSearchParams();
    if (providerFilter.value !== '') out.set('provider', providerFilter.value);
    if (search.value.trim() !== '') out.set('q', search.value.trim());
    if (servingInput.value.trim() !== '') out.set('model', servingInput.value.trim());
    if (!enabledOnly.checked) out.set('all', '1');
    return out;
  }

  function draw(): void {
    const needle = search.value.trim().toLowerCase();
    const provider = providerFilter.value;
    const visible = rows.filter((row) => (provider === '' || row.provider === provider) && (!enabledOnly.checked || row.providerEnabled) && (needle === '' || row.id.toLowerCase().includes(needle)));
    swap(catalogue,
      h('h2', { id: 'catalogue-title' }, `Catalogue (${visible.length} of ${rows.length} models)`),
      dataTable('Models and capabilities', [
        { label: 'Model', cell: (row) => h('code', null, row.id) },
        { label: 'Provider', cell: (row) => [row.provider, row.providerEnabled ? null : h('span', { class: 'meta' }, 'disabled')] },
        { label: 'Streaming', cell: (row) => yesNo(row.capabilities.streaming), class: 'center' },
        { label: 'Functions', cell: (row) => yesNo(row.capabilities.functions), class: 'center' },
        { label: 'Vision', cell: (row) => yesNo(row.capabilities.vision), class: 'center' },
        { label: 'Code', cell: (row) => yesNo(row.capabilities.code_generation), class: 'center' },
        { label: 'Multimodal', cell: (row) => yesNo(row.capabilities.multimodal), class: 'center' },
        { label: 'Context', cell: (row) => count(row.capabilities.max_tokens), class: 'num' },
        { label: 'Max output', cell: (row) => count(row.max_output_tokens), class: 'num' },
        {
          label: 'Served by',
          cell: (row) => h('button', {
            type: 'button', class: 'small', 'aria-label': `Where is ${row.id} served?`,
            onclick: () => { servingInput.value = row.id; void lookUp(); },
          }, 'Where?'),
        },
      ], visible, rows.length === 0 ? 'No catalogue loaded.' : 'No model matches the filter.', (row) => ({ 'data-model': row.id, class: row.providerEnabled ? null : 'muted-row' }), true));
    const visibleAliases = mappings.filter((item) => (provider === '' || item.provider === provider) && (!enabledOnly.checked || enabledNames.has(item.provider)) && (needle === '' || item.alias.toLowerCase().includes(needle) || item.upstream_model.toLowerCase().includes(needle)));
    swap(aliases,
      h('h2', { id: 'aliases-title' }, `Model mappings (${visibleAliases.length})`),
      dataTable('Aliases', [
        { label: 'Alias', cell: (item) => h('code', null, item.alias) },
        { label: 'Provider', cell: (item) => item.provider },
        { label: 'Upstream model', cell: (item) => h('code', null, item.upstream_model) },
      ], visibleAliases, 'No model mapping is configured.'));
    context.setParams(params());
  }

  async function lookUp(): Promise<void> {
    const model = servingInput.value.trim();
    if (model === '') return;
    context.setParams(params());
    swap(servingResult, notice('info', `Looking up ${model}…`));
    try {
      const serving = await api.get<ModelServing>(`/v1/models/${encodeURIComponent(model)}`);
      swap(servingResult, serving.providers.length === 0
        ? notice('error', `No enabled provider serves "${model}".`)
        : dataTable(`Where ${model} is served`, [
          { label: 'Provider', cell: (item) => item.provider },
          { label: 'Upstream model', cell: (item) => h('code', null, item.upstream_model) },
          { label: 'Streaming', cell: (item) => item.capabilities === null ? '—' : yesNo(item.capabilities.streaming), class: 'center' },
          { label: 'Functions', cell: (item) => item.capabilities === null ? '—' : yesNo(item.capabilities.functions), class: 'center' },
          { label: 'Vision', cell: (item) => item.capabilities === null ? '—' : yesNo(item.capabilities.vision), class: 'center' },
          { label: 'Context', cell: (item) => count(item.capabilities?.max_tokens), class: 'num' },
        ], serving.providers, '', (item) => ({ 'data-serving': item.provider })));
    } catch (error) {
      if (error instanceof ApiError && error.code === 'model_not_found') {
        const suggestions = Array.isArray(error.details.suggestions) ? error.details.suggestions.filter((item): item is string => typeof item === 'string') : [];
        swap(servingResult, notice('error', `No enabled provider serves "${model}".`, suggestions.length === 0 ? '' : ` Close matches: ${suggestions.join(', ')}.`));
        return;
      }
      swap(servingResult, notice('error', `Could not look up ${model}: ${describeError(error)}`));
    }
  }

  const servingForm = h('form', { class: 'inline-form', 'aria-labelledby': 'serving-title' },
    h('div', { class: 'field grow' }, h('label', { for: 'serving-model' }, 'Model'), servingInput, names),
    h('div', { class: 'field' }, h('span', { class: 'label-spacer', 'aria-hidden': 'true' }, ' '), h('button', { type: 'submit', class: 'primary' }, 'Look up')));
  servingForm.addEventListener('submit', (event) => { event.preventDefault(); void lookUp(); });
  providerFilter.addEventListener('change', draw);
  search.addEventListener('input', draw);
  enabledOnly.addEventListener('change', draw);

  root.append(
    h('h1', { tabindex: -1 }, 'Models'),
    h('p', { class: 'subtitle' }, 'Every provider\'s catalogue, the configured mappings, and where a name is served.'),
    h('section', { 'aria-labelledby': 'serving-title' }, h('h2', { id: 'serving-title' }, 'Where is a model served?'), servingForm, servingResult),
    h('div', { class: 'filters', role: 'search', 'aria-label': 'Filter the catalogue' },
      h('div', { class: 'field' }, h('label', { for: 'models-provider' }, 'Provider'), providerFilter),
      h('div', { class: 'field grow' }, h('label', { for: 'models-search' }, 'Model name contains'), search),
      h('div', { class: 'field checkbox' }, enabledOnly, h('label', { for: 'models-enabled-only' }, 'Enabled providers only'))),
    catalogue,
    aliases,
  );
  swap(catalogue, notice('info', 'Loading the catalogue…'));

  context.every(60_000, async () => {
    try {
      const providers = (await api.get<List<ProviderSummary>>('/v1/providers')).data;
      const catalogues = await Promise.all(providers.map((provider) => api.get<ProviderModels>(`/v1/providers/${encodeURIComponent(provider.name)}/models`)));
      if (context.signal.aborted) return;
      const enabled = new Map(providers.map((provider) => [provider.name, provider.enabled]));
      enabledNames = new Set(providers.filter((provider) => provider.enabled).map((provider) => provider.name));
      rows = catalogues.flatMap((list) => list.data.map((model) => ({ ...model, provider: list.provider, providerEnabled: enabled.get(list.provider) ?? false })));
      mappings = catalogues.flatMap((list) => list.aliases.map((alias) => ({ provider: list.provider, ...alias })));
      const wanted = providerFilter.options.length > 1 ? providerFilter.value : (context.params.get('provider') ?? '');
      providerFilter.replaceChildren(h('option', { value: '' }, 'All providers'), ...providers.map((provider) => h('option', { value: provider.name }, provider.name)));
      if (providers.some((provider) => provider.name === wanted)) providerFilter.value = wanted;
      names.replaceChildren(...[...new Set([...rows.map((row) => row.id), ...mappings.map((item) => item.alias)])].sort().map((name) => h('option', { value: name })));
      draw();
    } catch (error) {
      if (rows.length === 0) swap(catalogue, notice('error', `Could not load the catalogue: ${describeError(error)}`));
      throw error;
    }
  });
  if (servingInput.value !== '') void lookUp();
}

export const modelsView: View = { id: 'models', title: 'Models', render };
