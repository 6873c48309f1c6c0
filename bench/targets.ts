/**
 * What the benchmark measures against: one entry per target, each started in its own
 * process in front of the fake upstream. A target that fails to start, or answers wrongly,
 * shows its error in the table and the run goes on. To add one (Portkey's gateway, say),
 * append an entry whose `start` launches it on loopback pointed at `context.upstreamOrigin`
 * and returns where to send requests and which headers they need.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { benchModel } from './chat-payloads.ts';
import { spawnNode, waitForHttp, waitForReadyLine } from './child-process.ts';
import type { Environment, Scenario } from './scenarios.ts';

export interface TargetContext {
  /** `http://127.0.0.1:PORT` of the fake upstream for this environment. */
  upstreamOrigin: string;
  /** The fake upstream's process. */
  upstreamPid: number;
  environment: Environment;
  repoRoot: string;
  /** Where the target's process writes its stdout and stderr. */
  logPath: string;
  /** Extra Node flags for the target's process (`--cpu-prof ...` under BENCH_PROFILE). */
  nodeFlags: string[];
  /** taskset CPU list the target's process must run on, when the run is pinned. */
  cpus: string | undefined;
}

export interface RunningTarget {
  /** `http://127.0.0.1:PORT` to send requests to. */
  origin: string;
  path: string;
  headers: Record<string, string>;
  /** A cheap GET the target answers at once, timed to estimate its event-loop delay under load. */
  healthPath: string;
  /** The process whose CPU and memory are reported; undefined for targets not measured. */
  pid: number | undefined;
  /** Whether `pid` was started for this target (so its startup time means something). */
  ownProcess: boolean;
  /** Remembers where the target's log ends now, so `logHint` reads only what comes after. */
  markLog?(): void;
  /** The last error line of the target's log since `markLog`, to explain a failed answer (a generic HTTP 500, say). */
  logHint?(): string | undefined;
  /** If the target's process has died: how, for the error in the table. */
  death(): string | undefined;
  stop(): Promise<void>;
}

export interface Target {
  /** Stable id, used in results JSON and `BENCH_TARGETS`. */
  id: string;
  label: string;
  start(context: TargetContext): Promise<RunningTarget>;
  /** A reason this target cannot run `scenario` (shown in the table), or undefined. */
  skip?(scenario: Scenario): string | undefined;
}

const jsonHeaders = { 'content-type': 'application/json', authorization: 'Bearer sk-client' };

/** A free loopback port, for targets that must be told their port up front. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The environment a target process gets: the runner's, minus anything that would change
 *  cliproxy's configuration behind the benchmark's back (provider keys, CLIPROXY_*). */
function isolatedEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.endsWith('_API_KEY') || key.startsWith('CLIPROXY_') || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** The fake upstream and the relay pass bytes through: neither can serve a translated scenario. */
function noTranslation(what: string): (scenario: Scenario) => string | undefined {
  return (scenario) => (scenario.kind === 'load' && scenario.translated === true ? `${what} does not translate between formats` : undefined);
}

/** The log's size now, in bytes (0 when unreadable). */
function logSize(logPath: string): number {
  try {
    return statSync(logPath).size;
  } catch {
    return 0;
  }
}

/** The last line of a log, from byte `since` on, that mentions an error, trimmed, or undefined. */
export function lastErrorLine(logPath: string, since = 0): string | undefined {
  try {
    const lines = readFileSync(logPath).subarray(since).toString('utf8').split('\n').map((line) => line.trim());
    return lines.findLast((line) => /error/i.test(line))?.slice(0, 300);
  } catch {
    return undefined;
  }
}

const direct: Target = {
  id: 'direct',
  label: 'direct (fake upstream)',
  skip: noTranslation('the fake upstream'),
  async start(context) {
    return {
      origin: context.upstreamOrigin,
      healthPath: '/health',
      path: '/v1/chat/completions',
      headers: jsonHeaders,
      // The direct call's process is the fake upstream: its CPU per request shows how much of
      // the servers' core the upstream itself takes in every other target's figures.
      pid: context.upstreamPid,
      ownProcess: false,
      death: () => undefined,
      stop: async () => {},
    };
  },
};

