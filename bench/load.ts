/**
 * Load generation: autocannon, driven in-process, bounded in time. autocannon's own latency
 * histogram keeps whole milliseconds, too coarse for a 0.15 ms target, so every 2xx
 * response's time (float ms, from process.hrtime) is kept here and the percentiles are
 * computed exactly from them.
 */
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  connections: number;
  durationSeconds: number;
  signal: AbortSignal;
}

export interface LatencySummary {
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p99_9: number;
  max: number;
}

export interface LoadResult {
  /** Completed 2xx responses per second over the measured window. */
  requestsPerSecond: number;
  /** Completed 2xx responses. */
  requests: number;
  durationSeconds: number;
  /** Latency of 2xx responses in ms, from writing the request to the end of the response. */
  latencyMs: LatencySummary;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Response bytes per second. */
  bytesPerSecond: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(fraction * sorted.length)));
  return sorted[rank - 1];
}

export function summarizeLatencies(latencies: Float64Array): LatencySummary {
  const sorted = latencies.slice().sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    p99_9: percentile(sorted, 0.999),
    max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1],
  };
}

/** A Float64Array that grows, so a long run does not keep 10^6 boxed numbers. */
class Samples {
  private values = new Float64Array(1 << 16);
  length = 0;
  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }
  view(): Float64Array {
    return this.values.subarray(0, this.length);
  }
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    if (options.signal.aborted) {
      reject(options.signal.reason);
      return;
    }
    const samples = new Samples();
    let bytes = 0;
    const started = performance.now();
    const instance = autocannon(
      {
        url: options.url,
        method: options.method,
        headers: options.headers,
        body: options.body,
        connections: options.connections,
        pipelining: 1,
        duration: options.durationSeconds,
        timeout: 10,
        skipAggregateResult: false,
      },
      (error: unknown, result: autocannon.Result) => {
        const durationSeconds = (performance.now() - started) / 1000;
        options.signal.removeEventListener('abort', onAbort);
        if (options.signal.aborted) {
          reject(options.signal.reason);
          return;
        }
        if (error !== null && error !== undefined) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        const statusCodes: Record<string, number> = {};
        for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stats.count ?? 0;
        resolve({
          requestsPerSecond: samples.length / durationSeconds,
          requests: samples.length,
          durationSeconds,
          latencyMs: summarizeLatencies(samples.view()),
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCodes,
          bytesPerSecond: bytes / durationSeconds,
        });
      },
    );
    instance.on('response', (_client, statusCode, responseBytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) {
        samples.push(responseTime);
        bytes += responseBytes;
      }
    });
    const onAbort = (): void => instance.stop();
    options.signal.addEventListener('abort', onAbort, { once: true });
  });
}
