/**
 * Starting and stopping the gateway: load and validate the config, build the providers,
 * listen, and watch the config file. A reload builds a complete new runtime and swaps it
 * in only when every part of it is valid; otherwise the running config stays.
 */
import type { AddressInfo } from 'node:net';
import { buildConfig, ConfigError, readConfigFile, type GatewayConfig } from '../config/load.ts';
import type { Env } from '../config/expand-env.ts';
import { watchConfigFile, type ConfigWatcher } from '../config/watch.ts';
import { buildProviders } from '../providers/build.ts';
import { UpstreamClient } from '../providers/upstream-client.ts';
import { Router } from '../routing/router.ts';
import { StatsBook } from '../routing/stats.ts';
import { createHandler } from './app.ts';
import { Http1Server } from '../http1/server.ts';
import type { GatewayRequest, GatewayResponse } from './types.ts';
import { Authenticator } from './auth.ts';
import { ImageFetcher } from './inline-images.ts';
import { createLogger, type Logger } from './logger.ts';
import type { Clock, GatewayContext, Runtime } from './runtime.ts';
import { CooldownBook } from '../routing/cooldowns.ts';
import { LimitBook } from '../routing/limits.ts';
import { CooldownProber } from '../routing/prober.ts';
import { GatewayMetrics } from './metrics.ts';
import { OAuthCredentials } from '../providers/oauth-credentials.ts';
import { KeyStore } from '../providers/key-store.ts';
import { mkdtempSync } from 'node:fs';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createState } from '../state/index.ts';
import type { StateStore } from '../state/types.ts';
import { parseCredential, timeOf, type Credential as StoredCredential } from '../auth/credential.ts';
import type { TokenStore } from '../auth/token-store.ts';
import { setTimeout as sleep } from 'node:timers/promises';

export interface GatewayOptions {
  /** A raw config object (as parsed from YAML); takes precedence over `configPath`. */
  config?: unknown;
  /** A YAML file to load and, unless `watch` is false, to watch for edits. */
  configPath?: string;
  /** Environment for `${VAR}` expansion and providers' conventional key variables. */
  env?: Env;
  logLevel?: string;
  watch?: boolean;
  /** Overrides of the config's host and port (CLI flags). */
  host?: string;
  port?: number;
  /** Injected time and randomness (tests). */
  clock?: Clock;
  /** Injected state driver (tests); otherwise the configured one. */
  state?: StateStore;
  /** Injected OAuth credentials (tests); `false` turns Copilot/Kiro credentials off. */
  oauth?: OAuthCredentials | false;
}

export interface RunningGateway {
  url: string;
  host: string;
  port: number;
  context: GatewayContext;
  /** Where credentials (and with the local driver, state) live; a temporary folder, removed on close, for an inline config without data_dir. */
  dataDir: string;
  /** Probes cooling credentials; `probeOnce()` runs a round now. */
  prober: CooldownProber;
  /** Re-reads the config file (or applies `raw`); throws ConfigError and keeps the old one when invalid. */
  reload(raw?: unknown): Promise<void>;
  close(): Promise<void>;
}

function hasDataDir(raw: unknown): boolean {
  return raw !== null && typeof raw === 'object' && 'data_dir' in raw;
}