const relay: Target = {
  id: 'relay',
  label: 'node:http + undici relay',
  skip: noTranslation('the relay'),
  async start(context) {
    const child = spawnNode('relay', {
      args: [...context.nodeFlags, join(context.repoRoot, 'bench/relay.ts'), '--port', '0', '--upstream', context.upstreamOrigin],
      logPath: context.logPath,
      env: isolatedEnv({}),
      readyLine: true,
      cpus: context.cpus,
    });
    try {
      const port = await waitForReadyLine(child);
      const origin = `http://127.0.0.1:${port}`;
      // Any GET is a JSON parse error answered at once: a round trip through the event loop.
      return { origin, healthPath: '/health', path: '/v1/chat/completions', headers: jsonHeaders, pid: child.pid, ownProcess: true, death: () => child.death(), stop: () => child.stop() };
    } catch (error) {
      await child.stop();
      throw error;
    }
  },
};

const cliproxy: Target = {
  id: 'cliproxy',
  label: 'cliproxy',
  async start(context) {
    const port = await freePort();
    const directory = mkdtempSync(join(tmpdir(), 'cliproxy-bench-'));
    const configPath = join(directory, 'cliproxy.yaml');
    const config = {
      host: '127.0.0.1',
      port,
      data_dir: join(directory, 'data'),
      // The translated path's Claude upstream is provider `claude` (endpoint without /v1: it
      // appends /v1/messages); otherwise the fast path's OpenAI-compatible provider.
      providers:
        context.environment.upstream.format === 'anthropic'
          ? { claude: { endpoint: context.upstreamOrigin, api_keys: ['sk-bench'], models: [{ name: benchModel }] } }
          : { openai: { endpoint: `${context.upstreamOrigin}/v1`, api_keys: ['sk-bench'], models: [{ name: benchModel }] } },
    };
    writeFileSync(configPath, stringify(config));
    const child = spawnNode('cliproxy', {
      args: [...context.nodeFlags, 'dist/cli.js', 'serve', '--config', configPath],
      cwd: context.repoRoot,
      logPath: context.logPath,
      env: isolatedEnv({ CLIPROXY_LOG_LEVEL: 'silent', NODE_ENV: 'production' }),
      cpus: context.cpus,
    });
    const origin = `http://127.0.0.1:${port}`;
    const stop = async (): Promise<void> => {
      await child.stop();
      rmSync(directory, { recursive: true, force: true });
    };
    try {
      // /health is the readiness route; /v1/models stands in where a build lacks it.
      await waitForHttp(child, [`${origin}/health`, `${origin}/v1/models`]);
      return { origin, healthPath: '/health', path: '/v1/chat/completions', headers: jsonHeaders, pid: child.pid, ownProcess: true, death: () => child.death(), stop };
    } catch (error) {
      await stop();
      throw error;
    }
  },
};

/**
 * Portkey's open-source gateway (`@portkey-ai/gateway`, a devDependency), started headless on
 * loopback. It has no configured upstream: each request names its provider and, through
 * `x-portkey-custom-host`, the fake upstream (loopback custom hosts are trusted by default).
 * On the Claude upstream it is told the provider is `anthropic` and translates, like cliproxy.
 * It runs on the runner's Node (the pinned Node 24), like every target. Its streaming fails
 * on Node (see bench/README.md): those cells show its error.
 */
const portkey: Target = {
  id: 'portkey',
  label: 'Portkey gateway',
  async start(context) {
    const port = await freePort();
    const child = spawnNode('portkey', {
      args: [...context.nodeFlags, join(context.repoRoot, 'node_modules/@portkey-ai/gateway/build/start-server.js'), `--port=${port}`, '--headless'],
      cwd: context.repoRoot,
      logPath: context.logPath,
      env: isolatedEnv({ NODE_ENV: 'production' }),
      cpus: context.cpus,
    });
    const origin = `http://127.0.0.1:${port}`;
    let logMark = 0;
    const anthropic = context.environment.upstream.format === 'anthropic';
    const headers = {
      ...jsonHeaders,
      authorization: 'Bearer sk-bench',
      'x-portkey-provider': anthropic ? 'anthropic' : 'openai',
      'x-portkey-custom-host': `${context.upstreamOrigin}/v1`,
    };
    try {
      await waitForHttp(child, [`${origin}/`]);
      return {
        origin,
        healthPath: '/',
        path: '/v1/chat/completions',
        headers,
        pid: child.pid,
        ownProcess: true,
        markLog: () => {
          logMark = logSize(context.logPath);
        },
        logHint: () => lastErrorLine(context.logPath, logMark),
        death: () => child.death(),
        stop: () => child.stop(),
      };
    } catch (error) {
      await child.stop();
      throw error;
    }
  },
};

export const targets: Target[] = [direct, relay, cliproxy, portkey];
