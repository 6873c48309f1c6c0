/**
 * Turns the `providers` section of a validated config into a live registry: every built-in
 * descriptor (configured or not), second instances of built-in types, `openai_compatible`
 * endpoints, and providers loaded from external ES modules.
 */
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, type ConfigProblem, type GatewayConfig } from '../config/load.ts';
import type { Env } from '../config/expand-env.ts';
import type { CooldownSettings, Limits, RawModelEntry, RawProviderConfig } from '../config/schema.ts';
import { BUILTIN_BY_NAME, BUILTIN_DESCRIPTORS, OPENAI_COMPATIBLE_TYPES } from './builtin.ts';
import { makeCredentials } from './credentials.ts';
import { HttpProvider, type ProviderSettings } from './http-provider.ts';
import { ProviderRegistry } from './registry.ts';
import type { Capabilities, Credential, ModelInfo, ModelSpec, Provider, ProviderDescriptor, UpstreamProtocol } from './types.ts';
import type { UpstreamClient } from './upstream-client.ts';
import type { OAuthCredentials, OAuthProvider } from './oauth-credentials.ts';

/** What routing needs to know about a registered provider beyond the Provider interface. */
export interface ProviderEntry {
  provider: Provider;
  /** Set for providers that can take the byte-level fast path. */
  http: HttpProvider | undefined;
  protocol: UpstreamProtocol;
  credentials: Credential[];
  priority: number;
  /** Share of traffic under the `weighted` strategy (times each credential's weight). */
  weight: number;
  mappings: Record<string, string>;
  /** Provider-wide limits (the seed's ProviderLimits). */
  limits: Limits | undefined;
  cooldown: CooldownSettings | undefined;
  source: 'builtin' | 'custom' | 'module';
  notServedYet: string | undefined;
}

export interface BuiltProviders {
  registry: ProviderRegistry;
  entries: Map<string, ProviderEntry>;
}

export interface BuildContext {
  env: Env;
  client: UpstreamClient;
  /** The token store and refresher behind the OAuth providers (Copilot, Kiro). */
  oauth?: OAuthCredentials;
  /** API keys added at run time, by provider name. */
  addedKeys?: (provider: string) => Array<{ key: string; name?: string; weight?: number }>;
}

export async function buildProviders(config: GatewayConfig, context: BuildContext): Promise<BuiltProviders> {
  const problems: ConfigProblem[] = [];
  const registry = new ProviderRegistry();
  const entries = new Map<string, ProviderEntry>();
  const add = (entry: ProviderEntry, enabled: boolean, path: string): void => {
    try {
      registry.register(entry.provider, enabled);
      entries.set(entry.provider.name(), entry);
    } catch (error) {
      problems.push({ path, message: (error as Error).message });
    }
  };

  for (const descriptor of BUILTIN_DESCRIPTORS) {
    const raw = config.providers[descriptor.name];
    if (raw?.module !== undefined || (raw?.type !== undefined && raw.type !== descriptor.name)) continue;
    const settings = settingsFor(descriptor.name, withLiveCatalogue(descriptor, context.oauth), withAddedKeys(raw, descriptor.name, context), config, context.env, `providers.${descriptor.name}`, problems);
    if (descriptor.authType === 'oauth_device_flow' && context.oauth !== undefined && (raw?.api_keys ?? []).length === 0) {
      const oauth = context.oauth;
      const provider = descriptor.name as OAuthProvider;
      settings.credentials = oauth.credentialsFor(provider);
      settings.notServedYet = undefined;
      settings.authorize = (credential, hints) => oauth.authorize(provider, credential.id, hints);
    }
    add(httpEntry(settings, raw, 'builtin', context.client), enabledFor(raw, settings), `providers.${descriptor.name}`);
  }

  for (const [name, raw] of Object.entries(config.providers)) {
    const path = `providers.${name}`;
    if (BUILTIN_BY_NAME.has(name) && raw.module === undefined && (raw.type === undefined || raw.type === name)) continue;
    if (raw.module !== undefined) {
      const entry = await loadModuleProvider(name, raw, config, problems);
      if (entry !== undefined) add(entry, raw.enabled ?? true, path);
      continue;
    }
    const type = raw.type;
    if (type === undefined) {
      problems.push({ path: `${path}.type`, message: `required for a provider that is not built in (built-in: ${[...BUILTIN_BY_NAME.keys()].join(', ')}; or "openai_compatible")` });
      continue;
    }
    let descriptor: ProviderDescriptor | undefined = BUILTIN_BY_NAME.get(type);
    if (descriptor === undefined && OPENAI_COMPATIBLE_TYPES.has(type)) descriptor = customDescriptor(name);
    if (descriptor === undefined) {
      problems.push({ path: `${path}.type`, message: `unknown provider type "${type}" (use a built-in name or "openai_compatible")` });
      continue;
    }
    if (OPENAI_COMPATIBLE_TYPES.has(type) && raw.endpoint === undefined) {
      problems.push({ path: `${path}.endpoint`, message: 'required for an openai_compatible provider' });
      continue;
    }
    const settings = settingsFor(name, descriptor, withAddedKeys(raw, name, context), config, context.env, path, problems);
    add(httpEntry(settings, raw, OPENAI_COMPATIBLE_TYPES.has(type) ? 'custom' : 'builtin', context.client), enabledFor(raw, settings), path);
  }

  if (problems.length > 0) throw new ConfigError(problems, config.source);
  return { registry, entries };
}

