/**
 * Live figures per provider for `/v1/providers/{name}/status`: requests, success rate,
 * latency percentiles over a sliding sample, requests in flight, the last error (already
 * secret-free: messages come from GatewayErrors, which never carry credentials), tokens.
 */

const SAMPLE_SIZE = 512;

export interface ProviderFigures {
  requests: number;
  successes: number;
  failures: number;
  success_rate: number | null;
  in_flight: number;
  latency_ms: { p50: number | null; p95: number | null };
  tokens: { input: number; output: number };
  last_error: { at: string; status: number; code: string; message: string } | null;
  last_success_at: string | null;
}

class ProviderStats {
  requests = 0;
  successes = 0;
  failures = 0;
  inFlight = 0;
  inputTokens = 0;
  outputTokens = 0;
  lastError: ProviderFigures['last_error'] = null;
  lastSuccessAt: number | null = null;
  private readonly latencies = new Float64Array(SAMPLE_SIZE);
  private count = 0;

  addLatency(ms: number): void {
    this.latencies[this.count % SAMPLE_SIZE] = ms;
    this.count++;
  }

  percentile(p: number): number | null {
    const n = Math.min(this.count, SAMPLE_SIZE);
    if (n === 0) return null;
    const sorted = Array.from(this.latencies.subarray(0, n)).sort((a, b) => a - b);
    return Math.round((sorted[Math.min(n - 1, Math.floor((p / 100) * n))] as number) * 100) / 100;
  }
}

/** Smoothing of the latency moving average: each new sample weighs 20 %. */
const EWMA_ALPHA = 0.2;

interface TargetFigures {
  inFlight: number;
  latency: number | undefined;
}

export class StatsBook {
  private readonly byProvider = new Map<string, ProviderStats>();
  private readonly byTarget = new Map<string, TargetFigures>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  private get(provider: string): ProviderStats {
    let stats = this.byProvider.get(provider);
    if (stats === undefined) {
      stats = new ProviderStats();
      this.byProvider.set(provider, stats);
    }
    return stats;
  }

  start(provider: string): void {
    const stats = this.get(provider);
    stats.requests++;
    stats.inFlight++;
  }

  succeed(provider: string, latencyMs: number): void {
    const stats = this.get(provider);
    stats.inFlight--;
    stats.successes++;
    stats.lastSuccessAt = this.now();
    stats.addLatency(latencyMs);
  }

  fail(provider: string, status: number, code: string, message: string): void {
    const stats = this.get(provider);
    stats.inFlight--;
    stats.failures++;
    stats.lastError = { at: new Date(this.now()).toISOString(), status, code, message };
  }

  /** The attempt ended because the client went away: counted as sent, judged neither way. */
  cancel(provider: string): void {
    this.get(provider).inFlight--;
  }

  addTokens(provider: string, input: number, output: number): void {
    const stats = this.get(provider);
    stats.inputTokens += input;
    stats.outputTokens += output;
  }

  private target(key: string): TargetFigures {
    let figures = this.byTarget.get(key);
    if (figures === undefined) {
      figures = { inFlight: 0, latency: undefined };
      this.byTarget.set(key, figures);
    }
    return figures;
  }

  /** A request to one provider × credential began. */
  targetStart(key: string): void {
    this.target(key).inFlight++;
  }

  /** …and ended; `latencyMs` feeds the moving average when the attempt succeeded. */
  targetEnd(key: string, latencyMs: number | undefined): void {
    const figures = this.target(key);
    figures.inFlight = Math.max(0, figures.inFlight - 1);
    if (latencyMs !== undefined) figures.latency = figures.latency === undefined ? latencyMs : figures.latency + EWMA_ALPHA * (latencyMs - figures.latency);
  }

  targetInFlight(key: string): number {
    return this.byTarget.get(key)?.inFlight ?? 0;
  }

  /** Moving average of latency in ms, undefined before the first success. */
  targetLatency(key: string): number | undefined {
    return this.byTarget.get(key)?.latency;
  }

  figures(provider: string): ProviderFigures {
    const stats = this.get(provider);
    const done = stats.successes + stats.failures;
    return {
      requests: stats.requests,
      successes: stats.successes,
      failures: stats.failures,
      success_rate: done === 0 ? null : Math.round((stats.successes / done) * 10_000) / 10_000,
      in_flight: stats.inFlight,
      latency_ms: { p50: stats.percentile(50), p95: stats.percentile(95) },
      tokens: { input: stats.inputTokens, output: stats.outputTokens },
      last_error: stats.lastError,
      last_success_at: stats.lastSuccessAt === null ? null : new Date(stats.lastSuccessAt).toISOString(),
    };
  }
}
