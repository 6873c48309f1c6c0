import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CollectedGauge, FastCounter, FastGauge, FastHistogram, MetricsRegistry, escapeLabelValue, formatSampleValue } from './fast-metrics.ts';

test('counters expose one sample per label set, values escaped, after HELP and TYPE', async () => {
  const registry = new MetricsRegistry();
  const counter = new FastCounter('x_total', 'Things\ncounted \\ here', ['a', 'b'], registry);
  counter.add('one\u0000two');
  counter.add('one\u0000two', 2);
  counter.add('say "hi"\\\u0000line\nbreak');
  assert.equal(await registry.metrics(), [
    '# HELP x_total Things\\ncounted \\\\ here',
    '# TYPE x_total counter',
    'x_total{a="one",b="two"} 3',
    'x_total{a="say \\"hi\\"\\\\",b="line\\nbreak"} 1',
    '',
  ].join('\n'));
});

test('a counter cell kept by the caller is the series add() updates', async () => {
  const registry = new MetricsRegistry();
  const counter = new FastCounter('c_total', 'Cells', ['a'], registry);
  const cell = counter.cellOf('x');
  assert.equal(counter.cellOf('x'), cell, 'one cell per label set');
  cell.value += 5;
  counter.add('x', 2);
  counter.cellOf('y');
  assert.equal(cell.value, 7);
  assert.match(await registry.metrics(), /^c_total\{a="x"\} 7\nc_total\{a="y"\} 0$/m);
});

test('histograms expose cumulative buckets, +Inf, sum and count', async () => {
  const registry = new MetricsRegistry();
  const histogram = new FastHistogram('d_seconds', 'Durations', ['f'], [0.1, 1], registry);
  histogram.observe('x', 0.05);
  histogram.observe('x', 0.5);
  histogram.observe('x', 5);
  const text = await registry.metrics();
  assert.match(text, /^# TYPE d_seconds histogram$/m);
  assert.match(text, /^d_seconds_bucket\{f="x",le="0.1"\} 1$/m);
  assert.match(text, /^d_seconds_bucket\{f="x",le="1"\} 2$/m);
  assert.match(text, /^d_seconds_bucket\{f="x",le="\+Inf"\} 3$/m);
  assert.match(text, /^d_seconds_sum\{f="x"\} 5.55$/m);
  assert.match(text, /^d_seconds_count\{f="x"\} 3$/m);
});

test('gauges: a kept number without labels, and series collected at scrape time', async () => {
  const registry = new MetricsRegistry();
  const gauge = new FastGauge('g', 'A gauge', [], registry);
  gauge.value = 4;
  let healthy = 1;
  new CollectedGauge('h', 'Collected', ['driver'], registry, async () => new Map([['redis', healthy]]));
  assert.match(await registry.metrics(), /^g 4\n[\s\S]*^h\{driver="redis"\} 1$/m);
  healthy = 0;
  assert.match(await registry.metrics(), /^h\{driver="redis"\} 0$/m);
});

test('a metric name registers once; sample values spell infinities as Prometheus does', () => {
  const registry = new MetricsRegistry();
  new FastGauge('g', 'A gauge', [], registry);
  assert.throws(() => new FastGauge('g', 'Again', [], registry), /already registered/);
  assert.equal(formatSampleValue(Infinity), '+Inf');
  assert.equal(formatSampleValue(-Infinity), '-Inf');
  assert.equal(formatSampleValue(Number.NaN), 'NaN');
  assert.equal(formatSampleValue(0.25), '0.25');
  assert.equal(escapeLabelValue('plain'), 'plain');
});
