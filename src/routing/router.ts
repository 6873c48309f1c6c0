/**
 * Model resolution and candidate selection. A candidate is provider × credential ×
 * upstream model. `provider/model` addresses one provider (the rest of the name passes
 * through, mapped if a mapping exists); any other name goes to every enabled provider that
 * serves it after mapping. Candidates are filtered (enabled, serves the model, capabilities
 * the request needs, context length, cooldown) and ordered by a strategy:
 * - `priority`: higher `priority` first, round robin inside a group (the default);
 * - `round_robin`: every provider × credential in turn;
 * - `capability`, `fill_first`: configuration order, the first capable one that works;
 * - `weighted`: random, in proportion to provider weight × credential weight (drawn
 *   without repeats, so a cooling pick's share is spread by weight);
 * - `least_latency`: lowest moving average of observed latency (untried ones first);
 * - `least_busy`: fewest requests in flight.
 * What a model resolves to is computed once per model and reused until the registry
 * changes, so ordering costs O(attempts) for most strategies however many credentials
 * there are (`least_*` scan them all).
 */
import { GatewayError } from '../errors.ts';
import type { RoutingSettings } from '../config/load.ts';
import type { Strategy } from '../config/schema.ts';
import type { Cooldown } from '../state/types.ts';
import { cooldownKey, type CooldownBook } from './cooldowns.ts';
import type { StatsBook } from './stats.ts';
import type { BuiltProviders, ProviderEntry } from '../providers/build.ts';
import type { Capabilities, Credential, ModelInfo } from '../providers/types.ts';
import type { WireFormat } from '../protocols/ir.ts';
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
  /** The model's own protocol when it differs from its provider's (Copilot's `/responses`-only models). */
  protocol: WireFormat | undefined;
  /** `provider|credential|upstream model`: the unit of cooldowns. */
  cooldownKey: string;
  /** `provider|credential`: the unit of latency and load figures. */
  targetKey: string;
}

/** What a request needs from a model, to filter candidates before trying them. */
export interface Needs {
  streaming?: boolean;
  functions?: boolean;
  vision?: boolean;
  /** Estimated prompt plus requested output tokens, checked against context windows. */
  tokens?: number;
}

export interface RouterDeps {
  cooldowns: CooldownBook;
  stats: StatsBook;
  /** Shared round-robin cursor (the state layer's counter). */
  cursor: (key: string) => Promise<number>;
  random: () => number;
  now: () => number;
}

interface Tuple {
  served: Served;
  credential: Credential | undefined;
  weight: number;
  targetKey: string;
  cooldownKey: string;
}

interface Plan {
  tuples: Tuple[];
  /** Runs of equal priority, best first (for `priority`). */
  tiers: Tuple[][];
  /** Running sums of weights (for `weighted`). */
  cumulative: number[];
  /** Whether some priority tier has more than one candidate to rotate through. */
  tiersRotate: boolean;
}

interface Served {
  entry: ProviderEntry;
  upstreamModel: string;
  capabilities: Capabilities | undefined;
  protocol: WireFormat | undefined;
}

export class Router {
  readonly mapper: ModelMapper;
  private readonly built: BuiltProviders;
  private readonly settings: RoutingSettings;
  private readonly deps: RouterDeps;
  /** Plans by model, then by the needs' three flags as a number (0–7). */
  private readonly plans = new Map<string, Array<Plan | undefined>>();

  constructor(built: BuiltProviders, settings: RoutingSettings, deps: RouterDeps) {
    this.built = built;
    this.settings = settings;
    this.deps = deps;
    this.mapper = new ModelMapper(built.entries);
  }

  /** Forgets cached resolutions; called when a provider is switched on or off. */
  invalidate(): void {
    this.plans.clear();
  }

  strategyFor(model: string): Strategy {
    return this.settings.modelStrategies[model] ?? this.settings.strategy;
  }

