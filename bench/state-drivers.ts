/**
 * Fast-path throughput with the `local` and the `redis` state driver, side by side (issue 6,
 * "Benchmark"). Each driver gets its own `cliproxy serve` process in front of one instant
 * fake upstream (bench/fake-upstream.ts), and autocannon loads them in turn, interleaved
 * over rounds, for a bounded time, on loopback only. Every request goes through the state
 * layer several times (round-robin cursor, cooldown look-up, usage record), so the gap
 * between the two rows is what sharing state through Redis costs.
 *
 * Redis: `options.redisUrl`, else CLIPROXY_BENCH_REDIS_URL, else a private redis-server on
 * a random loopback port (started and stopped here). Keys go under a random prefix and are
 * deleted afterwards.
 *
 * @example
 *   const result = await measureStateDrivers({ durationSeconds: 3 });
 *   // { rows: [{ driver: 'local', requestsPerSecond: 9120, … }, { driver: 'redis', requestsPerSecond: 6480, … }], … }
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { deleteKeys, randomPrefix, RedisServer, redisAnswers } from '../src/state/redis.test-helper.ts';
import { benchModel, chatRequestBody } from './chat-payloads.ts';
import { spawnNode, waitForHttp, waitForReadyLine } from './child-process.ts';
import type { Child } from './child-process.ts';
import { runLoad } from './load.ts';
import type { LoadResult } from './load.ts';
import { freePort } from './targets.ts';

export type StateDriverName = 'local' | 'redis';

export interface StateDriverRow {
  driver: StateDriverName;
  /** Completed 2xx responses per second: the median over rounds. */
  requestsPerSecond: number;
  /** Latency percentiles in ms, from the round with the median throughput. */
  p50Ms: number;
  p99Ms: number;
  /** Summed over every measured round. */
  requests: number;
  non2xx: number;
  errors: number;
}

export interface StateDriversResult {
  rows: StateDriverRow[];
  /** redis ÷ local throughput. */
  redisToLocal: number;
  connections: number;
  durationSeconds: number;
  rounds: number;
  /** Where the Redis was: `private redis-server` or the URL given. */
  redis: string;
}

export interface StateDriversOptions {
  /** Measured seconds per driver and round (default 5). */
  durationSeconds?: number;
  /** Seconds of load before each measured window (default 1). */
  warmupSeconds?: number;
  /** Rounds; the drivers alternate inside each (default 3). */
  rounds?: number;
  /** Concurrent connections (default 10). */
  connections?: number;
  redisUrl?: string;
  /** Where the children's logs go (default bench/results/logs). */
  logDir?: string;
  signal?: AbortSignal;
}

const repoRoot = resolve(import.meta.dirname, '..');
const CLIENT_KEY = 'sk-bench-client';

interface RunningDriver {
  driver: StateDriverName;
  child: Child;
  origin: string;
  directory: string;
}

function isolatedEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.endsWith('_API_KEY') || key.startsWith('CLIPROXY_') || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return { ...env, CLIPROXY_LOG_LEVEL: 'silent', NODE_ENV: 'production' };
}

async function startDriver(driver: StateDriverName, upstreamOrigin: string, redis: { url: string; keyPrefix: string }, logDir: string): Promise<RunningDriver> {
  const port = await freePort();
  const directory = mkdtempSync(join(tmpdir(), `cliproxy-bench-state-${driver}-`));
  const configPath = join(directory, 'cliproxy.yaml');
  const config = {
    host: '127.0.0.1',
    port,
    log_level: 'silent',
    data_dir: join(directory, 'data'),
    api_keys: [CLIENT_KEY],
    state: driver === 'redis' ? { driver: 'redis', redis_url: redis.url, key_prefix: redis.keyPrefix } : { driver: 'local' },
    providers: { openai: { endpoint: `${upstreamOrigin}/v1`, api_keys: ['sk-bench'], models: [{ name: benchModel }] } },
  };
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
  const child = spawnNode(`cliproxy-${driver}`, {
    args: ['dist/cli.js', 'serve', '--config', configPath],
    cwd: repoRoot,
    logPath: join(logDir, `cliproxy-state-${driver}.log`),
    env: isolatedEnv(),
  });
  const origin = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(child, [`${origin}/health`]);
    return { driver, child, origin, directory };
  } catch (error) {
    await child.stop();
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
}

