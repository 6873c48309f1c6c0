/**
 * Model resolution and candidate ordering. A candidate is provider × credential × upstream
 * model. `provider/model` addresses one provider (the rest of the name passes through
 * unmapped-if-unknown); any other name goes to every enabled provider that serves it after
 * mapping. Candidates are ordered by the configured strategy: `priority` (higher `priority`
 * first, round robin inside a group), `round_robin` (all providers in turn) or `fill_first`
 * (configuration order, always the first that works).
 */
import { GatewayError } from '../errors.ts';
import type { RoutingSettings } from '../config/load.ts';
import type { BuiltProviders, ProviderEntry } from '../providers/build.ts';
import type { Capabilities, Credential } from '../providers/types.ts';
import { closeMatches } from './close-matches.ts';
import { ModelMapper } from './model-mapper.ts';

export interface Candidate {
  entry: ProviderEntry;
  provider: string;
  /** The name the client asked for (after fallbacks: the fallback's name). */
  model: string;
  upstreamModel: string;
  credential: Credential | undefined;
  /** Capabilities of the upstream model when the catalogue knows it. */
  capabilities: Capabilities | undefined;
}

/** What a request needs from a model, to filter candidates before trying them. */
export interface Needs {
  streaming?: boolean;
  functions?: boolean;
  vision?: boolean;
}

interface Served {
  entry: ProviderEntry;
  upstreamModel: string;
  capabilities: Capabilities | undefined;
}

export class Router {
  readonly mapper: ModelMapper;
  private readonly built: BuiltProviders;
  private readonly settings: RoutingSettings;
  private readonly cursors = new Map<string, number>();

  constructor(built: BuiltProviders, settings: RoutingSettings) {
    this.built = built;
    this.settings = settings;
    this.mapper = new ModelMapper(built.entries);
  }

  /**
   * Ordered candidates for `model`, at most `routing.max_attempts` of them, fallbacks after
   * the model's own. Throws 404 (unknown model, naming close matches), 503 (only disabled
   * providers serve it) or 400 (no provider gives the model a capability the request needs).
   */
  resolve(model: string, needs: Needs = {}): Candidate[] {
    const chain = [model, ...(this.settings.fallbacks[model] ?? [])];
    const candidates: Candidate[] = [];
    let firstError: GatewayError | undefined;
    for (const name of chain) {
      let served: Served[];
      try {
        served = this.serving(name, needs);
      } catch (error) {
        firstError ??= error as GatewayError;
        continue;
      }
      for (const candidate of this.order(name, served)) {
        candidates.push(candidate);
        if (candidates.length >= this.settings.maxAttempts) return candidates;
      }
    }
    if (candidates.length === 0) throw firstError ?? new GatewayError(404, 'model_not_found', `model ${model} not found`);
    return candidates;
  }

  /** Providers that serve `model`, with the upstream name, filtered by enablement and needs. */
  serving(model: string, needs: Needs = {}): Served[] {
    const registry = this.built.registry;
    const slash = model.indexOf('/');
    if (slash > 0) {
      const prefix = model.slice(0, slash);
      const entry = this.built.entries.get(prefix);
      if (entry !== undefined) {
        if (registry.isEnabled(prefix)) {
          const rest = model.slice(slash + 1);
          const upstreamModel = this.mapper.mapModel(rest, prefix);
          return filterByNeeds(model, [{ entry, upstreamModel, capabilities: capabilitiesOf(entry, upstreamModel) }], needs);
        }
        // Vendor-prefixed ids (`openai/gpt-oss-120b` at Groq, OpenRouter slugs) are model
        // names too: with the prefix's provider off, the whole name is tried as one.
        const whole = this.servingByName(model);
        if (whole.served.length > 0) return filterByNeeds(model, whole.served, needs);
        throw new GatewayError(503, 'provider_disabled', `provider ${prefix} is disabled`, { retryable: false });
      }
    }
    const { served, disabled } = this.servingByName(model);
    if (served.length === 0) {
      if (disabled !== undefined) {
        throw new GatewayError(503, 'provider_disabled', `model ${model} is served only by disabled providers: ${disabled.join(', ')}`, {
          retryable: false,
          details: { providers: disabled },
        });
      }
      const suggestions = closeMatches(model, this.knownModels());
      const hint = suggestions.length > 0 ? `; did you mean ${suggestions.map((name) => `"${name}"`).join(', ')}?` : '';
      throw new GatewayError(404, 'model_not_found', `model "${model}" is not served by any enabled provider${hint}`, {
        param: 'model',
        retryable: false,
        details: { suggestions },
      });
    }
    return filterByNeeds(model, served, needs);
  }

