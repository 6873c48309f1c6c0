/**
 * Prometheus metrics (`GET /metrics`, text exposition format): requests, errors by class, latency
 * histograms for whole requests and for upstream attempts, tokens, requests in flight,
 * active cooldowns, and the state driver's health. One registry per gateway, so several
 * gateways in one process (tests) do not collide.
 */
import { CollectedGauge, FastCounter, FastGauge, FastHistogram, MetricsRegistry } from './fast-metrics.ts';
import type { CounterCell } from './fast-metrics.ts';
import type { StateStore } from '../state/types.ts';
import type { UsageRecord } from '../state/types.ts';

const TOKEN_KINDS = ['input', 'output', 'cached', 'reasoning'];
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** An error's class for `cliproxy_errors_total`. */
export function errorClass(status: number): string | undefined {
  if (status < 400) return undefined;
  if (status === 429) return 'rate_limited';
  if (status === 499) return 'client_closed';
  if (status === 502) return 'upstream_unreachable';
  if (status === 504) return 'upstream_timeout';
  if (status >= 500) return 'upstream_error';
  if (status === 401 || status === 403) return 'auth';
  return 'client_error';
}

/** The map under `key` in `parent`, made on first use. */
function child<K, V extends Map<unknown, unknown>>(parent: Map<K, V>, key: K): V {
  let map = parent.get(key);
  if (map === undefined) {
    map = new Map() as V;
    parent.set(key, map);
  }
  return map;
}

export class GatewayMetrics {
  readonly registry = new MetricsRegistry();
  /** `metrics.enabled: false` turns counting off (and `/metrics` answers 404). */
  enabled = true;
  private readonly requests: FastCounter;
  private readonly errors: FastCounter;
  private readonly duration: FastHistogram;
  private readonly upstreamDuration: FastHistogram;
  private readonly tokens: FastCounter;
  private readonly inFlight: FastGauge;
  private readonly requestCells = new Map<string, Map<string, Map<number, CounterCell>>>();
  private readonly tokenCells = new Map<string, Map<string, (CounterCell | undefined)[]>>();

  constructor(state: () => StateStore, now: () => number) {
    const registry = this.registry;
    this.requests = new FastCounter('cliproxy_requests_total', 'Inference requests by client format, provider and status', ['format', 'provider', 'status'], registry);
    this.errors = new FastCounter('cliproxy_errors_total', 'Failed inference requests by class', ['class'], registry);
    this.duration = new FastHistogram('cliproxy_request_duration_seconds', 'Whole request latency, first byte in to last byte out', ['format'], LATENCY_BUCKETS, registry);
    this.upstreamDuration = new FastHistogram('cliproxy_upstream_duration_seconds', 'Latency of each upstream attempt', ['provider'], LATENCY_BUCKETS, registry);
    this.tokens = new FastCounter('cliproxy_tokens_total', 'Tokens by provider, model and kind', ['provider', 'model', 'kind'], registry);
    this.inFlight = new FastGauge('cliproxy_requests_in_flight', 'Inference requests being served', [], registry);
    new CollectedGauge('cliproxy_cooldowns_active', 'Credential × model pairs cooling down', [], registry, async () =>
      new Map([['', (await state().listCooldowns(now())).length]]));
    new CollectedGauge('cliproxy_state_healthy', '1 when the state driver serves from its intended backend, 0 while it falls back', ['driver'], registry, () => {
      const health = state().health();
      return new Map([[health.driver, health.ok ? 1 : 0]]);
    });
  }

  requestStarted(): void {
    if (this.enabled) this.inFlight.value++;
  }

  requestEnded(format: string, record: Pick<UsageRecord, 'provider' | 'model' | 'status' | 'latencyMs' | 'inputTokens' | 'outputTokens' | 'cachedTokens' | 'reasoningTokens'>): void {
    if (!this.enabled) return;
    this.inFlight.value--;
    this.requestCell(format, record.provider, record.status).value++;
    const failure = errorClass(record.status);
    if (failure !== undefined) this.errors.add(failure);
    this.duration.observe(format, record.latencyMs / 1000);
    if (record.inputTokens > 0) this.tokenCell(record.provider, record.model, 0).value += record.inputTokens;
    if (record.outputTokens > 0) this.tokenCell(record.provider, record.model, 1).value += record.outputTokens;
    if (record.cachedTokens > 0) this.tokenCell(record.provider, record.model, 2).value += record.cachedTokens;
    if (record.reasoningTokens > 0) this.tokenCell(record.provider, record.model, 3).value += record.reasoningTokens;
  }

  /** The requests series of (format, provider, status), looked up by the values themselves. */
  private requestCell(format: string, provider: string, status: number): CounterCell {
    const byStatus = child(child(this.requestCells, format), provider);
    let cell = byStatus.get(status);
    if (cell === undefined) {
      cell = this.requests.cellOf(`${format}\u0000${provider}\u0000${status}`);
      byStatus.set(status, cell);
    }
    return cell;
  }

  /** The tokens series of (provider, model, TOKEN_KINDS[kind]). */
  private tokenCell(provider: string, model: string, kind: number): CounterCell {
    const byModel = child(this.tokenCells, provider);
    let cells = byModel.get(model);
    if (cells === undefined) {
      cells = [undefined, undefined, undefined, undefined];
      byModel.set(model, cells);
    }
    let cell = cells[kind];
    if (cell === undefined) {
      cell = this.tokens.cellOf(`${provider}\u0000${model}\u0000${TOKEN_KINDS[kind] as string}`);
      cells[kind] = cell;
    }
    return cell;
  }

  upstreamAttempt(provider: string, latencyMs: number): void {
    if (!this.enabled) return;
    this.upstreamDuration.observe(provider, latencyMs / 1000);
  }
}