/** Configured keys plus those added at run time (config order first). */
function withAddedKeys(raw: RawProviderConfig | undefined, name: string, context: BuildContext): RawProviderConfig {
  const added = context.addedKeys?.(name) ?? [];
  if (added.length === 0) return raw ?? {};
  return { ...(raw ?? {}), api_keys: [...(raw?.api_keys ?? []), ...added.map((item) => ({ key: item.key, name: item.name, weight: item.weight }))] };
}

/** Copilot's catalogue comes from its live `/models` once fetched. */
function withLiveCatalogue(descriptor: ProviderDescriptor, oauth: OAuthCredentials | undefined): ProviderDescriptor {
  if (descriptor.name !== 'copilot' || oauth === undefined) return descriptor;
  const live = oauth.copilotCatalogue();
  if (live.length === 0) return descriptor;
  return { ...descriptor, models: live.map(({ responsesOnly, ...spec }) => (responsesOnly ? { ...spec, protocol: 'openai-responses' as const } : spec)) };
}

/** Enabled when the config says so, else when it can be used: it has a credential or needs none. */
function enabledFor(raw: RawProviderConfig | undefined, settings: ProviderSettings): boolean {
  if (raw?.enabled !== undefined) return raw.enabled;
  return settings.credentials.length > 0 || settings.authType === 'none';
}

function customDescriptor(name: string): ProviderDescriptor {
  return {
    name,
    displayName: name,
    category: 'aggregator',
    protocol: 'openai-chat',
    authType: 'api_key',
    endpoint: 'http://127.0.0.1/v1',
    envKeys: [],
    features: { streaming: true, functions: true, vision: false, code_generation: true, multimodal: false },
    models: [],
    healthPath: '/models',
  };
}

function settingsFor(
  name: string,
  descriptor: ProviderDescriptor,
  raw: RawProviderConfig,
  config: GatewayConfig,
  env: Env,
  path: string,
  problems: ConfigProblem[],
): ProviderSettings {
  const isCustom = descriptor.models.length === 0 && descriptor.envKeys.length === 0;
  const features = { ...descriptor.features, ...definedOnly(raw.features ?? {}) };
  let credentialEntries = raw.api_keys ?? [];
  // A built-in's conventional variable enables it with no config, for its own name only.
  if (credentialEntries.length === 0 && name === descriptor.name) {
    for (const key of descriptor.envKeys) {
      const value = env[key];
      if (value !== undefined && value !== '') {
        credentialEntries = [value];
        break;
      }
    }
  }
  const authType = raw.auth_type ?? (isCustom && credentialEntries.length === 0 ? 'none' : descriptor.authType);
  return {
    name,
    displayName: name === descriptor.name ? descriptor.displayName : name,
    category: isCustom ? 'custom' : descriptor.category,
    protocol: descriptor.protocol,
    speaks: descriptor.speaks ?? (descriptor.protocol === 'kiro' ? [] : [descriptor.protocol]),
    authType,
    endpoint: normaliseEndpoint(raw.endpoint, descriptor.endpoint, isCustom, `${path}.endpoint`, problems),
    credentials: makeCredentials(name, credentialEntries),
    models: mergeModels(descriptor.models, raw.models ?? [], features),
    mappings: { ...(descriptor.mappings ?? {}), ...(raw.model_mappings ?? {}) },
    headers: { ...(descriptor.headers ?? {}), ...lowerKeys(raw.headers ?? {}) },
    priority: raw.priority ?? 0,
    features,
    quirks: descriptor.quirks,
    healthPath: descriptor.healthPath,
    notServedYet: descriptor.notServedYet,
    timeouts: { firstByteMs: config.routing.timeouts.firstByteMs, idleMs: config.routing.timeouts.idleMs },
  };
}

/**
 * The seed writes endpoints as bare origins (`https://api.openai.com`); the wire needs the
 * base path (`/v1`). A configured origin with no path borrows the default's path.
 */
function normaliseEndpoint(configured: string | undefined, fallback: string, isCustom: boolean, path: string, problems: ConfigProblem[]): string {
  const chosen = configured ?? fallback;
  let url: URL;
  try {
    url = new URL(chosen);
  } catch {
    problems.push({ path, message: `not a URL: ${chosen}` });
    return fallback;
  }
  if (configured !== undefined && (url.pathname === '/' || url.pathname === '')) {
    url = new URL(isCustom ? '/v1' : new URL(fallback).pathname, url);
  }
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url.href.replace(/\/+$/, '');
}

