/**
 * Counters, gauges and histograms for the request path, updated with plain arithmetic and
 * written out in Prometheus's text exposition format (0.0.4) only when scraped. A client
 * library would hash a label object on every update (prom-client measured ~10 µs per proxied
 * request) and load ~80 modules with it (~15 MB of idle RSS, OpenTelemetry's API included);
 * the format itself is a few lines of text per series.
 */

/** The content type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A label value escaped for the exposition format: backslash, double quote, newline. */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/** A `# HELP` text escaped for the exposition format: backslash, newline. */
function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as Prometheus writes it (`+Inf`, `-Inf`, `NaN`, else the shortest decimal). */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** Something `/metrics` writes: its `# HELP` and `# TYPE` lines, then its samples. */
export interface Exposable {
  readonly name: string;
  expose(): string | Promise<string>;
}

/** A registry of metrics, exposed in registration order. */
export class MetricsRegistry {
  readonly contentType = PROMETHEUS_CONTENT_TYPE;
  private readonly registered: Exposable[] = [];

  register(metric: Exposable): void {
    if (this.registered.some((existing) => existing.name === metric.name)) throw new Error(`metric ${metric.name} is already registered`);
    this.registered.push(metric);
  }

  async metrics(): Promise<string> {
    const parts = await Promise.all(this.registered.map((metric) => metric.expose()));
    return parts.join('\n') + '\n';
  }
}

abstract class FastMetric implements Exposable {
  readonly name: string;
  readonly help: string;
  abstract readonly type: 'counter' | 'histogram' | 'gauge';
  protected readonly labelNames: readonly string[];

  constructor(name: string, help: string, labelNames: readonly string[], registry: MetricsRegistry) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
    registry.register(this);
  }

  protected header(): string {
    return `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}`;
  }

  /** `{a="x",b="y"}` for a NUL-joined key (empty string for no labels), `extra` appended. */
  protected labelsOf(key: string, extra?: string): string {
    const values = this.labelNames.length === 0 ? [] : key.split('\u0000');
    const pairs = this.labelNames.map((label, index) => `${label}="${escapeLabelValue(values[index] ?? '')}"`);
    if (extra !== undefined) pairs.push(extra);
    return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
  }

  abstract expose(): string | Promise<string>;
}

/** A counter keyed by label values joined with NUL. */
export class FastCounter extends FastMetric {
  readonly type = 'counter' as const;
  private readonly series = new Map<string, CounterCell>();

  /** `key`: the label values in order, joined with `\u0000`. */
  add(key: string, amount = 1): void {
    this.cellOf(key).value += amount;
  }

  /**
   * The series for `key`, to be added to directly: a caller that keeps the cell (under label
   * values it already holds) skips building and hashing the joined key on every update.
   */
  cellOf(key: string): CounterCell {
    let cell = this.series.get(key);
    if (cell === undefined) {
      cell = { value: 0 };
      this.series.set(key, cell);
    }
    return cell;
  }

  expose(): string {
    const lines = [this.header()];
    for (const [key, cell] of this.series) lines.push(`${this.name}${this.labelsOf(key)} ${formatSampleValue(cell.value)}`);
    return lines.join('\n');
  }
}

/** One counter series' value. */
export interface CounterCell {
  value: number;
}

/** A histogram with fixed buckets, keyed like FastCounter. */
export class FastHistogram extends FastMetric {
  readonly type = 'histogram' as const;
  private readonly buckets: readonly number[];
  private readonly series = new Map<string, { counts: Float64Array; sum: number; count: number }>();

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[], registry: MetricsRegistry) {
    super(name, help, labelNames, registry);
    this.buckets = buckets;
  }

  observe(key: string, value: number): void {
    let entry = this.series.get(key);
    if (entry === undefined) {
      entry = { counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    for (let index = 0; index < this.buckets.length; index++) {
      if (value <= (this.buckets[index] as number)) {
        entry.counts[index] = (entry.counts[index] as number) + 1;
        break;
      }
    }
    entry.sum += value;
    entry.count++;
  }

  expose(): string {
    const lines = [this.header()];
    for (const [key, entry] of this.series) {
      let cumulative = 0;
      this.buckets.forEach((bound, index) => {
        cumulative += entry.counts[index] as number;
        lines.push(`${this.name}_bucket${this.labelsOf(key, `le="${formatSampleValue(bound)}"`)} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${this.labelsOf(key, 'le="+Inf"')} ${entry.count}`);
      lines.push(`${this.name}_sum${this.labelsOf(key)} ${formatSampleValue(entry.sum)}`);
      lines.push(`${this.name}_count${this.labelsOf(key)} ${entry.count}`);
    }
    return lines.join('\n');
  }
}

/** A gauge read from a number the caller keeps. */
export class FastGauge extends FastMetric {
  readonly type = 'gauge' as const;
  value = 0;

  expose(): string {
    return `${this.header()}\n${this.name} ${formatSampleValue(this.value)}`;
  }
}

/**
 * A gauge whose series are computed at scrape time: `collect` returns NUL-joined label keys
 * and their values.
 */
export class CollectedGauge extends FastMetric {
  readonly type = 'gauge' as const;
  private readonly collect: () => Map<string, number> | Promise<Map<string, number>>;

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    registry: MetricsRegistry,
    collect: () => Map<string, number> | Promise<Map<string, number>>,
  ) {
    super(name, help, labelNames, registry);
    this.collect = collect;
  }

  async expose(): Promise<string> {
    const lines = [this.header()];
    for (const [key, value] of await this.collect()) lines.push(`${this.name}${this.labelsOf(key)} ${formatSampleValue(value)}`);
    return lines.join('\n');
  }
}