  /**
   * Ordered candidates for `model`, at most `routing.max_attempts`, those of
   * `routing.fallbacks` after the model's own, cooling ones left out. Throws 404 (unknown
   * model, naming close matches), 503 (only disabled providers serve it), 400 (no provider
   * gives it what the request needs) or 429 `all_candidates_cooling` with `retry-after`.
   */
  async select(model: string, needs: Needs = {}): Promise<Candidate[]> {
    const chain = [model, ...(this.settings.fallbacks[model] ?? [])];
    const out: Candidate[] = [];
    const cooling: Cooldown[] = [];
    let firstError: GatewayError | undefined;
    for (let link = 0; link < chain.length; link++) {
      const name = chain[link] as string;
      let plan: Plan;
      try {
        plan = this.planFor(name, needs);
      } catch (error) {
        firstError ??= error as GatewayError;
        continue;
      }
      const strategy = this.strategyFor(name);
      const rotating = strategy === 'round_robin' || strategy === 'priority';
      const start = usesCursor(plan, strategy) ? await this.deps.cursor(`rr:${name}`) : 0;
      const before = out.length;
      // Cooling slots passed over before this link's first pick, in the pick's rotation
      // (its priority tier under `priority`): their turns are handed on by moving the cursor
      // past them, so the healthy share them evenly instead of the next one taking them all.
      let passed = 0;
      let passedTier: number | undefined;
      let tooLong = 0;
      for (const tuple of this.order(plan, strategy, start)) {
        if (exceedsWindow(tuple, needs)) {
          tooLong++;
          continue;
        }
        const tier = strategy === 'priority' ? tuple.served.entry.priority : 0;
        // The in-process state answers "no cooldown" at once for nearly every key.
        const cooldowns = this.deps.cooldowns;
        const cooldown = cooldowns.isClear(tuple.cooldownKey) ? undefined : await cooldowns.active(tuple.cooldownKey);
        if (cooldown !== undefined) {
          cooling.push(cooldown);
          if (rotating && out.length === before) {
            if (tier !== passedTier) passed = 0;
            passedTier = tier;
            passed++;
          }
          continue;
        }
        if (rotating && out.length === before && tier === passedTier) {
          for (let turn = 0; turn < passed; turn++) await this.deps.cursor(`rr:${name}`);
        }
        out.push(candidateOf(tuple, name));
        if (out.length >= this.settings.maxAttempts) return out;
      }
      if (tooLong > 0 && tooLong === plan.tuples.length) {
        const bigger = this.settings.contextWindowFallbacks[name] ?? [];
        for (const fallback of bigger) if (!chain.includes(fallback)) chain.splice(link + 1, 0, fallback);
        firstError ??= new GatewayError(400, 'invalid_request', `the request (about ${needs.tokens} tokens with its output) exceeds the context window of ${name} at every provider`, {
          param: 'messages',
          retryable: false,
          details: { type: 'context_length_exceeded' },
        });
      }
    }
    if (out.length > 0) return out;
    if (cooling.length > 0) throw allCooling(model, cooling, this.deps.now());
    throw firstError ?? new GatewayError(404, 'model_not_found', `model ${model} not found`);
  }