function mergeModels(specs: ModelSpec[], configured: RawModelEntry[], features: Omit<Capabilities, 'max_tokens'>): ModelInfo[] {
  const models = new Map<string, ModelInfo>();
  for (const spec of specs) {
    models.set(spec.name, {
      name: spec.name,
      enabled: true,
      maxOutputTokens: spec.maxOutput,
      ...(spec.protocol === undefined ? {} : { protocol: spec.protocol }),
      capabilities: {
        streaming: spec.streaming ?? features.streaming,
        functions: spec.functions ?? features.functions,
        vision: spec.vision ?? features.vision,
        code_generation: spec.codeGeneration ?? features.code_generation,
        multimodal: spec.multimodal ?? features.multimodal,
        max_tokens: spec.context,
      },
    });
  }
  for (const entry of configured) {
    const base = models.get(entry.name);
    const capabilities: Capabilities = base?.capabilities ?? { ...features, max_tokens: 0 };
    const full = entry;
    models.set(entry.name, {
      name: entry.name,
      ...(base?.protocol === undefined ? {} : { protocol: base.protocol }),
      enabled: full.enabled ?? true,
      displayName: full.display_name ?? base?.displayName,
      maxOutputTokens: full.max_output_tokens ?? base?.maxOutputTokens,
      capabilities: {
        ...capabilities,
        streaming: full.supports_streaming ?? capabilities.streaming,
        functions: full.supports_functions ?? capabilities.functions,
        vision: full.supports_vision ?? capabilities.vision,
        multimodal: full.supports_vision ?? capabilities.multimodal,
        max_tokens: full.max_tokens ?? capabilities.max_tokens,
      },
    });
  }
  return [...models.values()];
}

function httpEntry(settings: ProviderSettings, raw: RawProviderConfig | undefined, source: 'builtin' | 'custom', client: UpstreamClient): ProviderEntry {
  const http = new HttpProvider(settings, client);
  return {
    provider: http,
    http,
    protocol: settings.protocol,
    credentials: settings.credentials,
    priority: settings.priority,
    weight: raw?.weight ?? 1,
    mappings: settings.mappings,
    limits: raw?.limits,
    cooldown: raw?.cooldown,
    source,
    notServedYet: settings.notServedYet,
  };
}

/** What an external module's factory receives. */
export interface ProviderModuleConfig {
  name: string;
  endpoint: string | undefined;
  api_keys: string[];
  models: RawModelEntry[];
  headers: Record<string, string>;
  options: Record<string, unknown>;
}

const PROVIDER_METHODS = [
  'name', 'type', 'supportsModel', 'listModels', 'authType', 'requiresAuth', 'execute', 'executeStream',
  'supportsStreaming', 'supportsFunctions', 'supportsVision', 'supportsCodeGeneration', 'maxTokens', 'healthCheck',
] as const;

async function loadModuleProvider(name: string, raw: RawProviderConfig, config: GatewayConfig, problems: ConfigProblem[]): Promise<ProviderEntry | undefined> {
  const path = `providers.${name}.module`;
  const base = config.source === undefined ? process.cwd() : dirname(config.source);
  const file = resolve(base, raw.module as string);
  let factory: unknown;
  try {
    // The mtime in the URL makes a hot reload pick up an edited module.
    const version = (await stat(file)).mtimeMs;
    const loaded = (await import(`${pathToFileURL(file).href}?v=${version}`)) as { default?: unknown; createProvider?: unknown };
    factory = loaded.createProvider ?? loaded.default;
  } catch (error) {
    problems.push({ path, message: `cannot load ${file}: ${(error as Error).message}` });
    return undefined;
  }
  if (typeof factory !== 'function') {
    problems.push({ path, message: `${file} must export a default function (or createProvider) returning a Provider` });
    return undefined;
  }
  const credentials = makeCredentials(name, raw.api_keys ?? []);
  let provider: Provider;
  try {
    provider = (await (factory as (settings: ProviderModuleConfig) => unknown)({
      name,
      endpoint: raw.endpoint,
      api_keys: credentials.map((credential) => credential.secret),
      models: raw.models ?? [],
      headers: raw.headers ?? {},
      options: raw.options ?? {},
    })) as Provider;
  } catch (error) {
    problems.push({ path, message: `the factory in ${file} threw: ${(error as Error).message}` });
    return undefined;
  }
  const missing = PROVIDER_METHODS.filter((method) => typeof (provider as unknown as Record<string, unknown>)?.[method] !== 'function');
  if (missing.length > 0) {
    problems.push({ path, message: `the provider from ${file} lacks ${missing.join(', ')}` });
    return undefined;
  }
  if (provider.name() !== name) {
    problems.push({ path, message: `the provider from ${file} is named "${provider.name()}", but its config key is "${name}"` });
    return undefined;
  }
  return {
    provider,
    http: undefined,
    protocol: 'openai-chat',
    credentials,
    priority: raw.priority ?? 0,
    weight: raw.weight ?? 1,
    mappings: raw.model_mappings ?? {},
    limits: raw.limits,
    cooldown: raw.cooldown,
    source: 'module',
    notServedYet: undefined,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([key, value]) => [key.toLowerCase(), value]));
}
