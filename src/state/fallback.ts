/**
 * The `redis` driver as the gateway runs it: a RedisState in front of a local store, so that
 * no request fails because Redis is down (issue 6).
 *
 * While Redis answers, every call goes to it, and what this instance writes or reads of
 * cooldowns, strikes and documents (OAuth tokens) is mirrored into the local store. When a
 * command fails or the connection drops (commands time out after 500 ms and are never
 * queued while disconnected), the wrapper switches to the local store at once, reports
 * `{ driver: 'redis', ok: false, detail: 'redis unreachable since …; serving from local state' }`
 * and keeps a journal of the cooldown, strike, document and usage writes it serves. When
 * ioredis reconnects and PING answers, it replays the journal into Redis — idempotently:
 * a cooldown is written only when Redis has none ending later, usage goes through
 * `importUsage`, which skips records already there — and switches back.
 *
 * What falling back costs, while Redis is unreachable:
 * - Rate limits are per instance: each instance starts an empty window, so N instances let
 *   through up to N times a shared limit; reservations made locally are not pushed back.
 * - Round-robin cursors are per instance and restart, so spreading is only per instance.
 * - Cooldowns set, and successes recorded, by other instances are not seen; this instance
 *   sees only what it set or read before the outage and what it sets during it.
 * - Locks are per instance: two instances may refresh the same OAuth token at once.
 * - Usage queries answer from this instance's local records only; after resynchronisation
 *   Redis has everything recorded meanwhile. The journal lives in memory (at most
 *   `maxJournal` usage records; older ones are dropped from it, not from the local store),
 *   so a restart during an outage leaves that instance's outage usage only in its local file.
 * - A command that timed out may still run in Redis later (a reservation, say), so a slow
 *   Redis can count a few requests twice, never fewer; and token estimates reserved in Redis
 *   before the outage are not corrected.
 * Any failed command counts as Redis being unreachable, a reply error included: the call is
 * served locally, and the next probe (PING) switches back if Redis answers.
 */
import type { RedisState } from './redis.ts';
import type { Cooldown, StateHealth, StateStore, UsageAggregate, UsageQuery, UsageRecord, WindowReservation } from './types.ts';

/** Marks reservation ids handed out by the local store, so `adjust` finds them after a switch. */
const LOCAL_ID = 'local:';

type CooldownFilter = { key?: string; provider?: string; credential?: string; model?: string };

type JournalEntry =
  | { kind: 'cooldown'; cooldown: Cooldown }
  | { kind: 'clear'; filter: CooldownFilter }
  | { kind: 'reset'; key: string }
  | { kind: 'document'; key: string; value: string };

export interface ResilientStateOptions {
  /** Should fail fast: a short `commandTimeoutMs` and `offlineQueue: false`. */
  primary: RedisState;
  /** Serves while Redis is unreachable: a LocalState (survives a restart) or a MemoryState. */
  fallback: StateStore;
  /** Called on every switch, with the new health; the gateway logs it. */
  onChange?: (health: StateHealth) => void;
  /** How often to try Redis again while serving locally; default 1000 ms. */
  probeIntervalMs?: number;
  /** Usage records (and, separately, other writes) kept for resynchronisation; default 100 000. */
  maxJournal?: number;
  now?: () => number;
}

export class ResilientState implements StateStore {
  readonly driver = 'redis';
  private readonly primary: RedisState;
  private readonly fallback: StateStore;
  private readonly onChange: ((health: StateHealth) => void) | undefined;
  private readonly probeIntervalMs: number;
  private readonly maxJournal: number;
  private readonly now: () => number;
  private downSince: number | undefined;
  private downReason = '';
  private journal: JournalEntry[] = [];
  private usageJournal: UsageRecord[] = [];
  private droppedUsage = 0;
  private probeTimer: NodeJS.Timeout | undefined;
  private syncing = false;
  private closed = false;

  constructor(options: ResilientStateOptions) {
    this.primary = options.primary;
    this.fallback = options.fallback;
    this.onChange = options.onChange;
    this.probeIntervalMs = options.probeIntervalMs ?? 1000;
    this.maxJournal = options.maxJournal ?? 100_000;
    this.now = options.now ?? Date.now;
    this.primary.client.on('close', () => {
      if (!this.closed) this.markDown(new Error(this.primary.error ?? 'connection closed'));
    });
    this.primary.client.on('ready', () => {
      void this.resynchronise();
    });
  }

  /** Waits up to `timeoutMs` for Redis; when it does not answer, starts serving locally. */
  async start(timeoutMs = 2000): Promise<this> {
    if (!(await this.primary.ready(timeoutMs))) this.markDown(new Error(this.primary.error ?? 'no answer'));
    return this;
  }

