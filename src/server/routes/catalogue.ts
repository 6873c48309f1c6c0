/**
 * Views of the registry shared by the model and provider routes: provider summaries (never
 * secrets — credential ids and masked tails at most), capability matrices, model listings.
 */
import type { ProviderEntry } from '../../providers/build.ts';
import type { Capabilities } from '../../providers/types.ts';
import type { Runtime } from '../runtime.ts';

export const FEATURES = ['streaming', 'functions', 'vision', 'code_generation', 'multimodal'] as const;
export type Feature = (typeof FEATURES)[number];

/** Accepted spellings of a feature name in `/v1/capabilities?feature=`. */
export const FEATURE_ALIASES: Record<string, Feature> = {
  streaming: 'streaming', stream: 'streaming',
  functions: 'functions', function_calling: 'functions', tools: 'functions',
  vision: 'vision', images: 'vision',
  code_generation: 'code_generation', code: 'code_generation',
  multimodal: 'multimodal',
};

/** The seed's ProviderCapabilities for a provider (max_tokens: its largest context window). */
export function providerCapabilities(entry: ProviderEntry): Capabilities {
  const provider = entry.provider;
  const models = provider.listModels();
  return {
    streaming: provider.supportsStreaming(),
    functions: provider.supportsFunctions(),
    vision: provider.supportsVision(),
    code_generation: provider.supportsCodeGeneration(),
    multimodal: models.some((model) => model.capabilities.multimodal),
    max_tokens: provider.maxTokens(),
  };
}

export function providerState(runtime: Runtime, entry: ProviderEntry): 'disabled' | 'unconfigured' | 'pending' | 'enabled' {
  const name = entry.provider.name();
  if (!runtime.built.registry.isEnabled(name)) return entry.provider.requiresAuth() && entry.credentials.length === 0 ? 'unconfigured' : 'disabled';
  if (entry.notServedYet !== undefined) return 'pending';
  return 'enabled';
}

export function providerSummary(runtime: Runtime, entry: ProviderEntry): Record<string, unknown> {
  const provider = entry.provider;
  const name = provider.name();
  return {
    name,
    display_name: entry.http?.settings.displayName ?? name,
    type: provider.type(),
    protocol: entry.protocol,
    source: entry.source,
    enabled: runtime.built.registry.isEnabled(name),
    state: providerState(runtime, entry),
    auth_type: provider.authType(),
    requires_auth: provider.requiresAuth(),
    endpoint: entry.http?.settings.endpoint ?? null,
    priority: entry.priority,
    credentials: entry.credentials.map((credential) => ({ id: credential.id, masked: credential.masked })),
    models: provider.listModels().length,
    capabilities: providerCapabilities(entry),
    ...(entry.notServedYet === undefined ? {} : { note: entry.notServedYet }),
  };
}

export interface ListedModel {
  id: string;
  provider: string;
  upstream: string;
  capabilities: Capabilities | undefined;
}

/** Models clients can name, per enabled provider (catalogue names, then aliases). */
export function listModels(runtime: Runtime, onlyProvider?: string): ListedModel[] {
  const out: ListedModel[] = [];
  const seen = new Set<string>();
  for (const entry of runtime.built.entries.values()) {
    const name = entry.provider.name();
    if (onlyProvider !== undefined ? name !== onlyProvider : !runtime.built.registry.isEnabled(name)) continue;
    const catalogue = entry.provider.listModels();
    for (const model of catalogue) {
      const key = `${name}\u0000${model.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ id: model.name, provider: name, upstream: model.name, capabilities: model.capabilities });
    }
    for (const [alias, upstream] of Object.entries(entry.mappings)) {
      const key = `${name}\u0000${alias}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ id: alias, provider: name, upstream, capabilities: catalogue.find((model) => model.name === upstream)?.capabilities });
    }
  }
  return out;
}
