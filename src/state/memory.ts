/**
 * The in-process state driver: maps and sliding-window logs in memory. It answers at once
 * (its promises are already settled) and is the hot-path baseline the other drivers are
 * measured against.
 */
import type { Cooldown, StateHealth, StateStore, UsageAggregate, UsageQuery, UsageRecord, WindowReservation } from './types.ts';
import { aggregateUsage, filterUsage, usageIdentity } from './usage-aggregate.ts';

interface Entry {
  id: string;
  at: number;
  amount: number;
}

class SlidingLog {
  entries: Entry[] = [];
  head = 0;
  total = 0;

  prune(cutoff: number): void {
    while (this.head < this.entries.length && (this.entries[this.head] as Entry).at <= cutoff) {
      this.total -= (this.entries[this.head] as Entry).amount;
      this.head++;
    }
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /** Milliseconds until at least `excess` has left the window. */
  waitFor(excess: number, windowMs: number, now: number): number {
    let freed = 0;
    for (let index = this.head; index < this.entries.length; index++) {
      const entry = this.entries[index] as Entry;
      freed += entry.amount;
      if (freed >= excess) return Math.max(1, entry.at + windowMs - now);
    }
    return windowMs;
  }
}

/** Usage records kept by the memory driver; older ones are dropped. */
export const MAX_USAGE_RECORDS = 100_000;

export class MemoryState implements StateStore {
  readonly driver = 'memory';
  private readonly cooldowns = new Map<string, Cooldown>();
  private readonly strikeCounts = new Map<string, number>();
  private readonly logs = new Map<string, SlidingLog>();
  private readonly counters = new Map<string, number>();
  private readonly documents = new Map<string, string>();
  private readonly locks = new Map<string, number>();
  private usage: UsageRecord[] = [];
  private sequence = 0;

  isClear(key: string): boolean {
    return !this.cooldowns.has(key) && !this.strikeCounts.has(key);
  }

  async getCooldown(key: string): Promise<Cooldown | undefined> {
    return this.cooldowns.get(key);
  }

  async setCooldown(cooldown: Cooldown): Promise<void> {
    this.cooldowns.set(cooldown.key, cooldown);
    this.strikeCounts.set(cooldown.key, cooldown.strikes);
  }

  async clearCooldowns(filter: { key?: string; provider?: string; credential?: string; model?: string } = {}): Promise<number> {
    let cleared = 0;
    for (const [key, cooldown] of this.cooldowns) {
      if (filter.key !== undefined && key !== filter.key) continue;
      if (filter.provider !== undefined && cooldown.provider !== filter.provider) continue;
      if (filter.credential !== undefined && cooldown.credential !== filter.credential) continue;
      if (filter.model !== undefined && cooldown.model !== filter.model) continue;
      this.cooldowns.delete(key);
      this.strikeCounts.delete(key);
      cleared++;
    }
    return cleared;
  }

  async listCooldowns(now: number): Promise<Cooldown[]> {
    const out: Cooldown[] = [];
    for (const [key, cooldown] of this.cooldowns) {
      if (cooldown.until <= now) this.cooldowns.delete(key);
      else out.push(cooldown);
    }
    return out;
  }

  async strikes(key: string): Promise<number> {
    return this.strikeCounts.get(key) ?? 0;
  }

  async resetStrikes(key: string): Promise<void> {
    this.strikeCounts.delete(key);
  }

  async reserve(key: string, limit: number, windowMs: number, amount: number, now: number): Promise<WindowReservation> {
    let log = this.logs.get(key);
    if (log === undefined) {
      log = new SlidingLog();
      this.logs.set(key, log);
    }
    log.prune(now - windowMs);
    if (log.total + amount > limit && amount > 0) {
      const excess = log.total + amount - limit;
      return { allowed: false, used: log.total, retryAfterMs: log.waitFor(excess, windowMs, now), id: undefined };
    }
    const id = String(++this.sequence);
    log.entries.push({ id, at: now, amount });
    log.total += amount;
    return { allowed: true, used: log.total, retryAfterMs: 0, id };
  }

  async adjust(key: string, id: string, amount: number): Promise<void> {
    const log = this.logs.get(key);
    if (log === undefined) return;
    for (let index = log.entries.length - 1; index >= log.head; index--) {
      const entry = log.entries[index] as Entry;
      if (entry.id !== id) continue;
      log.total += amount - entry.amount;
      entry.amount = amount;
      return;
    }
  }

  async windowUsage(key: string, windowMs: number, now: number): Promise<number> {
    const log = this.logs.get(key);
    if (log === undefined) return 0;
    log.prune(now - windowMs);
    return log.total;
  }

  async increment(key: string): Promise<number> {
    const value = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, value);
    return value;
  }

  async recordUsage(record: UsageRecord): Promise<void> {
    this.usage.push(record);
    // In memory, usage is a recent window, not a history: the local driver persists it.
    if (this.usage.length > MAX_USAGE_RECORDS * 1.1) this.usage = this.usage.slice(-MAX_USAGE_RECORDS);
  }

  async queryUsage(query: UsageQuery): Promise<UsageRecord[] | UsageAggregate[]> {
    const matching = filterUsage(this.usage, query);
    if (query.groupBy !== undefined) return aggregateUsage(matching, query.groupBy);
    return matching.sort((a, b) => b.time - a.time).slice(0, query.limit ?? 1000);
  }

  async pruneUsage(before: number): Promise<number> {
    const kept = this.usage.filter((record) => record.time >= before);
    const dropped = this.usage.length - kept.length;
    this.usage = kept;
    return dropped;
  }

  async importUsage(records: UsageRecord[]): Promise<number> {
    const known = new Set(this.usage.map(usageIdentity));
    let added = 0;
    for (const record of records) {
      const identity = usageIdentity(record);
      if (known.has(identity)) continue;
      known.add(identity);
      this.usage.push(record);
      added++;
    }
    return added;
  }

  async getDocument(key: string): Promise<string | undefined> {
    return this.documents.get(key);
  }

  async putDocument(key: string, value: string): Promise<void> {
    this.documents.set(key, value);
  }

  async tryLock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const now = Date.now();
    const held = this.locks.get(key);
    if (held !== undefined && held > now) return undefined;
    const until = now + ttlMs;
    this.locks.set(key, until);
    return async () => {
      if (this.locks.get(key) === until) this.locks.delete(key);
    };
  }

  health(): StateHealth {
    return { driver: this.driver, ok: true, detail: 'in-process memory' };
  }

  async close(): Promise<void> {}
}
