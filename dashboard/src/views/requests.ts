/**
 * Recent requests: the last 200 usage records (time, hashed client key, model, provider,
 * status, latency, tokens), filterable by model, provider, status and key in the page; the
 * filters live in the URL's hash, so a filtered view can be linked.
 */
import { describeError } from '../api.ts';
import { dataTable, h, notice, swap } from '../dom.ts';
import { count, dateTime, millis, moment } from '../format.ts';
import type { List, UsageRecord } from '../types.ts';
import type { View, ViewContext } from '../view.ts';

const LIMIT = 200;
const REFRESH_MS = 5000;
type Filter = 'model' | 'provider' | 'status' | 'key';
const FILTERS: Array<{ name: Filter; label: string }> = [
  { name: 'model', label: 'Model' },
  { name: 'provider', label: 'Provider' },
  { name: 'status', label: 'Status' },
  { name: 'key', label: 'Client key' },
];

function valueOf(record: UsageRecord, filter: Filter): string {
  if (filter === 'status') return String(record.status);
  if (filter === 'key') return record.client;
  return record[filter];
}

/** `ok` matches 1xx–3xx, `errors` 4xx and 5xx, a number that exact status. */
function statusMatches(record: UsageRecord, wanted: string): boolean {
  if (wanted === 'ok') return record.status < 400;
  if (wanted === 'errors') return record.status >= 400;
  return String(record.status) === wanted;
}

function statusBadge(status: number): HTMLElement {
  return h('span', { class: `badge ${status < 400 ? 'ok' : status === 429 || status < 500 ? 'warn' : 'danger'}` }, String(status));
}

function render(root: HTMLElement, context: ViewContext): void {
  const { api } = context;
  let records: UsageRecord[] = [];
  const selects = new Map<Filter, HTMLSelectElement>();
  const wanted = new Map<Filter, string>(FILTERS.map(({ name }) => [name, context.params.get(name) ?? '']));
  for (const { name } of FILTERS) {
    const select = h('select', { id: `filter-${name}`, name });
    select.addEventListener('change', () => {
      wanted.set(name, select.value);
      context.setParams(new URLSearchParams([...wanted].filter(([, value]) => value !== '')));
      draw();
    });
    selects.set(name, select);
  }
  const reset = h('button', { type: 'button', class: 'quiet' }, 'Clear filters');
  reset.addEventListener('click', () => {
    for (const { name } of FILTERS) wanted.set(name, '');
    context.setParams(new URLSearchParams());
    draw();
  });
  const live = h('input', { type: 'checkbox', id: 'requests-live', checked: true });
  const table = h('div', { 'aria-live': 'off' });
  const summary = h('p', { class: 'subtitle', 'aria-live': 'polite' }, 'Loading…');

  function fillOptions(): void {
    for (const { name, label } of FILTERS) {
      const select = selects.get(name)!;
      const values = [...new Set(records.map((record) => valueOf(record, name)))].sort();
      const current = wanted.get(name) ?? '';
      const special = name === 'status' ? [h('option', { value: 'ok' }, 'Successful (< 400)'), h('option', { value: 'errors' }, 'Errors (≥ 400)')] : [];
      if (current !== '' && current !== 'ok' && current !== 'errors' && !values.includes(current)) values.push(current);
      const signature = values.join('\n');
      if (select.dataset.options === signature) {
        select.value = current;
        continue;
      }
      select.dataset.options = signature;
      select.replaceChildren(h('option', { value: '' }, `Any ${label.toLowerCase()}`), ...special, ...values.map((value) => h('option', { value }, value)));
      select.value = current;
    }
  }

  function draw(): void {
    fillOptions();
    const visible = records.filter((record) => FILTERS.every(({ name }) => {
      const value = wanted.get(name) ?? '';
      if (value === '') return true;
      return name === 'status' ? statusMatches(record, value) : valueOf(record, name) === value;
    }));
    summary.textContent = `Showing ${visible.length} of the last ${records.length} requests${records.length === LIMIT ? ` (the newest ${LIMIT})` : ''}.`;
    swap(table, dataTable('Recent requests', [
      { label: 'Time', cell: (record) => h('time', { datetime: new Date(record.time).toISOString(), title: dateTime(record.time) }, moment(record.time)), class: 'nowrap' },
      { label: 'Status', cell: (record) => statusBadge(record.status) },
      { label: 'Model', cell: (record) => h('code', null, record.model) },
      { label: 'Provider', cell: (record) => (record.provider === '-' ? h('span', { class: 'meta' }, 'not routed') : record.provider) },
      { label: 'Latency', cell: (record) => millis(record.latencyMs), class: 'num nowrap' },
      { label: 'Input tokens', cell: (record) => count(record.inputTokens), class: 'num' },
      { label: 'Output tokens', cell: (record) => count(record.outputTokens), class: 'num' },
      { label: 'Client key', cell: (record) => h('code', { title: 'SHA-256 of the client key (first 16 hex)' }, record.client) },
    ], visible, records.length === 0 ? 'No request has been recorded yet.' : 'No request matches the filters.', (record) => ({ 'data-status': record.status })));
  }

  root.append(
    h('h1', { tabindex: -1 }, 'Recent requests'),
    summary,
    h('div', { class: 'filters', role: 'search', 'aria-label': 'Filter the requests' },
      FILTERS.map(({ name, label }) => h('div', { class: 'field' }, h('label', { for: `filter-${name}` }, label), selects.get(name)!)),
      h('div', { class: 'field' }, h('span', { class: 'label-spacer', 'aria-hidden': 'true' }, ' '), reset),
      h('div', { class: 'field checkbox' }, live, h('label', { for: 'requests-live' }, 'Refresh every 5 s'))),
    table,
  );

  let first = true;
  context.every(REFRESH_MS, async () => {
    if (!first && !live.checked) return;
    first = false;
    try {
      records = (await api.get<List<UsageRecord>>(`/v0/management/usage?limit=${LIMIT}`)).data;
      if (!context.signal.aborted) draw();
    } catch (error) {
      swap(table, notice('error', `Could not load the requests: ${describeError(error)}`));
      throw error;
    }
  });
}

export const requestsView: View = { id: 'requests', title: 'Recent requests', render };
