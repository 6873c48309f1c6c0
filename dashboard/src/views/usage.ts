/**
 * Usage: requests, tokens and errors over time (the last hour per minute, the last day per
 * hour, the last 30 days per day) as uPlot charts, requests over time split by model,
 * provider or client key, and breakdown tables — all from the persisted usage records.
 */
import { describeError } from '../api.ts';
import { timeChart, type ChartSeries } from '../charts.ts';
import { bar, dataTable, h, notice, swap } from '../dom.ts';
import { count, millis, percent, short } from '../format.ts';
import type { List, UsageAggregate, UsageRecord } from '../types.ts';
import type { View, ViewContext } from '../view.ts';

type RangeName = 'hour' | 'day' | 'month';
type Dimension = 'model' | 'provider' | 'key';

interface Range {
  label: string;
  spanMs: number;
  stepMs: number;
  /** The server-side grouping; the last hour is binned per minute here, from the records. */
  group?: 'hour' | 'day';
}

const RANGES: Record<RangeName, Range> = {
  hour: { label: 'Last hour', spanMs: 3_600_000, stepMs: 60_000 },
  day: { label: 'Last day', spanMs: 86_400_000, stepMs: 3_600_000, group: 'hour' },
  month: { label: 'Last 30 days', spanMs: 30 * 86_400_000, stepMs: 86_400_000, group: 'day' },
};
const DIMENSIONS: Record<Dimension, string> = { model: 'model', provider: 'provider', key: 'client key' };
const TOP = 5;
const REFRESH_MS = 15_000;

interface Point {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
}

/** Bucket starts (unix ms) from the one holding `from` to the one holding `now`. */
export function bucketStarts(from: number, now: number, stepMs: number): number[] {
  const out: number[] = [];
  for (let start = Math.floor(from / stepMs) * stepMs; start <= now; start += stepMs) out.push(start);
  return out;
}

function emptyPoints(length: number): Point[] {
  return Array.from({ length }, () => ({ requests: 0, errors: 0, inputTokens: 0, outputTokens: 0 }));
}

function binRecords(records: UsageRecord[], starts: number[], stepMs: number): Point[] {
  const points = emptyPoints(starts.length);
  const first = starts[0] ?? 0;
  for (const record of records) {
    const point = points[Math.floor((record.time - first) / stepMs)];
    if (point === undefined) continue;
    point.requests++;
    if (record.status >= 400) point.errors++;
    point.inputTokens += record.inputTokens;
    point.outputTokens += record.outputTokens;
  }
  return points;
}

function binAggregates(rows: UsageAggregate[], starts: number[], stepMs: number): Point[] {
  const points = emptyPoints(starts.length);
  const first = starts[0] ?? 0;
  for (const row of rows) {
    const point = points[Math.floor((Date.parse(row.key) - first) / stepMs)];
    if (point === undefined) continue;
    point.requests += row.requests;
    point.errors += row.errors;
    point.inputTokens += row.inputTokens;
    point.outputTokens += row.outputTokens;
  }
  return points;
}

function recordValue(record: UsageRecord, dimension: Dimension): string {
  return dimension === 'key' ? record.client : record[dimension];
}

