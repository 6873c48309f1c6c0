/**
 * Prometheus metrics (`GET /metrics`, prom-client): requests, errors by class, latency
 * histograms for whole requests and for upstream attempts, tokens, requests in flight,
 * active cooldowns, and the state driver's health. One registry per gateway, so several
 * gateways in one process (tests) do not collide.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StateStore } from '../state/types.ts';
import type { UsageRecord } from '../state/types.ts';

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

export class GatewayMetrics {
  readonly registry = new Registry();
  /** `metrics.enabled: false` turns counting off (and `/metrics` answers 404). */
  enabled = true;
  // Label children cached by their values: prom-client hashes the label object on every call.
  private readonly requestChildren = new Map<string, { inc(): void }>();
  private readonly requests: Counter<'format' | 'provider' | 'status'>;
  private readonly errors: Counter<'class'>;
  private readonly duration: Histogram<'format'>;
  private readonly upstreamDuration: Histogram<'provider'>;
  private readonly tokens: Counter<'provider' | 'model' | 'kind'>;
  private readonly inFlight: Gauge;

  constructor(state: () => StateStore, now: () => number) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'cliproxy_requests_total', help: 'Inference requests by client format, provider and status', labelNames: ['format', 'provider', 'status'], registers });
    this.errors = new Counter({ name: 'cliproxy_errors_total', help: 'Failed inference requests by class', labelNames: ['class'], registers });
    this.duration = new Histogram({ name: 'cliproxy_request_duration_seconds', help: 'Whole request latency, first byte in to last byte out', labelNames: ['format'], buckets: LATENCY_BUCKETS, registers });
    this.upstreamDuration = new Histogram({ name: 'cliproxy_upstream_duration_seconds', help: 'Latency of each upstream attempt', labelNames: ['provider'], buckets: LATENCY_BUCKETS, registers });
    this.tokens = new Counter({ name: 'cliproxy_tokens_total', help: 'Tokens by provider, model and kind', labelNames: ['provider', 'model', 'kind'], registers });
    this.inFlight = new Gauge({ name: 'cliproxy_requests_in_flight', help: 'Inference requests being served', registers });
    new Gauge({
      name: 'cliproxy_cooldowns_active',
      help: 'Credential × model pairs cooling down',
      registers,
      async collect() {
        this.set((await state().listCooldowns(now())).length);
      },
    });
    new Gauge({
      name: 'cliproxy_state_healthy',
      help: '1 when the state driver serves from its intended backend, 0 while it falls back',
      labelNames: ['driver'],
      registers,
      collect() {
        const health = state().health();
        this.reset();
        this.set({ driver: health.driver }, health.ok ? 1 : 0);
      },
    });
  }

  requestStarted(): void {
    if (this.enabled) this.inFlight.inc();
  }

  requestEnded(format: string, record: Pick<UsageRecord, 'provider' | 'model' | 'status' | 'latencyMs' | 'inputTokens' | 'outputTokens' | 'cachedTokens' | 'reasoningTokens'>): void {
    if (!this.enabled) return;
    this.inFlight.dec();
    const key = `${format}\u0000${record.provider}\u0000${record.status}`;
    let child = this.requestChildren.get(key);
    if (child === undefined) {
      child = this.requests.labels(format, record.provider, String(record.status));
      this.requestChildren.set(key, child);
    }
    child.inc();
    const failure = errorClass(record.status);
    if (failure !== undefined) this.errors.inc({ class: failure });
    this.duration.observe({ format }, record.latencyMs / 1000);
    const labels = { provider: record.provider, model: record.model };
    if (record.inputTokens > 0) this.tokens.inc({ ...labels, kind: 'input' }, record.inputTokens);
    if (record.outputTokens > 0) this.tokens.inc({ ...labels, kind: 'output' }, record.outputTokens);
    if (record.cachedTokens > 0) this.tokens.inc({ ...labels, kind: 'cached' }, record.cachedTokens);
    if (record.reasoningTokens > 0) this.tokens.inc({ ...labels, kind: 'reasoning' }, record.reasoningTokens);
  }

  upstreamAttempt(provider: string, latencyMs: number): void {
    if (!this.enabled) return;
    this.upstreamDuration.observe({ provider }, latencyMs / 1000);
  }
}