  /** True while calls are served by the local store. */
  get degraded(): boolean {
    return this.downSince !== undefined;
  }

  private markDown(error: unknown): void {
    if (this.closed || this.downSince !== undefined) return;
    this.downSince = this.now();
    this.downReason = error instanceof Error ? error.message : String(error);
    this.probeTimer = setInterval(() => void this.resynchronise(), this.probeIntervalMs);
    this.probeTimer.unref();
    this.emit();
  }

  private emit(): void {
    try {
      this.onChange?.(this.health());
    } catch {
      // A logger's failure must not change how state is served.
    }
  }

  /**
   * Serves a call from Redis while it is up; on any failure switches to the local store and
   * serves the call from it instead.
   */
  private async serve<T>(remote: () => Promise<T>, local: () => Promise<T>): Promise<T> {
    if (this.downSince === undefined) {
      try {
        return await remote();
      } catch (error) {
        this.markDown(error);
      }
    }
    return local();
  }

  /** Keeps the local store in step with what this instance saw in Redis; never fails the caller. */
  private async mirror(body: () => Promise<unknown>): Promise<void> {
    try {
      await body();
    } catch {
      // The local store is a fallback; its own health() reports disk trouble.
    }
  }

  private record(entry: JournalEntry): void {
    this.journal.push(entry);
    if (this.journal.length > this.maxJournal) this.journal.shift();
  }

  /** Replays what was written locally into Redis, then switches back. One run at a time. */
  async resynchronise(): Promise<boolean> {
    if (this.downSince === undefined) return true;
    if (this.syncing || this.closed) return false;
    this.syncing = true;
    try {
      await this.primary.ping();
      while (this.journal.length > 0 || this.usageJournal.length > 0) {
        while (this.journal.length > 0) {
          await this.replay(this.journal[0] as JournalEntry);
          this.journal.shift();
        }
        while (this.usageJournal.length > 0) {
          const batch = this.usageJournal.slice(0, 500);
          await this.primary.importUsage(batch);
          this.usageJournal.splice(0, batch.length);
        }
      }
      // No await between the empty check above and here: nothing can slip into the journal.
      this.downSince = undefined;
      this.downReason = '';
      this.droppedUsage = 0;
      if (this.probeTimer !== undefined) clearInterval(this.probeTimer);
      this.probeTimer = undefined;
      this.emit();
      return true;
    } catch (error) {
      this.downReason = error instanceof Error ? error.message : String(error);
      return false;
    } finally {
      this.syncing = false;
    }
  }

  private async replay(entry: JournalEntry): Promise<void> {
    switch (entry.kind) {
      case 'cooldown': {
        const existing = await this.primary.getCooldown(entry.cooldown.key);
        if (existing !== undefined && existing.until >= entry.cooldown.until) return;
        await this.primary.setCooldown(entry.cooldown);
        return;
      }
      case 'clear':
        await this.primary.clearCooldowns(entry.filter);
        return;
      case 'reset':
        await this.primary.resetStrikes(entry.key);
        return;
      case 'document':
        await this.primary.putDocument(entry.key, entry.value);
        return;
    }
  }

  async getCooldown(key: string): Promise<Cooldown | undefined> {
    return this.serve(async () => {
      const cooldown = await this.primary.getCooldown(key);
      const known = await this.fallback.getCooldown(key);
      if (cooldown !== undefined && (known === undefined || known.until !== cooldown.until || known.strikes !== cooldown.strikes)) {
        await this.mirror(() => this.fallback.setCooldown(cooldown));
      } else if (cooldown === undefined && known !== undefined && known.until > this.now()) {
        // Cleared elsewhere: forget it here too, or an outage would resurrect it.
        await this.mirror(() => this.fallback.clearCooldowns({ key }));
      }
      return cooldown;
    }, () => this.fallback.getCooldown(key));
  }

  async setCooldown(cooldown: Cooldown): Promise<void> {
    return this.serve(async () => {
      await this.primary.setCooldown(cooldown);
      await this.mirror(() => this.fallback.setCooldown(cooldown));
    }, async () => {
      await this.fallback.setCooldown(cooldown);
      this.record({ kind: 'cooldown', cooldown });
    });
  }

  async clearCooldowns(filter: CooldownFilter = {}): Promise<number> {
    return this.serve(async () => {
      const cleared = await this.primary.clearCooldowns(filter);
      await this.mirror(() => this.fallback.clearCooldowns(filter));
      return cleared;
    }, async () => {
      const cleared = await this.fallback.clearCooldowns(filter);
      this.record({ kind: 'clear', filter: { ...filter } });
      return cleared;
    });
  }

  listCooldowns(now: number): Promise<Cooldown[]> {
    return this.serve(() => this.primary.listCooldowns(now), () => this.fallback.listCooldowns(now));
  }