  /**
   * select()'s answer when it can be had without waiting on the state: the model has no
   * fallbacks, nothing rotates (so no shared cursor), every candidate fits the context
   * window and the in-process state knows every one is clear of cooldowns — the common
   * case, answered with no promise. Otherwise undefined, and the caller awaits select().
   */
  selectNow(model: string, needs: Needs = {}): Candidate[] | undefined {
    if (this.settings.fallbacks[model] !== undefined) return undefined;
    let plan: Plan;
    try {
      plan = this.planFor(model, needs);
    } catch {
      return undefined;
    }
    const strategy = this.strategyFor(model);
    if (usesCursor(plan, strategy)) return undefined;
    const out: Candidate[] = [];
    for (const tuple of this.order(plan, strategy, 0)) {
      if (exceedsWindow(tuple, needs)) return undefined;
      if (!this.deps.cooldowns.isClear(tuple.cooldownKey)) return undefined;
      out.push(candidateOf(tuple, model));
      if (out.length >= this.settings.maxAttempts) break;
    }
    return out.length > 0 ? out : undefined;
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
          return filterByNeeds(model, [servedBy(entry, upstreamModel)], needs);
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
    const found: Served[] = [];
    let disabled: string[] | undefined;
    for (const entry of this.built.entries.values()) {
      const name = entry.provider.name();
      if (!this.mapper.hasMapping(model, name) && !entry.provider.supportsModel(model)) continue;
      if (!registry.isEnabled(name)) {
        (disabled ??= []).push(name);
        continue;
      }
      const upstreamModel = this.mapper.mapModel(model, name);
      found.push(servedBy(entry, upstreamModel));
    }
    return { served: found, disabled };
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

  /** What `model` resolves to for these needs (tokens aside), computed once. */
  private planFor(model: string, needs: Needs): Plan {
    const flags = (needs.streaming === true ? 4 : 0) + (needs.functions === true ? 2 : 0) + (needs.vision === true ? 1 : 0);
    let byFlags = this.plans.get(model);
    const cached = byFlags?.[flags];
    if (cached !== undefined) return cached;
    const served = this.serving(model, needs);
    const tuples: Tuple[] = [];
    for (const item of served) {
      const name = item.entry.provider.name();
      const credentials: Array<Credential | undefined> = item.entry.credentials.length > 0 ? item.entry.credentials : [undefined];
      for (const credential of credentials) {
        const credentialId = credential?.id ?? '-';
        tuples.push({
          served: item,
          credential,
          weight: item.entry.weight * (credential?.weight ?? 1),
          targetKey: `${name}|${credentialId}`,
          cooldownKey: cooldownKey(name, credential === undefined ? '-' : `${credentialId}~${credential.fingerprint}`, item.upstreamModel),
        });
      }
    }
    const byPriority = [...tuples].sort((a, b) => b.served.entry.priority - a.served.entry.priority);
    const tiers: Tuple[][] = [];
    for (const tuple of byPriority) {
      const last = tiers.at(-1);
      if (last !== undefined && (last[0] as Tuple).served.entry.priority === tuple.served.entry.priority) last.push(tuple);
      else tiers.push([tuple]);
    }
    let sum = 0;
    const cumulative = tuples.map((tuple) => (sum += tuple.weight));
    const plan = { tuples, tiers, cumulative, tiersRotate: tiers.some((tier) => tier.length > 1) };
    if (byFlags === undefined) {
      // Pass-through names (`provider/anything`) are the client's to choose: keep the cache bounded.
      if (this.plans.size >= MAX_PLANS) this.plans.clear();
      byFlags = [];
      this.plans.set(model, byFlags);
    }
    byFlags[flags] = plan;
    return plan;
  }

  /**
   * least_* over many candidates: the best of a random sample first (the "power of d
   * choices" keeps load and latency near the exact optimum at a fixed cost), then the rest
   * from a random point, so ordering stays O(attempts) with 10,000 credentials.
   */
  private *sampledOrder(tuples: Tuple[], score: (tuple: Tuple) => number): Generator<Tuple> {
    const count = tuples.length;
    const picked = new Set<number>();
    while (picked.size < SAMPLE_SIZE) picked.add(Math.floor(this.deps.random() * count) % count);
    const sample = [...picked].sort((a, b) => score(tuples[a] as Tuple) - score(tuples[b] as Tuple));
    for (const index of sample) yield tuples[index] as Tuple;
    const start = Math.floor(this.deps.random() * count) % count;
    for (let i = 0; i < count; i++) {
      const index = (start + i) % count;
      if (!picked.has(index)) yield tuples[index] as Tuple;
    }
  }

  private *order(plan: Plan, strategy: Strategy, start: number): Generator<Tuple> {
    const tuples = plan.tuples;
    const count = tuples.length;
    if (count === 0) return;
    switch (strategy) {
      case 'capability':
      case 'fill_first':
        yield* tuples;
        return;
      case 'round_robin':
        for (let i = 0; i < count; i++) yield tuples[(start + i) % count] as Tuple;
        return;
      case 'priority':
        for (const tier of plan.tiers) for (let i = 0; i < tier.length; i++) yield tier[(start + i) % tier.length] as Tuple;
        return;
      case 'weighted': {
        // Draws by weight without repeats, so that a pick passed over (cooling) has its share
        // spread over the rest by weight instead of handed to its neighbour in the list. A
        // bounded number of draws covers what select() takes; any rest follows in list order.
        const total = plan.cumulative[count - 1] as number;
        const drawn = new Set<number>();
        const draws = Math.min(2 * count, 8 * this.settings.maxAttempts + 8);
        let last = 0;
        for (let draw = 0; draw < draws && drawn.size < count; draw++) {
          const index = bisect(plan.cumulative, this.deps.random() * total);
          if (drawn.has(index)) continue;
          drawn.add(index);
          last = index;
          yield tuples[index] as Tuple;
        }
        for (let i = 1; i <= count && drawn.size < count; i++) {
          const index = (last + i) % count;
          if (drawn.has(index)) continue;
          drawn.add(index);
          yield tuples[index] as Tuple;
        }
        return;
      }
      case 'least_busy':
      case 'least_latency': {
        const score = strategy === 'least_busy'
          ? (tuple: Tuple) => this.deps.stats.targetInFlight(tuple.targetKey)
          : (tuple: Tuple) => this.deps.stats.targetLatency(tuple.targetKey) ?? -1;
        if (count > EXACT_SCAN_LIMIT) {
          yield* this.sampledOrder(tuples, score);
          return;
        }
        const used = new Uint8Array(count);
        for (let round = 0; round < count; round++) {
          let best = -1;
          let bestScore = Number.POSITIVE_INFINITY;
          for (let i = 0; i < count; i++) {
            if (used[i] === 1) continue;
            const value = score(tuples[i] as Tuple);
            if (value < bestScore) {
              best = i;
              bestScore = value;
            }
          }
          used[best] = 1;
          yield tuples[best] as Tuple;
        }
        return;
      }
    }
  }
}

/** Above this many candidates, least_* strategies sample instead of scanning them all. */
const EXACT_SCAN_LIMIT = 64;
/**
 * Whether a strategy turns a shared cursor over this plan: round robin over more than one
 * candidate, priority with a tier of more than one. A rotation of one has nothing to turn,
 * and so no state round trip.
 */
function usesCursor(plan: Plan, strategy: Strategy): boolean {
  if (strategy === 'round_robin') return plan.tuples.length > 1;
  return strategy === 'priority' && plan.tiersRotate;
}

/** Whether the request (its estimated tokens) is over this candidate's context window. */
function exceedsWindow(tuple: Tuple, needs: Needs): boolean {
  const capabilities = tuple.served.capabilities;
  return needs.tokens !== undefined && capabilities !== undefined && capabilities.max_tokens > 0 && needs.tokens > capabilities.max_tokens;
}

function candidateOf(tuple: Tuple, model: string): Candidate {
  return {
    entry: tuple.served.entry,
    provider: tuple.served.entry.provider.name(),
    model,
    upstreamModel: tuple.served.upstreamModel,
    credential: tuple.credential,
    capabilities: tuple.served.capabilities,
    protocol: tuple.served.protocol,
    cooldownKey: tuple.cooldownKey,
    targetKey: tuple.targetKey,
  };
}

/** Models whose plans are cached at once. */
const MAX_PLANS = 10_000;

/** How many candidates a sampled least_* order compares. */
const SAMPLE_SIZE = 16;

/** First index whose running sum exceeds `target`. */
function bisect(cumulative: number[], target: number): number {
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((cumulative[middle] as number) > target) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** 429 when every candidate cools: which model, which providers, and when the first is back. */
function allCooling(model: string, cooling: Cooldown[], now: number): GatewayError {
  const first = Math.min(...cooling.map((cooldown) => cooldown.until));
  const retryAfter = Math.max(1, Math.ceil((first - now) / 1000));
  const providers = [...new Set(cooling.map((cooldown) => cooldown.provider))];
  const listed = cooling.slice(0, 10).map((cooldown) => `${cooldown.provider} (${cooldown.credential}: ${cooldown.reason} until ${new Date(cooldown.until).toISOString()})`);
  return new GatewayError(429, 'all_candidates_cooling',
    `all candidates for model ${model} are cooling down: ${listed.join(', ')}${cooling.length > 10 ? ', …' : ''}; the first is available again at ${new Date(first).toISOString()}`, {
      retryable: false,
      headers: { 'retry-after': String(retryAfter) },
      details: {
        model,
        providers,
        reset_at: new Date(first).toISOString(),
        cooldowns: cooling.map((cooldown) => ({ provider: cooldown.provider, credential: cooldown.credential, model: cooldown.model, reason: cooldown.reason, until: new Date(cooldown.until).toISOString() })),
      },
    });
}

function modelOf(entry: ProviderEntry, upstreamModel: string): ModelInfo | undefined {
  for (const model of entry.provider.listModels()) if (model.name === upstreamModel) return model;
  return undefined;
}

function servedBy(entry: ProviderEntry, upstreamModel: string): Served {
  const model = modelOf(entry, upstreamModel);
  return { entry, upstreamModel, capabilities: model?.capabilities, protocol: model?.protocol };
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
