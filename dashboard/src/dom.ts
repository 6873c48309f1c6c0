/**
 * A few DOM helpers in place of a framework: `h()` builds elements, `dataTable()` a
 * captioned table in a horizontally scrolling region, `swap()` replaces a section's content
 * while keeping keyboard focus on the control that had it (periodic refreshes must not
 * throw the user's focus away).
 */

export type Child = Node | string | number | null | undefined | false | Child[];
type PropValue = string | number | boolean | null | undefined | EventListener;
export type Props = Record<string, PropValue>;

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const item of child) append(parent, item);
    return;
  }
  parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
}

/**
 * @example
 *   h('button', { type: 'button', class: 'danger', onclick: () => clear() }, 'Clear all')
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'value' || name === 'checked') {
      (element as unknown as Record<string, unknown>)[name] = value;
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

export function fragment(...children: Child[]): DocumentFragment {
  const out = document.createDocumentFragment();
  append(out, children);
  return out;
}

/** Replaces `container`'s content; focus returns to the element with the same `data-focus`. */
export function swap(container: Element, ...children: Child[]): void {
  const active = document.activeElement;
  const focusKey = active instanceof HTMLElement && container.contains(active) ? active.dataset.focus : undefined;
  const scrollers = [...container.querySelectorAll<HTMLElement>('.table-wrap')].map((wrap) => wrap.scrollLeft);
  container.replaceChildren(fragment(...children));
  container.querySelectorAll<HTMLElement>('.table-wrap').forEach((wrap, index) => { wrap.scrollLeft = scrollers[index] ?? 0; });
  if (focusKey !== undefined) {
    const again = [...container.querySelectorAll<HTMLElement>('[data-focus]')].find((element) => element.dataset.focus === focusKey);
    again?.focus();
  }
}

export interface Column<Row> {
  label: string;
  cell: (row: Row) => Child;
  /** `num` right-aligns; `nowrap` keeps the cell on one line. */
  class?: string;
}

/** A table with a caption, scrolling horizontally (and keyboard-scrollable) when narrow. */
export function dataTable<Row>(caption: string, columns: Array<Column<Row>>, rows: Row[], empty: string, rowProps?: (row: Row) => Props, stickyFirst = false): HTMLElement {
  const table = h('table', null,
    h('caption', null, caption),
    h('thead', null, h('tr', null, columns.map((column) => h('th', { scope: 'col', class: column.class }, column.label)))),
    h('tbody', null, rows.length === 0
      ? h('tr', null, h('td', { colspan: columns.length, class: 'empty' }, empty))
      : rows.map((row) => h('tr', rowProps?.(row) ?? null, columns.map((column) => h('td', { class: column.class }, column.cell(row)))))),
  );
  return h('div', { class: stickyFirst ? 'table-wrap sticky-first' : 'table-wrap', role: 'region', 'aria-label': caption, tabindex: 0 }, table);
}

/** A short message in a live region: `error` for failures, `ok` for successes. */
export function notice(kind: 'error' | 'ok' | 'info', text: string, ...extra: Child[]): HTMLElement {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text, ...extra);
}

/** A horizontal bar of `fraction` (0..1) with its text label, for quotas and breakdowns. */
export function bar(fraction: number, label: string, kind: 'normal' | 'warn' | 'danger' = 'normal'): HTMLElement {
  const clamped = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  const fill = h('span', { class: `bar-fill ${kind}` });
  fill.style.width = `${(clamped * 100).toFixed(1)}%`;
  return h('span', { class: 'bar', role: 'img', 'aria-label': label }, h('span', { class: 'bar-track' }, fill), h('span', { class: 'bar-label', 'aria-hidden': 'true' }, label));
}