function render(root: HTMLElement, context: ViewContext): void {
  const { api } = context;
  const initialRange = context.params.get('range');
  let range: RangeName = initialRange === 'day' || initialRange === 'month' ? initialRange : 'hour';
  const initialSplit = context.params.get('split');
  let dimension: Dimension = initialSplit === 'provider' || initialSplit === 'key' ? initialSplit : 'model';

  const rangeInputs = (Object.keys(RANGES) as RangeName[]).map((name) => {
    const input = h('input', { type: 'radio', name: 'usage-range', value: name, id: `range-${name}`, checked: name === range });
    input.addEventListener('change', () => {
      if (!input.checked) return;
      range = name;
      persist();
      refresh();
    });
    return h('label', { class: 'segment', for: `range-${name}` }, input, h('span', null, RANGES[name].label));
  });
  const splitSelect = h('select', { id: 'usage-split' }, (Object.keys(DIMENSIONS) as Dimension[]).map((name) => h('option', { value: name }, DIMENSIONS[name])));
  splitSelect.value = dimension;
  splitSelect.addEventListener('change', () => {
    dimension = splitSelect.value as Dimension;
    persist();
    refresh();
  });
  const persist = (): void => context.setParams(new URLSearchParams({ range, split: dimension }));

  const totals = h('div', { class: 'totals', 'aria-live': 'polite' });
  const status = h('div', { class: 'messages', 'aria-live': 'polite' });
  const requestsChart = timeChart('Requests and errors', 'chart-requests');
  const tokensChart = timeChart('Tokens', 'chart-tokens');
  const splitChart = timeChart('Requests by model', 'chart-split', 220, true);
  const breakdowns = h('div', { class: 'breakdowns' });
  context.signal.addEventListener('abort', () => { requestsChart.destroy(); tokensChart.destroy(); splitChart.destroy(); });

  root.append(
    h('h1', { tabindex: -1 }, 'Usage'),
    h('p', { class: 'subtitle' }, 'From the persisted usage records; refreshed every 15 s.'),
    h('div', { class: 'filters' },
      h('fieldset', { class: 'segmented' }, h('legend', null, 'Range'), rangeInputs),
      h('div', { class: 'field' }, h('label', { for: 'usage-split' }, 'Split requests by'), splitSelect)),
    status,
    totals,
    h('div', { class: 'charts' }, requestsChart.element, tokensChart.element, splitChart.element),
    breakdowns,
  );

  function breakdownTable(title: string, rows: UsageAggregate[], label: string, isKey: boolean): HTMLElement {
    const most = Math.max(1, ...rows.map((row) => row.requests));
    const sorted = [...rows].sort((a, b) => b.requests - a.requests);
    return h('section', { class: 'breakdown' }, h('h2', null, title), dataTable(title, [
      { label, cell: (row) => (isKey ? h('code', { title: 'SHA-256 of the client key (first 16 hex)' }, row.key) : row.key === '-' ? h('span', { class: 'meta' }, 'not routed') : row.key) },
      { label: 'Requests', cell: (row) => bar(row.requests / most, count(row.requests)), class: 'bar-cell' },
      { label: 'Errors', cell: (row) => `${count(row.errors)} (${percent(row.requests === 0 ? null : row.errors / row.requests)})`, class: 'num nowrap' },
      { label: 'Input tokens', cell: (row) => short(row.inputTokens), class: 'num' },
      { label: 'Output tokens', cell: (row) => short(row.outputTokens), class: 'num' },
      { label: 'Mean latency', cell: (row) => millis(row.latencyMs), class: 'num' },
    ], sorted, 'No requests in this range.'));
  }

  async function splitSeries(spec: Range, from: number, starts: number[], records: UsageRecord[] | undefined, groups: UsageAggregate[]): Promise<ChartSeries[]> {
    const top = [...groups].sort((a, b) => b.requests - a.requests).slice(0, TOP).map((row) => row.key);
    if (records !== undefined) {
      return top.map((value) => ({
        label: value,
        values: binRecords(records.filter((record) => recordValue(record, dimension) === value), starts, spec.stepMs).map((point) => point.requests),
      }));
    }
    const lists = await Promise.all(top.map((value) => api.get<List<UsageAggregate>>(`/v0/management/usage?${new URLSearchParams({ group_by: spec.group ?? 'hour', from: String(from), [dimension]: value })}`)));
    return top.map((value, index) => ({ label: value, values: binAggregates(lists[index]?.data ?? [], starts, spec.stepMs).map((point) => point.requests) }));
  }

  async function load(): Promise<void> {
    const spec = RANGES[range];
    const now = Date.now();
    const from = now - spec.spanMs;
    const starts = bucketStarts(from, now, spec.stepMs);
    const since = String(from);
    const [timeline, byModel, byProvider, byKey] = await Promise.all([
      spec.group === undefined
        ? api.get<List<UsageRecord>>(`/v0/management/usage?from=${since}&limit=100000`)
        : api.get<List<UsageAggregate>>(`/v0/management/usage?group_by=${spec.group}&from=${since}`),
      api.get<List<UsageAggregate>>(`/v0/management/usage?group_by=model&from=${since}`),
      api.get<List<UsageAggregate>>(`/v0/management/usage?group_by=provider&from=${since}`),
      api.get<List<UsageAggregate>>(`/v0/management/usage?group_by=key&from=${since}`),
    ]);
    const records = spec.group === undefined ? (timeline.data as UsageRecord[]) : undefined;
    const points = records !== undefined ? binRecords(records, starts, spec.stepMs) : binAggregates(timeline.data as UsageAggregate[], starts, spec.stepMs);
    const groups = dimension === 'model' ? byModel.data : dimension === 'provider' ? byProvider.data : byKey.data;
    const split = await splitSeries(spec, from, starts, records, groups);
    if (context.signal.aborted) return;

    const xs = starts.map((start) => start / 1000);
    requestsChart.update(xs, [
      { label: 'Requests', values: points.map((point) => point.requests) },
      { label: 'Errors', values: points.map((point) => point.errors), color: '#d9534f' },
    ]);
    tokensChart.update(xs, [
      { label: 'Input tokens', values: points.map((point) => point.inputTokens), color: '#2a9d5c' },
      { label: 'Output tokens', values: points.map((point) => point.outputTokens), color: '#8a56cc' },
    ]);
    const caption = splitChart.element.querySelector('figcaption');
    if (caption !== null) caption.textContent = `Requests by ${DIMENSIONS[dimension]} (top ${TOP})`;
    splitChart.update(xs, split);

    const sum = (pick: (point: Point) => number): number => points.reduce((total, point) => total + pick(point), 0);
    const requests = sum((point) => point.requests);
    const errors = sum((point) => point.errors);
    const latency = byProvider.data.reduce((total, row) => total + row.latencyMs * row.requests, 0);
    swap(totals,
      h('dl', { class: 'stat-cards' },
        h('div', { class: 'stat' }, h('dt', null, 'Requests'), h('dd', { 'data-stat': 'requests' }, count(requests))),
        h('div', { class: 'stat' }, h('dt', null, 'Errors'), h('dd', { 'data-stat': 'errors' }, `${count(errors)} (${percent(requests === 0 ? null : errors / requests)})`)),
        h('div', { class: 'stat' }, h('dt', null, 'Input tokens'), h('dd', null, short(sum((point) => point.inputTokens)))),
        h('div', { class: 'stat' }, h('dt', null, 'Output tokens'), h('dd', null, short(sum((point) => point.outputTokens)))),
        h('div', { class: 'stat' }, h('dt', null, 'Mean latency'), h('dd', null, millis(requests === 0 ? null : latency / requests)))));
    swap(breakdowns,
      breakdownTable('By model', byModel.data, 'Model', false),
      breakdownTable('By provider', byProvider.data, 'Provider', false),
      breakdownTable('By client key', byKey.data, 'Client key (hashed)', true));
    swap(status);
  }

  const refresh = context.every(REFRESH_MS, () => load().catch((error: unknown) => {
    swap(status, notice('error', `Could not load the usage: ${describeError(error)}`));
    throw error;
  }));
}

export const usageView: View = { id: 'usage', title: 'Usage', render };
