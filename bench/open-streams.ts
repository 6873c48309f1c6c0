/**
 * 1,000 concurrent open streams (issue 7): the load generator opens `streams` streaming
 * requests through the target (ramped, `rampPer100Ms` every 100 ms) in front of a paced fake
 * upstream that holds each open for seconds (100 chunks, one every 100 ms by default), and
 * reads every chunk. Throughout, it reads the target's RSS from /proc and times a
 * `GET <healthPath>` round trip every 50 ms on a connection of its own.
 *
 * Event-loop delay: the gateway has no endpoint that reports it, and nothing is added to
 * src/, so it is measured from outside: the health round trip under load minus the same round
 * trip with the target idle (taken just before). A request that waits behind a busy event loop
 * waits in the kernel's socket queue, so the extra time is how late the loop answered; it is
 * an upper bound on the loop's delay (the load generator's own loop and the shared core add to
 * it, the same for every target).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Pool } from 'undici';
import { summarizeLatencies } from './load.ts';
import type { LatencySummary } from './load.ts';
import { readCpuSeconds, readMemory, resetPeakRss } from './process-stats.ts';
import type { OpenStreamsScenario } from './scenarios.ts';
import type { RunningTarget } from './targets.ts';

export interface OpenStreamsMeasurement {
  /** Streams that were asked for, that ended with every chunk, and that failed. */
  streams: number;
  completed: number;
  failed: number;
  /** The first failure's message, when any. */
  firstError: string | undefined;
  /** Most streams open at the same time (headers received, end not yet). */
  peakOpen: number;
  /** SSE events received over all streams. */
  events: number;
  /** From the first request to the last stream's end, in ms. */
  wallMs: number;
  /** RSS before the first stream, and the peak (VmHWM) over the run, in bytes. */
  rssBeforeBytes: number | undefined;
  peakRssBytes: number | undefined;
  /** Target CPU over the run, in seconds. */
  cpuSeconds: number | undefined;
  /** Health round trip with the target idle, and under load, in ms. */
  idleHealthMs: LatencySummary;
  loadedHealthMs: LatencySummary;
  /** Event-loop delay estimate: loaded minus idle health round trip, in ms. */
  loopDelayMs: { p50: number; p99: number; max: number };
}

export type OpenStreamsOutcome = { ok: true; measurement: OpenStreamsMeasurement } | { ok: false; error: string };

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/** Times `GET path` on its own keep-alive connection every `everyMs` until `stop` is aborted. */
async function timeHealth(client: Client, path: string, everyMs: number, stop: AbortSignal, samples: number[]): Promise<void> {
  while (!stop.aborted) {
    const started = performance.now();
    try {
      const response = await client.request({ path, method: 'GET', headersTimeout: 30_000, bodyTimeout: 30_000 });
      await response.body.dump();
      samples.push(performance.now() - started);
    } catch {
      // A failed health call is not a latency; the stream failures tell the story.
    }
    await sleep(everyMs);
  }
}

export async function measureOpenStreams(scenario: OpenStreamsScenario, target: RunningTarget, signal: AbortSignal, timeoutMs = 60_000): Promise<OpenStreamsOutcome> {
  const pid = target.pid;
  const health = new Client(target.origin, { keepAliveTimeout: 60_000 });
  const pool = new Pool(target.origin, { connections: scenario.streams, pipelining: 1, keepAliveTimeout: 60_000 });
  try {
    // Idle baseline: 20 health round trips, after a few to warm the connection.
    const idle: number[] = [];
    const idleStop = AbortSignal.timeout(1_200);
    await timeHealth(health, target.healthPath, 50, idleStop, idle);
    if (idle.length < 5) return { ok: false, error: `GET ${target.healthPath} did not answer` };
    idle.splice(0, 3);

    if (pid !== undefined) resetPeakRss(pid);
    const rssBeforeBytes = pid === undefined ? undefined : readMemory(pid).rssBytes;
    const cpuBefore = pid === undefined ? undefined : readCpuSeconds(pid);
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
    const stopHealth = new AbortController();
    const loaded: number[] = [];
    const healthDone = timeHealth(health, target.healthPath, 50, stopHealth.signal, loaded);

    let open = 0;
    let peakOpen = 0;
    let events = 0;
    let completed = 0;
    let failed = 0;
    let firstError: string | undefined;
    const started = performance.now();
    const one = async (): Promise<void> => {
      try {
        const response = await pool.request({
          path: target.path,
          method: 'POST',
          headers: target.headers,
          body: scenario.request.body,
          signal: deadline,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        if (response.statusCode !== 200) {
          const text = await response.body.text();
          throw new Error(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
        }
        open++;
        peakOpen = Math.max(peakOpen, open);
        let own = 0;
        let previous = 0;
        let tail = '';
        try {
          for await (const part of response.body) {
            const buffer = part as Buffer;
            // Count event ends (a blank line), also across a split between two reads.
            for (let index = 0; index < buffer.length; index++) {
              const byte = buffer[index];
              if (byte === 10 && previous === 10) own++;
              previous = byte;
            }
            tail = (tail + buffer.toString('latin1')).slice(-32);
          }
        } finally {
          open--;
        }
        events += own;
        if (!tail.includes('[DONE]')) throw new Error(`stream ended after ${own} events without [DONE]`);
        if (own < scenario.chunks + 1) throw new Error(`${own} events, expected ${scenario.chunks + 1}`);
        completed++;
      } catch (error) {
        failed++;
        firstError ??= describe(error);
      }
    };
    const all: Promise<void>[] = [];
    for (let index = 0; index < scenario.streams && !deadline.aborted; index++) {
      all.push(one());
      if ((index + 1) % scenario.rampPer100Ms === 0) await sleep(100);
    }
    await Promise.all(all);
    const wallMs = performance.now() - started;
    stopHealth.abort();
    await healthDone;
    if (signal.aborted) throw signal.reason;
    const peakRssBytes = pid === undefined ? undefined : readMemory(pid).peakRssBytes;
    const cpuSeconds = pid === undefined || cpuBefore === undefined ? undefined : readCpuSeconds(pid) - cpuBefore;
    if (completed === 0) return { ok: false, error: `no stream completed (${failed} failed: ${firstError ?? 'unknown'})` };
    const idleHealthMs = summarizeLatencies(Float64Array.from(idle));
    const loadedHealthMs = summarizeLatencies(Float64Array.from(loaded));
    return {
      ok: true,
      measurement: {
        streams: scenario.streams,
        completed,
        failed,
        firstError,
        peakOpen,
        events,
        wallMs,
        rssBeforeBytes,
        peakRssBytes,
        cpuSeconds,
        idleHealthMs,
        loadedHealthMs,
        loopDelayMs: {
          p50: Math.max(0, loadedHealthMs.p50 - idleHealthMs.p50),
          p99: Math.max(0, loadedHealthMs.p99 - idleHealthMs.p50),
          max: Math.max(0, loadedHealthMs.max - idleHealthMs.p50),
        },
      },
    };
  } catch (error) {
    if (signal.aborted) throw error;
    return { ok: false, error: describe(error) };
  } finally {
    await pool.destroy().catch(() => undefined);
    await health.destroy().catch(() => undefined);
  }
}