/** One request, checked, before any load: a driver that cannot serve is an error, not a figure. */
async function probe(running: RunningDriver): Promise<void> {
  const response = await fetch(`${running.origin}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
    body: chatRequestBody(false),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await response.text();
  if (response.status !== 200 || !body.includes('"chat.completion"')) throw new Error(`${running.driver}: the probe answered ${response.status}: ${body.slice(0, 300)}`);
  const ready = await (await fetch(`${running.origin}/ready`, { signal: AbortSignal.timeout(5_000) })).json() as { state?: { driver?: string; ok?: boolean; detail?: string } };
  if (ready.state?.driver !== running.driver || ready.state.ok !== true) throw new Error(`${running.driver}: the state driver is not healthy: ${JSON.stringify(ready.state)}`);
}

function load(running: RunningDriver, connections: number, durationSeconds: number, signal: AbortSignal): Promise<LoadResult> {
  return runLoad({
    url: `${running.origin}/v1/chat/completions`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
    body: chatRequestBody(false),
    connections,
    durationSeconds,
    signal,
  });
}

function medianRound(results: LoadResult[]): LoadResult {
  const sorted = [...results].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)] as LoadResult;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Requests per second through the gateway with each state driver; see the module comment. */
export async function measureStateDrivers(options: StateDriversOptions = {}): Promise<StateDriversResult> {
  const durationSeconds = options.durationSeconds ?? 5;
  const warmupSeconds = options.warmupSeconds ?? 1;
  const rounds = Math.max(1, Math.floor(options.rounds ?? 3));
  const connections = options.connections ?? 10;
  const signal = options.signal ?? new AbortController().signal;
  const logDir = options.logDir ?? join(repoRoot, 'bench/results/logs');
  mkdirSync(logDir, { recursive: true });

  const stops: Array<() => Promise<unknown>> = [];
  try {
    let redisUrl = options.redisUrl ?? process.env.CLIPROXY_BENCH_REDIS_URL;
    let redisLabel = redisUrl ?? 'private redis-server';
    if (redisUrl === undefined || redisUrl === '') {
      const server = await RedisServer.start();
      stops.push(() => server.dispose());
      redisUrl = server.url;
      redisLabel = 'private redis-server';
    } else if (!(await redisAnswers(redisUrl, 1_000))) {
      throw new Error(`no Redis answers at ${redisUrl}`);
    }
    const keyPrefix = `${randomPrefix()}bench:`;
    const url = redisUrl;
    stops.push(() => deleteKeys(url, keyPrefix));

    const upstream = spawnNode('fake-upstream-state', {
      args: [join(repoRoot, 'bench/fake-upstream.ts'), '--port', '0', '--chunks', '2', '--chunk-interval-ms', '0'],
      logPath: join(logDir, 'fake-upstream-state.log'),
      readyLine: true,
    });
    stops.push(() => upstream.stop());
    const upstreamOrigin = `http://127.0.0.1:${await waitForReadyLine(upstream)}`;

    const drivers: RunningDriver[] = [];
    for (const driver of ['local', 'redis'] as const) {
      const running = await startDriver(driver, upstreamOrigin, { url, keyPrefix }, logDir);
      stops.push(async () => {
        await running.child.stop();
        rmSync(running.directory, { recursive: true, force: true });
      });
      drivers.push(running);
    }
    for (const running of drivers) await probe(running);
    // Let the freshly started processes settle (JIT, first GC) before loading them.
    await sleep(300);

    const results = new Map<StateDriverName, LoadResult[]>(drivers.map((running) => [running.driver, []]));
    for (let index = 0; index < rounds; index++) {
      // Alternate which driver goes first, so neither always runs on a warmer machine.
      const order = index % 2 === 0 ? drivers : [...drivers].reverse();
      for (const running of order) {
        if (warmupSeconds > 0) await load(running, connections, warmupSeconds, signal);
        const death = running.child.death();
        if (death !== undefined) throw new Error(death);
        results.get(running.driver)?.push(await load(running, connections, durationSeconds, signal));
      }
    }

    const rows: StateDriverRow[] = drivers.map((running) => {
      const measured = results.get(running.driver) ?? [];
      const median = medianRound(measured);
      return {
        driver: running.driver,
        requestsPerSecond: round(median.requestsPerSecond, 0),
        p50Ms: round(median.latencyMs.p50, 3),
        p99Ms: round(median.latencyMs.p99, 3),
        requests: measured.reduce((sum, result) => sum + result.requests, 0),
        non2xx: measured.reduce((sum, result) => sum + result.non2xx, 0),
        errors: measured.reduce((sum, result) => sum + result.errors, 0),
      };
    });
    const local = rows.find((row) => row.driver === 'local')?.requestsPerSecond ?? 0;
    const redis = rows.find((row) => row.driver === 'redis')?.requestsPerSecond ?? 0;
    return { rows, redisToLocal: local > 0 ? round(redis / local, 3) : 0, connections, durationSeconds, rounds, redis: redisLabel };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}