  strikes(key: string): Promise<number> {
    return this.serve(() => this.primary.strikes(key), () => this.fallback.strikes(key));
  }

  async resetStrikes(key: string): Promise<void> {
    return this.serve(async () => {
      await this.primary.resetStrikes(key);
      await this.mirror(() => this.fallback.resetStrikes(key));
    }, async () => {
      await this.fallback.resetStrikes(key);
      this.record({ kind: 'reset', key });
    });
  }

  reserve(key: string, limit: number, windowMs: number, amount: number, now: number): Promise<WindowReservation> {
    return this.serve(() => this.primary.reserve(key, limit, windowMs, amount, now), async () => {
      const reservation = await this.fallback.reserve(key, limit, windowMs, amount, now);
      return reservation.id === undefined ? reservation : { ...reservation, id: `${LOCAL_ID}${reservation.id}` };
    });
  }

  async adjust(key: string, id: string, amount: number): Promise<void> {
    // A reservation is corrected where it was made, whichever store serves now.
    if (id.startsWith(LOCAL_ID)) return this.fallback.adjust(key, id.slice(LOCAL_ID.length), amount);
    if (this.downSince !== undefined) return;
    try {
      await this.primary.adjust(key, id, amount);
    } catch (error) {
      this.markDown(error);
    }
  }

  windowUsage(key: string, windowMs: number, now: number): Promise<number> {
    return this.serve(() => this.primary.windowUsage(key, windowMs, now), () => this.fallback.windowUsage(key, windowMs, now));
  }

  increment(key: string): Promise<number> {
    return this.serve(() => this.primary.increment(key), () => this.fallback.increment(key));
  }

  async recordUsage(record: UsageRecord): Promise<void> {
    return this.serve(() => this.primary.recordUsage(record), async () => {
      await this.fallback.recordUsage(record);
      this.journalUsage([record]);
    });
  }

  private journalUsage(records: UsageRecord[]): void {
    this.usageJournal.push(...records);
    if (this.usageJournal.length > this.maxJournal) {
      const excess = this.usageJournal.length - this.maxJournal;
      this.usageJournal.splice(0, excess);
      this.droppedUsage += excess;
    }
  }

  queryUsage(query: UsageQuery): Promise<UsageRecord[] | UsageAggregate[]> {
    return this.serve(() => this.primary.queryUsage(query), () => this.fallback.queryUsage(query));
  }

  async pruneUsage(before: number): Promise<number> {
    return this.serve(async () => {
      const pruned = await this.primary.pruneUsage(before);
      await this.mirror(() => this.fallback.pruneUsage(before));
      return pruned;
    }, () => this.fallback.pruneUsage(before));
  }

  async importUsage(records: UsageRecord[]): Promise<number> {
    return this.serve(() => this.primary.importUsage(records), async () => {
      const added = await this.fallback.importUsage(records);
      this.journalUsage(records);
      return added;
    });
  }

  async getDocument(key: string): Promise<string | undefined> {
    return this.serve(async () => {
      const value = await this.primary.getDocument(key);
      if (value !== undefined && value !== await this.fallback.getDocument(key)) await this.mirror(() => this.fallback.putDocument(key, value));
      return value;
    }, () => this.fallback.getDocument(key));
  }

  async putDocument(key: string, value: string): Promise<void> {
    return this.serve(async () => {
      await this.primary.putDocument(key, value);
      await this.mirror(() => this.fallback.putDocument(key, value));
    }, async () => {
      await this.fallback.putDocument(key, value);
      this.record({ kind: 'document', key, value });
    });
  }

  async tryLock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    return this.serve(async () => {
      const release = await this.primary.tryLock(key, ttlMs);
      if (release === undefined) return undefined;
      return async () => {
        // Unreachable now: the lock expires by its ttl instead.
        await release().catch(() => {});
      };
    }, () => this.fallback.tryLock(key, ttlMs));
  }

  health(): StateHealth {
    if (this.downSince === undefined) return { driver: this.driver, ok: true, detail: `redis at ${this.primary.target}` };
    const since = new Date(this.downSince).toISOString();
    const reason = this.downReason === '' ? '' : ` (${this.downReason})`;
    const pending = this.journal.length + this.usageJournal.length;
    const backlog = pending === 0 ? '' : `; ${pending} writes to resynchronise${this.droppedUsage > 0 ? `, ${this.droppedUsage} usage records beyond the journal` : ''}`;
    return { driver: this.driver, ok: false, detail: `redis unreachable since ${since}${reason}; serving from local state${backlog}` };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.probeTimer !== undefined) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    await this.primary.close();
    await this.fallback.close();
  }
}
