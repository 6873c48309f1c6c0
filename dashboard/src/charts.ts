/**
 * Time-series charts with uPlot (bundled; no CDN). Each chart is a `<figure>` whose data
 * the page exposes on attributes — `data-points` (x values), `data-series`, `data-total`
 * (the first series' sum) — so tests and curious operators can read what was drawn.
 */
import uPlot from 'uplot';
import { h } from './dom.ts';
import { short } from './format.ts';

/** Whole-number tick steps: requests and tokens are counts, so no tick reads "0.5". */
const COUNT_STEPS = Array.from({ length: 10 }, (_, power) => [1, 2, 5].map((step) => step * 10 ** power)).flat();

export const PALETTE = ['#2f6fde', '#d9534f', '#2a9d5c', '#c68a00', '#8a56cc', '#1aa3a3', '#d2569a'];

export interface ChartSeries {
  label: string;
  values: number[];
  color?: string;
}

export interface TimeChart {
  readonly element: HTMLElement;
  /** Redraws with new data; `xs` are unix seconds. */
  update(xs: number[], series: ChartSeries[]): void;
  destroy(): void;
}

function cssColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value === '' ? fallback : value;
}

/**
 * @example
 *   const chart = timeChart('Requests', 'requests');
 *   section.append(chart.element);
 *   chart.update([1700000000, 1700000060], [{ label: 'Requests', values: [3, 5] }]);
 */
export function timeChart(title: string, id: string, height = 220, wide = false): TimeChart {
  const plotSlot = h('div', { class: 'chart-plot' });
  const summary = h('p', { class: 'chart-summary' });
  const element = h('figure', { class: wide ? 'chart wide' : 'chart', id, 'data-points': 0, 'data-series': 0, 'data-total': 0 },
    h('figcaption', null, title), plotSlot, summary);
  let plot: uPlot | undefined;
  const observer = new ResizeObserver(() => {
    if (plot !== undefined) plot.setSize({ width: Math.max(240, plotSlot.clientWidth), height });
  });
  observer.observe(plotSlot);

  return {
    element,
    update(xs, series) {
      plot?.destroy();
      const axis = cssColor('--text-muted', '#666');
      const grid = cssColor('--grid', '#8883');
      const options: uPlot.Options = {
        width: Math.max(240, plotSlot.clientWidth || 600),
        height,
        scales: { x: { time: true }, y: { range: (_self, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [
          { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } },
          { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, incrs: COUNT_STEPS, values: (_self, ticks) => ticks.map((tick) => short(tick)), size: 56 },
        ],
        series: [
          {},
          ...series.map((item, index) => {
            const color = item.color ?? PALETTE[index % PALETTE.length]!;
            return { label: item.label, stroke: color, width: 2, fill: `${color}1a`, points: { show: true, size: 5, stroke: color, fill: color }, value: (_self: uPlot, value: number | null) => (value === null ? '—' : short(value)) };
          }),
        ],
        legend: { live: true },
        cursor: { drag: { x: false, y: false } },
      };
      const data = [xs, ...series.map((item) => item.values)] as uPlot.AlignedData;
      plot = new uPlot(options, data, plotSlot);
      const total = series[0]?.values.reduce((sum, value) => sum + value, 0) ?? 0;
      element.dataset.points = String(xs.length);
      element.dataset.series = String(series.length);
      element.dataset.total = String(total);
      summary.textContent = series.length === 0
        ? 'No data in this range.'
        : series.map((item) => `${item.label}: ${short(item.values.reduce((sum, value) => sum + value, 0))}`).join(' · ');
    },
    destroy() {
      observer.disconnect();
      plot?.destroy();
      plot = undefined;
    },
  };
}
