/**
 * Loading: find the file, parse YAML, expand `${ENV}`, validate, apply defaults.
 * The result is plain data; providers/ turns its `providers` map into live providers.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { configSchema, type Limits, type OAuthSettings, type RawConfig, type RawProviderConfig, type Strategy } from './schema.ts';
import { expandEnv, type Env, type ExpansionProblem } from './expand-env.ts';

export interface ConfigProblem {
  path: string;
  message: string;
}

/** Thrown for any invalid configuration; `problems` name each key path. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[], source?: string) {
    const where = source === undefined ? 'configuration' : `configuration ${source}`;
    super(`invalid ${where}:\n${problems.map((problem) => `  - ${problem.path}: ${problem.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface ClientKey {
  key: string;
  name: string;
  limits?: Limits;
}

export interface RoutingSettings {
  strategy: Strategy;
  modelStrategies: Record<string, Strategy>;
  maxAttempts: number;
  fallbacks: Record<string, string[]>;
  contextWindowFallbacks: Record<string, string[]>;
  backoff: { baseMs: number; maxMs: number };
  /** Cap on cooldowns taken from retry hints and on exponential backoff. */
  maxCooldownMs: number;
  /** How often a cooling credential is probed (0: never). */
  probeIntervalMs: number;
  onLimit: 'reject' | 'wait';
  maxWaitMs: number;
  /** SSE comment interval while a streaming client waits for its first byte (0: off). */
  keepaliveIntervalMs: number;
  timeouts: { connectMs: number; firstByteMs: number; idleMs: number };
}

export interface GatewayConfig {
  host: string;
  port: number;
  clientKeys: ClientKey[];
  managementKey: string | undefined;
  allowUnauthenticated: boolean;
  dataDir: string;
  logLevel: string;
  maxBodySize: number;
  routing: RoutingSettings;
  imageFetch: { enabled: boolean; maxBytes: number; timeoutMs: number; allowHosts: string[] };
  state: { driver: 'local' | 'memory' | 'redis'; redisUrl: string | undefined; keyPrefix: string };
  usage: { enabled: boolean; retentionMs: number };
  metrics: { enabled: boolean };
  oauth: OAuthSettings;
  /** Provider entries by name, as written (after `${ENV}` expansion and validation). */
  providers: Record<string, RawProviderConfig>;
  /** The file this came from, when there was one. */
  source: string | undefined;
}

export const DEFAULT_PORT = 8317;
export const DEFAULT_MAX_BODY_SIZE = 32 * 1024 * 1024;

/** Validates a raw (already YAML-parsed) config object. */
export function buildConfig(raw: unknown, env: Env, source?: string): GatewayConfig {
  const expansionProblems: ExpansionProblem[] = [];
  const expanded = expandEnv(raw ?? {}, env, expansionProblems);
  if (expansionProblems.length > 0) throw new ConfigError(expansionProblems, source);
  if (expanded === null || typeof expanded !== 'object' || Array.isArray(expanded)) {
    throw new ConfigError([{ path: '(root)', message: 'the configuration must be a mapping of keys' }], source);
  }
  const parsed = configSchema.safeParse(expanded);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
      source,
    );
  }
  const config = applyDefaults(parsed.data, env, source);
  if (config.state.driver === 'redis' && config.state.redisUrl === undefined) {
    throw new ConfigError([{ path: 'state.redis_url', message: 'required when state.driver is redis' }], source);
  }
  return config;
}

function applyDefaults(data: RawConfig, env: Env, source: string | undefined): GatewayConfig {
  const providers: Record<string, RawProviderConfig> = {};
  for (const [name, entry] of Object.entries(data.providers ?? {})) providers[name] = entry ?? {};
  const timeouts = data.routing?.timeouts;
  return {
    host: data.host ?? '127.0.0.1',
    port: data.port ?? DEFAULT_PORT,
    clientKeys: (data.api_keys ?? []).map((entry, index) =>
      typeof entry === 'string'
        ? { key: entry, name: `key-${index + 1}` }
        : { key: entry.key, name: entry.name ?? `key-${index + 1}`, limits: entry.limits },
    ),
    managementKey: data.management_key,
    allowUnauthenticated: data.allow_unauthenticated ?? false,
    dataDir: resolve(data.data_dir ?? env.CLIPROXY_DATA_DIR ?? join(homedir(), '.cliproxy')),
    logLevel: data.log_level ?? env.CLIPROXY_LOG_LEVEL ?? 'info',
    maxBodySize: data.max_body_size ?? DEFAULT_MAX_BODY_SIZE,
    routing: {
      strategy: data.routing?.strategy ?? 'priority',
      modelStrategies: data.routing?.model_strategies ?? {},
      maxAttempts: data.routing?.max_attempts ?? 3,
      fallbacks: data.routing?.fallbacks ?? {},
      contextWindowFallbacks: data.routing?.context_window_fallbacks ?? {},
      backoff: { baseMs: data.routing?.backoff?.base ?? 100, maxMs: data.routing?.backoff?.max ?? 2_000 },
      maxCooldownMs: data.routing?.max_cooldown ?? 30 * 60_000,
      probeIntervalMs: data.routing?.probe_interval ?? 60_000,
      onLimit: data.routing?.on_limit ?? 'reject',
      maxWaitMs: data.routing?.max_wait ?? 10_000,
      keepaliveIntervalMs: data.routing?.keepalive_interval ?? 15_000,
      timeouts: {
        connectMs: timeouts?.connect ?? 10_000,
        firstByteMs: timeouts?.first_byte ?? 300_000,
        idleMs: timeouts?.idle ?? 300_000,
      },
    },
    state: {
      driver: data.state?.driver ?? (data.state?.redis_url !== undefined ? 'redis' : 'local'),
      redisUrl: data.state?.redis_url,
      keyPrefix: data.state?.key_prefix ?? 'cliproxy:',
    },
    usage: { enabled: data.usage?.enabled ?? true, retentionMs: data.usage?.retention ?? 90 * 86_400_000 },
    metrics: { enabled: data.metrics?.enabled ?? true },
    oauth: data.oauth ?? {},
    imageFetch: {
      enabled: data.image_fetch?.enabled ?? true,
      maxBytes: data.image_fetch?.max_bytes ?? 20 * 1024 * 1024,
      timeoutMs: data.image_fetch?.timeout ?? 15_000,
      allowHosts: data.image_fetch?.allow_hosts ?? [],
    },
    providers,
    source,
  };
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/** Where the config file is: `--config`, then `CLIPROXY_CONFIG`, then `./cliproxy.yaml` if present. */
export function locateConfig(explicit: string | undefined, env: Env, cwd = process.cwd()): string | undefined {
  if (explicit !== undefined) return resolve(cwd, explicit);
  if (env.CLIPROXY_CONFIG !== undefined && env.CLIPROXY_CONFIG !== '') return resolve(cwd, env.CLIPROXY_CONFIG);
  const fallback = resolve(cwd, 'cliproxy.yaml');
  return existsSync(fallback) ? fallback : undefined;
}

/** Reads and parses a YAML file into a raw object (not yet validated). */
export async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError([{ path: '(file)', message: `cannot read ${path}: ${(error as Error).message}` }], path);
  }
  try {
    return parseYaml(text) ?? {};
  } catch (error) {
    const message = error instanceof YAMLParseError ? error.message : String(error);
    throw new ConfigError([{ path: '(yaml)', message }], path);
  }
}

export async function loadConfigFile(path: string, env: Env): Promise<GatewayConfig> {
  return buildConfig(await readConfigFile(path), env, path);
}
