/**
 * Ends cooldowns early when the upstream is back: every `routing.probe_interval`, each
 * cooling credential whose cooldown has longer to run than one interval is probed with its
 * provider's health check (a model listing, which costs no tokens), and a success clears
 * the cooldown. Users' most common complaint about peers is a cooldown that outlives the
 * upstream's own reset.
 */
import type { ProviderEntry } from '../providers/build.ts';
import type { CooldownBook } from './cooldowns.ts';

export interface ProberOptions {
  cooldowns: CooldownBook;
  entries: () => ReadonlyMap<string, ProviderEntry>;
  intervalMs: () => number;
  now: () => number;
  onCleared?: (key: string) => void;
}

export class CooldownProber {
  private readonly options: ProberOptions;
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(options: ProberOptions) {
    this.options = options;
  }

  start(): void {
    const interval = this.options.intervalMs();
    if (interval <= 0) return;
    this.timer = setInterval(() => void this.probeOnce(), interval);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round of probes; returns the keys whose cooldown ended. */
  async probeOnce(): Promise<string[]> {
    if (this.running) return [];
    this.running = true;
    const cleared: string[] = [];
    try {
      const now = this.options.now();
      const interval = this.options.intervalMs();
      for (const cooldown of await this.options.cooldowns.list()) {
        if (cooldown.until - now <= interval) continue;
        const entry = this.options.entries().get(cooldown.provider);
        const http = entry?.http;
        if (entry === undefined || http === undefined || http.settings.healthPath === undefined) continue;
        const credential = entry.credentials.find((item) => item.id === cooldown.credential);
        try {
          await http.healthCheck(AbortSignal.timeout(10_000), credential);
        } catch {
          continue;
        }
        await this.options.cooldowns.clear({ key: cooldown.key });
        cleared.push(cooldown.key);
        this.options.onCleared?.(cooldown.key);
      }
    } finally {
      this.running = false;
    }
    return cleared;
  }
}