  private servingByName(model: string): { served: Served[]; disabled: string[] | undefined } {
    const registry = this.built.registry;
    const served: Served[] = [];
    let disabled: string[] | undefined;
    for (const entry of this.built.entries.values()) {
      const name = entry.provider.name();
      if (!this.mapper.hasMapping(model, name) && !entry.provider.supportsModel(model)) continue;
      if (!registry.isEnabled(name)) {
        (disabled ??= []).push(name);
        continue;
      }
      const upstreamModel = this.mapper.mapModel(model, name);
      served.push({ entry, upstreamModel, capabilities: capabilitiesOf(entry, upstreamModel) });
    }
    return { served, disabled };
  }

  /** Every model name a client can ask for: catalogue names and aliases of enabled providers. */
  knownModels(): string[] {
    const names = new Set<string>();
    for (const provider of this.built.registry.listEnabled()) {
      for (const model of provider.listModels()) names.add(model.name);
    }
    for (const { alias, provider } of this.mapper.aliases()) {
      if (this.built.registry.isEnabled(provider)) names.add(alias);
    }
    return [...names];
  }

  private order(model: string, served: Served[]): Candidate[] {
    const strategy = this.settings.strategy;
    let providers = served;
    if (strategy === 'priority') {
      providers = [...served].sort((a, b) => b.entry.priority - a.entry.priority);
      providers = rotateGroups(providers, this.tick(`model:${model}`));
    } else if (strategy === 'round_robin') {
      providers = rotate(served, this.tick(`model:${model}`));
    }
    const out: Candidate[] = [];
    for (const item of providers) {
      const name = item.entry.provider.name();
      const credentials = item.entry.credentials;
      if (credentials.length === 0) {
        out.push({ entry: item.entry, provider: name, model, upstreamModel: item.upstreamModel, credential: undefined, capabilities: item.capabilities });
        continue;
      }
      // Only the provider tried first advances its credential cursor: advancing on every
      // listing would alias with the provider rotation and pin one credential.
      const cursor = out.length === 0 ? this.tick(`credential:${name}`) : this.peek(`credential:${name}`);
      const start = strategy === 'fill_first' ? 0 : cursor % credentials.length;
      for (let i = 0; i < credentials.length; i++) {
        const credential = credentials[(start + i) % credentials.length];
        out.push({ entry: item.entry, provider: name, model, upstreamModel: item.upstreamModel, credential, capabilities: item.capabilities });
        if (out.length >= this.settings.maxAttempts) return out;
      }
    }
    return out;
  }

  private peek(key: string): number {
    return this.cursors.get(key) ?? 0;
  }

  private tick(key: string): number {
    const value = this.cursors.get(key) ?? 0;
    this.cursors.set(key, value + 1 >= Number.MAX_SAFE_INTEGER ? 0 : value + 1);
    return value;
  }
}

function capabilitiesOf(entry: ProviderEntry, upstreamModel: string): Capabilities | undefined {
  for (const model of entry.provider.listModels()) if (model.name === upstreamModel) return model.capabilities;
  return undefined;
}

function filterByNeeds(model: string, served: Served[], needs: Needs): Served[] {
  if (needs.streaming !== true && needs.functions !== true && needs.vision !== true) return served;
  const kept = served.filter(({ capabilities }) =>
    capabilities === undefined ||
    ((needs.streaming !== true || capabilities.streaming) &&
      (needs.functions !== true || capabilities.functions) &&
      (needs.vision !== true || capabilities.vision)));
  if (kept.length === 0) {
    const wanted = [needs.streaming === true ? 'streaming' : '', needs.functions === true ? 'functions' : '', needs.vision === true ? 'vision' : '']
      .filter((item) => item !== '')
      .join(', ');
    throw new GatewayError(400, 'invalid_request', `model ${model} does not support what this request needs (${wanted}) at any enabled provider`, {
      param: 'model',
      retryable: false,
    });
  }
  return kept;
}

/** Rotates inside each run of equal priority, keeping the groups in order. */
function rotateGroups(sorted: Served[], turn: number): Served[] {
  const out: Served[] = [];
  let start = 0;
  while (start < sorted.length) {
    let end = start + 1;
    while (end < sorted.length && (sorted[end] as Served).entry.priority === (sorted[start] as Served).entry.priority) end++;
    out.push(...rotate(sorted.slice(start, end), turn));
    start = end;
  }
  return out;
}

function rotate<T>(items: T[], turn: number): T[] {
  if (items.length < 2) return items;
  const offset = turn % items.length;
  return offset === 0 ? items : [...items.slice(offset), ...items.slice(0, offset)];
}
