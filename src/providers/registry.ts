/**
 * The provider registry (the seed's ProviderRegistry): providers by name and by category,
 * each with an enabled switch. Reads are lock-free; the gateway swaps whole registries on
 * a config reload, so a request sees one consistent registry from start to end.
 */
import type { Provider, ProviderCategory } from './types.ts';

export class DuplicateProviderError extends Error {
  constructor(name: string) {
    super(`provider already registered: ${name}`);
    this.name = 'DuplicateProviderError';
  }
}

export class ProviderRegistry {
  private readonly providers = new Map<string, Provider>();
  private readonly byType = new Map<ProviderCategory, Provider[]>();
  private readonly enabled = new Map<string, boolean>();

  /** Registers a provider; a second provider with the same name is refused. */
  register(provider: Provider, enabled = true): void {
    const name = provider.name();
    if (this.providers.has(name)) throw new DuplicateProviderError(name);
    this.providers.set(name, provider);
    const list = this.byType.get(provider.type()) ?? [];
    list.push(provider);
    this.byType.set(provider.type(), list);
    this.enabled.set(name, enabled);
  }

  get(name: string): Provider | undefined {
    return this.providers.get(name);
  }

  has(name: string): boolean {
    return this.providers.has(name);
  }

  listByType(type: ProviderCategory): Provider[] {
    return [...(this.byType.get(type) ?? [])];
  }

  listAll(): Provider[] {
    return [...this.providers.values()];
  }

  listEnabled(): Provider[] {
    return this.listAll().filter((provider) => this.enabled.get(provider.name()) === true);
  }

  isEnabled(name: string): boolean {
    return this.enabled.get(name) === true;
  }

  /** Returns false when no such provider exists. */
  setEnabled(name: string, value: boolean): boolean {
    if (!this.providers.has(name)) return false;
    this.enabled.set(name, value);
    return true;
  }
}
