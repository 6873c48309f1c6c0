/**
 * The seed's ModelMapper: a client-facing model name to each provider's own name.
 * Per-provider `model_mappings` override the built-in defaults; unknown names pass through.
 */
import type { ProviderEntry } from '../providers/build.ts';

export class ModelMapper {
  private readonly mappings: Map<string, Record<string, string>>;

  constructor(entries: ReadonlyMap<string, ProviderEntry>) {
    this.mappings = new Map([...entries].map(([name, entry]) => [name, entry.mappings]));
  }

  /** The upstream name of `model` at `provider`; the name itself when nothing maps it. */
  mapModel(model: string, provider: string): string {
    const table = this.mappings.get(provider);
    return table !== undefined && Object.hasOwn(table, model) ? (table[model] as string) : model;
  }

  /** Whether `provider` has an explicit mapping for `model`. */
  hasMapping(model: string, provider: string): boolean {
    const table = this.mappings.get(provider);
    return table !== undefined && Object.hasOwn(table, model);
  }

  /** Every client-facing alias of every provider: `alias → [provider, upstream]`. */
  aliases(): Array<{ alias: string; provider: string; upstream: string }> {
    const out: Array<{ alias: string; provider: string; upstream: string }> = [];
    for (const [provider, table] of this.mappings) {
      for (const [alias, upstream] of Object.entries(table)) out.push({ alias, provider, upstream });
    }
    return out;
  }
}
