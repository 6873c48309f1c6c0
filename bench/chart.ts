/**
 * The charts the README embeds, as hand-written SVG (no chart library): one panel per load
 * scenario, one horizontal bar per target, each panel on its own scale (a 50-connection
 * non-streaming run and a 100-chunk stream differ by an order of magnitude). Pure: results in,
 * SVG text out; bench/run.ts and bench/report.ts write them to docs/bench/.
 *
 * - throughput.svg: requests (answers) per second.
 * - latency.svg: added p50 latency over the direct call, in ms (added p99 as text: a tail ten
 *   times longer would flatten the p50 bars).
 */
import type { Measurement, RunResults } from './results.ts';

const colours: Record<string, string> = {
  direct: '#9aa0a6',
  relay: '#5b8def',
  cliproxy: '#e8710a',
  portkey: '#8e44ad',
};
const fallbackColours = ['#2e7d32', '#c62828', '#00838f', '#6d4c41'];

interface Bar {
  target: string;
  label: string;
  /** Undefined: no figure (failed, skipped); `note` says why. */
  value: number | undefined;
  text: string;
  /** A second, lighter bar behind the first (p99 behind p50). */
  back?: number;
  note?: string;
}

interface Panel {
  title: string;
  bars: Bar[];
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function colourOf(results: RunResults, target: string): string {
  const index = results.targets.findIndex((entry) => entry.id === target);
  return colours[target] ?? fallbackColours[Math.max(0, index) % fallbackColours.length];
}

/** A round axis maximum at or above `value`: 1, 2 or 5 × a power of ten. */
function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function measurementOf(results: RunResults, scenario: string, target: string): { measurement?: Measurement; note?: string } {
  const found = results.cells.find((entry) => entry.scenario === scenario && entry.target === target);
  if (found === undefined) return { note: 'not run' };
  if (found.status === 'ok') return { measurement: found.measurement };
  if (found.status === 'skipped') return { note: 'n/a' };
  return { note: 'failed' };
}

function renderPanels(results: RunResults, title: string, subtitle: string, panels: Panel[], legend: string | undefined): string {
  const columns = 2;
  const panelWidth = 600;
  const labelWidth = 150;
  const barHeight = 18;
  const barGap = 6;
  const panelPadding = 34;
  const maxBars = Math.max(1, ...panels.map((panel) => panel.bars.length));
  const panelHeight = panelPadding + maxBars * (barHeight + barGap) + 10;
  const top = legend === undefined ? 62 : 80;
  const rows = Math.ceil(panels.length / columns);
  const width = columns * panelWidth + 20;
  const height = top + rows * panelHeight + 10;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="-apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="24" font-size="16" font-weight="600" fill="#202124">${escapeXml(title)}</text>`,
    `<text x="10" y="44" fill="#5f6368">${escapeXml(subtitle)}</text>`,
  ];
  if (legend !== undefined) parts.push(`<text x="10" y="62" fill="#5f6368">${escapeXml(legend)}</text>`);
  panels.forEach((panel, index) => {
    const x = 10 + (index % columns) * panelWidth;
    const y = top + Math.floor(index / columns) * panelHeight;
    const scaleMax = niceMax(Math.max(0, ...panel.bars.flatMap((bar) => [bar.value ?? 0, bar.back ?? 0])));
    // Room right of the longest bar for its figures.
    const barArea = panelWidth - labelWidth - 220;
    parts.push(`<text x="${x}" y="${y + 16}" font-weight="600" fill="#202124">${escapeXml(panel.title)}</text>`);
    panel.bars.forEach((bar, row) => {
      const barY = y + panelPadding - 8 + row * (barHeight + barGap);
      const colour = colourOf(results, bar.target);
      parts.push(`<text x="${x + labelWidth - 6}" y="${barY + 13}" text-anchor="end" fill="#3c4043">${escapeXml(bar.label)}</text>`);
      if (bar.value === undefined) {
        parts.push(`<text x="${x + labelWidth}" y="${barY + 13}" fill="#80868b" font-style="italic">${escapeXml(bar.note ?? 'no figure')}</text>`);
        return;
      }
      const scaled = (value: number): number => Math.max(0, (value / scaleMax) * barArea);
      if (bar.back !== undefined) {
        parts.push(`<rect x="${x + labelWidth}" y="${barY}" width="${scaled(bar.back).toFixed(1)}" height="${barHeight}" fill="${colour}" fill-opacity="0.3"/>`);
      }
      parts.push(`<rect x="${x + labelWidth}" y="${barY + (bar.back === undefined ? 0 : 4)}" width="${scaled(bar.value).toFixed(1)}" height="${barHeight - (bar.back === undefined ? 0 : 8)}" fill="${colour}"/>`);
      const textX = x + labelWidth + Math.max(scaled(bar.value), scaled(bar.back ?? 0)) + 5;
      parts.push(`<text x="${textX.toFixed(1)}" y="${barY + 13}" fill="#202124">${escapeXml(bar.text)}</text>`);
    });
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}

function subtitle(results: RunResults): string {
  const date = results.generatedAt.slice(0, 10);
  return `${results.machine.cpuModel}, ${results.machine.cores} cores, Node ${results.machine.node}; loopback, fake upstream answering at once; ${date}. Details: BENCHMARKS.md`;
}

const loadScenarios = (results: RunResults) => results.scenarios.filter((scenario) => scenario.kind === 'load');

export function renderThroughputSvg(results: RunResults): string {
  const panels: Panel[] = loadScenarios(results).map((scenario) => ({
    title: scenario.label,
    bars: results.targets.map((target) => {
      const { measurement, note } = measurementOf(results, scenario.id, target.id);
      const value = measurement?.requestsPerSecond;
      const chunks = scenario.chunksPerResponse === undefined || value === undefined ? '' : ` (${Math.round((value * scenario.chunksPerResponse) / 1000)}k chunks/s)`;
      return { target: target.id, label: target.label, value, text: value === undefined ? '' : `${Math.round(value).toLocaleString('en-US')} req/s${chunks}`, note };
    }),
  }));
  return renderPanels(results, 'Throughput per target (answers per second, higher is better)', subtitle(results), panels, undefined);
}

export function renderLatencySvg(results: RunResults): string {
  const signed = (value: number): string => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)}`;
  const panels: Panel[] = loadScenarios(results)
    .filter((scenario) => !scenario.translated)
    .map((scenario) => ({
      title: scenario.label,
      bars: results.targets
        .filter((target) => target.id !== 'direct')
        .map((target) => {
          const { measurement, note } = measurementOf(results, scenario.id, target.id);
          const added = measurement?.addedLatencyMs;
          if (added === undefined) return { target: target.id, label: target.label, value: undefined, text: '', note: note ?? 'no direct call to compare' };
          return {
            target: target.id,
            label: target.label,
            value: Math.max(0, added.p50),
            text: `p50 ${signed(added.p50)} ms (p99 ${signed(added.p99)} ms)`,
          };
        }),
    }));
  return renderPanels(
    results,
    'Added p50 latency over the direct call (ms, lower is better)',
    subtitle(results),
    panels,
    'Bars: added p50 (target minus direct, same scenario); added p99 in brackets. Translated scenarios have no direct call to compare with.',
  );
}