function hasStateDriver(raw: unknown): boolean {
  const state = raw !== null && typeof raw === 'object' ? (raw as { state?: unknown }).state : undefined;
  return state !== null && typeof state === 'object' && ('driver' in state || 'redis_url' in state);
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

function checkExposure(config: GatewayConfig): void {
  if (LOOPBACK.test(config.host) || config.clientKeys.length > 0 || config.allowUnauthenticated) return;
  throw new ConfigError([{
    path: 'api_keys',
    message: `binding to ${config.host} without client keys would open the gateway to the network; set api_keys, or allow_unauthenticated: true`,
  }], config.source);
}

interface Shared {
  env: Env;
  client: UpstreamClient;
  oauth: OAuthCredentials | undefined;
  keys: KeyStore;
  overrides: ReadonlyMap<string, boolean>;
  cooldowns: CooldownBook;
  stats: StatsBook;
  state: StateStore;
  clock: Clock;
}

async function buildRuntime(config: GatewayConfig, shared: Shared): Promise<Runtime> {
  const { env, client, overrides } = shared;
  const built = await buildProviders(config, {
    env,
    client,
    oauth: shared.oauth,
    addedKeys: (provider) => shared.keys.list(provider).map((key) => ({ key: key.key, name: key.id, weight: key.weight })),
  });
  for (const [name, enabled] of overrides) built.registry.setEnabled(name, enabled);
  const secrets = [
    ...[...built.entries.values()].flatMap((entry) => entry.credentials.map((credential) => credential.secret)),
    ...config.clientKeys.map((key) => key.key),
    ...(config.managementKey === undefined ? [] : [config.managementKey]),
  ];
  return {
    config,
    built,
    router: new Router(built, config.routing, {
      cooldowns: shared.cooldowns,
      stats: shared.stats,
      cursor: (key) => shared.state.increment(key),
      random: shared.clock.random,
      now: shared.clock.now,
    }),
    auth: new Authenticator(config.clientKeys, config.managementKey),
    images: new ImageFetcher(config.imageFetch),
    secrets,
  };
}

/** The state document holding a credential's latest record, shared by every instance. */
function tokensDocument(id: string): string {
  return `oauth:${id}`;
}

/** When the usable token of a record stops working (the Copilot API token, Kiro's access token). */
function tokenExpiry(credential: StoredCredential): number {
  return timeOf(credential.provider === 'copilot' ? credential.copilot_expires_at : credential.expires_at) ?? 0;
}

/** Takes the shared record of `id` into the local store when its token lasts longer. */
async function adoptSharedTokens(state: StateStore, store: TokenStore | undefined, id: string): Promise<void> {
  const local = store?.get(id);
  if (store === undefined || local === undefined) return;
  const text = await state.getDocument(tokensDocument(id));
  if (text === undefined) return;
  const parsed = parseCredential(JSON.parse(text));
  if (!parsed.ok || parsed.credential.id !== id || parsed.credential.provider !== local.provider) return;
  const shared = parsed.credential;
  if (tokenExpiry(shared) <= tokenExpiry(local)) return;
  await store.update(id, (current) => (tokenExpiry(current) < tokenExpiry(shared) ? shared : current));
}

async function shareTokens(state: StateStore, store: TokenStore | undefined, id: string): Promise<void> {
  const current = store?.get(id);
  if (current !== undefined) await state.putDocument(tokensDocument(id), JSON.stringify(current));
}

export async function startGateway(options: GatewayOptions = {}): Promise<RunningGateway> {
  // Folders made for this gateway (an inline config's temporary data dir): gone if it fails to start.
  const made: string[] = [];
  try {
    return await start(options, made);
  } catch (error) {
    for (const folder of made) await rm(folder, { recursive: true, force: true });
    throw error;
  }
}

async function start(options: GatewayOptions, made: string[]): Promise<RunningGateway> {
  const env = options.env ?? process.env;
  const path = options.config === undefined ? options.configPath : undefined;
  const load = async (raw?: unknown): Promise<GatewayConfig> => {
    const source = raw === undefined && path !== undefined ? await readConfigFile(path) : raw ?? options.config ?? {};
    const config = buildConfig(source, env, raw === undefined ? path : undefined);
    if (options.host !== undefined) config.host = options.host;
    if (options.port !== undefined) config.port = options.port;
    checkExposure(config);
    return config;
  };

  const config = await load();
  // Embedded with an inline config and no data_dir (tests, libraries): nothing is written to
  // the user's home; state lives in memory and credentials in a temporary folder.
  const inline = options.config !== undefined && !hasDataDir(options.config);
  const dataDir = inline ? mkdtempSync(join(tmpdir(), 'cliproxy-')) : config.dataDir;
  if (inline) made.push(dataDir);
  const logger: Logger = createLogger(options.logLevel ?? config.logLevel);
  const client = new UpstreamClient({ connectTimeoutMs: config.routing.timeouts.connectMs });
  const overrides = new Map<string, boolean>();
  const clock: Clock = options.clock ?? { now: Date.now, sleep: (ms) => sleep(ms), random: Math.random };
  // The data folder holds credentials and usage: readable by the gateway's user only.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const explicitDriver = inline && hasStateDriver(options.config);
  const state: StateStore = options.state ?? await createState({
    driver: inline && !explicitDriver ? 'memory' : config.state.driver,
    dataDir,
    redisUrl: config.state.redisUrl,
    keyPrefix: config.state.keyPrefix,
    onChange: (health) => {
      if (health.ok) logger.info({ state: health }, 'state driver healthy');
      else logger.warn({ state: health }, 'state driver degraded');
    },
  });
  for (const file of ['cliproxy.db', 'cliproxy.db-wal', 'cliproxy.db-shm', 'cliproxy-fallback.db']) {
    await chmod(join(dataDir, file), 0o600).catch(() => undefined);
  }
  let tokenStore: TokenStore | undefined;
  const oauth = options.oauth === false ? undefined : options.oauth ?? await OAuthCredentials.open({
    dataDir,
    settings: config.oauth,
    client,
    now: clock.now,
    lock: async (id) => {
      // One refresh per credential across instances: the state layer's lock, retried briefly.
      for (let attempt = 0; attempt < 50; attempt++) {
        const release = await state.tryLock(`refresh:${id}`, 30_000);
        if (release === undefined) {
          await clock.sleep(100);
          continue;
        }
        // Each instance keeps its credentials in its own data_dir, so the tokens travel
        // through the state layer: whoever held the lock may have refreshed already (the
        // refresher reads the record again under the lock), and what we hold when we let go
        // is what the next holder starts from.
        await adoptSharedTokens(state, tokenStore, id).catch((error: unknown) => logger.warn({ err: error, credential: id }, 'reading shared OAuth tokens failed'));
        return async () => {
          await shareTokens(state, tokenStore, id).catch((error: unknown) => logger.warn({ err: error, credential: id }, 'sharing OAuth tokens failed'));
          await release();
        };
      }
      throw new Error(`credential ${id} is being refreshed elsewhere`);
    },
  });
  tokenStore = oauth?.store;
  const stats = new StatsBook(clock.now);
  const cooldowns = new CooldownBook(state, clock.now);
  const keys = await KeyStore.open(dataDir);
  const shared: Shared = { env, client, oauth, keys, overrides, cooldowns, stats, state, clock };
  let runtime = await buildRuntime(config, shared);

  const context: GatewayContext = {
    current: () => runtime,
    stats,
    state,
    cooldowns,
    limits: new LimitBook(state, clock.now),
    metrics: Object.assign(new GatewayMetrics(() => state, clock.now), { enabled: config.metrics.enabled }),
    oauth,
    keys,
    rebuild: async () => {
      rebuild();
      await rebuilding;
    },
    clock,
    logger,
    startedAt: Math.floor(clock.now() / 1000),
    setEnabled(name, enabled) {
      if (!runtime.built.registry.setEnabled(name, enabled)) return false;
      overrides.set(name, enabled);
      runtime.router.invalidate();
      return true;
    },
  };

  const server = listener(createHandler(context), options.env ?? process.env);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info({ url, config: config.source ?? null, providers: runtime.built.registry.listEnabled().map((provider) => provider.name()) }, 'listening');

  const reload = async (raw?: unknown): Promise<void> => {
    const next = await load(raw);
    const nextRuntime = await buildRuntime(next, shared);
    if (next.host !== runtime.config.host || next.port !== runtime.config.port) {
      logger.warn({ host: next.host, port: next.port }, 'host and port changes apply at the next restart');
    }
    const previous = runtime;
    runtime = nextRuntime;
    context.metrics.enabled = next.metrics.enabled;
    void previous.images.close();
    logger.info({ providers: runtime.built.registry.listEnabled().map((provider) => provider.name()) }, 'configuration reloaded');
  };

  // New or changed credentials, or a fresh Copilot catalogue: rebuild the runtime around them.
  let rebuilding = Promise.resolve();
  let closed = false;
  const rebuild = (): void => {
    if (closed) return;
    rebuilding = rebuilding.then(async () => {
      if (closed) return;
      const previous = runtime;
      runtime = await buildRuntime(previous.config, shared);
      void previous.images.close();
      logger.info({ providers: runtime.built.registry.listEnabled().map((provider) => provider.name()) }, 'credentials changed');
    }).catch((error: unknown) => logger.error({ err: error }, 'rebuilding after a credential change failed'));
  };
  if (oauth !== undefined && options.oauth === undefined) {
    oauth.on('change', rebuild);
    oauth.startBackground((error) => logger.debug({ err: error }, 'oauth background refresh failed'));
  }

  const prober = new CooldownProber({
    cooldowns,
    entries: () => runtime.built.entries,
    intervalMs: () => runtime.config.routing.probeIntervalMs,
    now: clock.now,
    onCleared: (key) => logger.info({ key }, 'cooldown ended early: the probe succeeded'),
  });
  prober.start();

  // Usage retention: old records are dropped hourly (and once at start).
  const prune = (): void => {
    if (!runtime.config.usage.enabled) return;
    state.pruneUsage(clock.now() - runtime.config.usage.retentionMs).then(
      (dropped) => { if (dropped > 0) logger.info({ dropped }, 'usage records past retention dropped'); },
      (error: unknown) => logger.warn({ err: error }, 'usage pruning failed'),
    );
  };
  prune();
  const pruner = setInterval(prune, 3_600_000);
  pruner.unref();

  let watcher: ConfigWatcher | undefined;
  if (path !== undefined && options.watch !== false) {
    watcher = watchConfigFile(path, () => {
      reload().catch((error: unknown) => {
        logger.error({ problems: error instanceof ConfigError ? error.problems : undefined }, `configuration change rejected, the running configuration stays: ${(error as Error).message}`);
      });
    });
  }

  return {
    url,
    host: address.address,
    port: address.port,
    context,
    dataDir,
    reload,
    prober,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await rebuilding;
        prober.stop();
        clearInterval(pruner);
        watcher?.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        if (options.oauth === undefined) await oauth?.close();
        await client.destroy();
        await runtime.images.close();
        if (options.state === undefined) await state.close();
      } finally {
        // The temporary folder an inline config got is the gateway's own: it goes with it.
        if (inline) await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** What the gateway needs of its HTTP server: ours, or `node:http`'s. */
interface Listener {
  once(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  listen(port: number, host: string, callback: () => void): unknown;
  address(): AddressInfo | string | null;
  close(callback: () => void): unknown;
  closeAllConnections(): void;
}

/**
 * The gateway's own HTTP/1.1 server (src/http1/server.ts), or Node's with
 * `CLIPROXY_HTTP_SERVER=node`: the same handler runs on either, with the same timeouts.
 */
function listener(handler: (request: GatewayRequest, response: GatewayResponse) => void, env: Env): Listener {
  if (env.CLIPROXY_HTTP_SERVER === 'node') {
    // `node:http` as CommonJS, and only here: an ES import of it builds a namespace of every
    // export, and the lazy WebSocket and EventSource getters among them load Node's whole
    // bundled undici (~1 MB of source, ~3 MB of idle RSS).
    const http = process.getBuiltinModule('node:http');
    const server = http.createServer({ keepAlive: true, requestTimeout: 0, headersTimeout: 60_000 }, handler);
    server.keepAliveTimeout = 65_000;
    return server;
  }
  return new Http1Server(handler, { keepAliveTimeoutMs: 65_000, headersTimeoutMs: 60_000 });
}
