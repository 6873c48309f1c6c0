/**
 * Counters and histograms for the request path, updated with plain arithmetic and turned
 * into Prometheus series only when scraped. prom-client's own metrics hash a label object
 * on every update, which measured at ~10 µs per proxied request; these register into the
 * same prom-client Registry (its exposition and content type) through its metric contract.
 */
import type { Registry } from 'prom-client';

interface MetricValue {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

interface Exposed {
  name: string;
  help: string;
  type: 'counter' | 'histogram' | 'gauge';
  values: MetricValue[];
  aggregator: 'sum';
}

abstract class FastMetric {
  readonly name: string;
  readonly help: string;
  abstract readonly type: Exposed['type'];
  readonly aggregator = 'sum' as const;
  protected readonly labelNames: readonly string[];

  constructor(name: string, help: string, labelNames: readonly string[], registry: Registry) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
    registry.registerMetric(this as never);
  }

  protected labelsOf(key: string): Record<string, string> {
    const values = key.split('\u0000');
    const labels: Record<string, string> = {};
    this.labelNames.forEach((label, index) => { labels[label] = values[index] ?? ''; });
    return labels;
  }

  abstract get(): Promise<Exposed>;

  reset(): void {}
}

/** A counter keyed by label values joined with NUL. */
export class FastCounter extends FastMetric {
  readonly type = 'counter' as const;
  private readonly series = new Map<string, number>();

  /** `key`: the label values in order, joined with `\u0000`. */
  add(key: string, amount = 1): void {
    this.series.set(key, (this.series.get(key) ?? 0) + amount);
  }

  async get(): Promise<Exposed> {
    const values = [...this.series].map(([key, value]) => ({ labels: this.labelsOf(key), value }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

/** A histogram with fixed buckets, keyed like FastCounter. */
export class FastHistogram extends FastMetric {
  readonly type = 'histogram' as const;
  private readonly buckets: readonly number[];
  private readonly series = new Map<string, { counts: Float64Array; sum: number; count: number }>();

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[], registry: Registry) {
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

  async get(): Promise<Exposed> {
    const values: MetricValue[] = [];
    for (const [key, entry] of this.series) {
      const labels = this.labelsOf(key);
      let cumulative = 0;
      this.buckets.forEach((bound, index) => {
        cumulative += entry.counts[index] as number;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: bound }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: entry.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: entry.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: entry.count });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

/** A gauge read from a number the caller keeps. */
export class FastGauge extends FastMetric {
  readonly type = 'gauge' as const;
  value = 0;

  async get(): Promise<Exposed> {
    return { name: this.name, help: this.help, type: this.type, values: [{ labels: {}, value: this.value }], aggregator: this.aggregator };
  }
}
