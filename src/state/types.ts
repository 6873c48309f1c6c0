/**
 * The state layer's contract: everything that must be shared between instances or survive
 * a restart goes through it (DESIGN.md, "State"). The rest of the code never knows where
 * state lives. Methods are async so that a networked driver (Redis) fits the same shape;
 * the in-process driver answers at once.
 */

export interface Cooldown {
  /** `provider|credential|model`. */
  key: string;
  provider: string;
  credential: string;
  model: string;
  /** Unix ms when the cooldown ends. */
  until: number;
  /** Unix ms when it began. */
  since: number;
  /** Why: `rate_limited`, `auth_failed`, `not_found`, `upstream_error`, `unreachable`. */
  reason: string;
  status: number | null;
  message: string;
  /** Consecutive failures of this kind, for exponential backoff. */
  strikes: number;
}

export interface WindowReservation {
  allowed: boolean;
  /** Total in the window after this reservation (when allowed) or before it (when not). */
  used: number;
  /** When not allowed: milliseconds until enough of the window has expired. */
  retryAfterMs: number;
  /** Identifies the entry, to correct its amount later. */
  id: string | undefined;
}

/** One request, as persisted for usage statistics (never a key: `client` is a hash). */
export interface UsageRecord {
  /** Unix ms. */
  time: number;
  /** SHA-256 (hex, first 16 chars) of the client key, or `anonymous`. */
  client: string;
  provider: string;
  credential: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  latencyMs: number;
  status: number;
}

export type UsageGroup = 'hour' | 'day' | 'model' | 'provider' | 'client';

export interface UsageQuery {
  from?: number;
  to?: number;
  model?: string;
  provider?: string;
  client?: string;
  /** Without it, the records themselves (newest first, up to `limit`). */
  groupBy?: UsageGroup;
  limit?: number;
}

export interface UsageAggregate {
  /** The group's value: an ISO hour/day start, or the model/provider/client. */
  key: string;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  /** Mean latency in ms. */
  latencyMs: number;
}

export interface StateHealth {
  driver: string;
  ok: boolean;
  /** Human-readable: why not ok, or which backend serves. */
  detail: string;
}

export interface StateStore {
  readonly driver: string;

  getCooldown(key: string): Promise<Cooldown | undefined>;
  /**
   * In-process drivers only: true when `key` has neither a cooldown nor strikes, answered
   * synchronously so the hot path skips two awaits per request. Undefined (not implemented,
   * or unknown) means ask the async methods.
   */
  isClear?(key: string): boolean | undefined;
  setCooldown(cooldown: Cooldown): Promise<void>;
  /** Clears one cooldown, or every one matching a filter; returns how many were cleared. */
  clearCooldowns(filter?: { key?: string; provider?: string; credential?: string; model?: string }): Promise<number>;
  listCooldowns(now: number): Promise<Cooldown[]>;
  /** Consecutive-failure counters outlive a cooldown's end; success resets them. */
  strikes(key: string): Promise<number>;
  resetStrikes(key: string): Promise<void>;

  /**
   * Atomically adds `amount` to a sliding window of `windowMs` ending `now`, unless that
   * would exceed `limit`. Entries older than the window are forgotten.
   */
  reserve(key: string, limit: number, windowMs: number, amount: number, now: number): Promise<WindowReservation>;
  /** Replaces a reserved amount with the real one (estimated tokens → actual usage). */
  adjust(key: string, id: string, amount: number): Promise<void>;
  /** Sum of a window without adding to it. */
  windowUsage(key: string, windowMs: number, now: number): Promise<number>;

  /** A shared counter, for round-robin cursors. */
  increment(key: string): Promise<number>;

  /** Stores `record`; a driver may keep the object itself, so the caller must not change it afterwards. */
  recordUsage(record: UsageRecord): Promise<void>;
  queryUsage(query: UsageQuery): Promise<UsageRecord[] | UsageAggregate[]>;
  /** Drops records older than `before` (unix ms); returns how many. */
  pruneUsage(before: number): Promise<number>;
  /** Adds exported records (idempotent per identical record). */
  importUsage(records: UsageRecord[]): Promise<number>;

  /** Small JSON documents that must be shared, e.g. OAuth tokens by credential id. */
  getDocument(key: string): Promise<string | undefined>;
  putDocument(key: string, value: string): Promise<void>;
  /**
   * A lock across instances (one token refresh per credential at a time). Resolves with a
   * release function, or undefined when another holder has it; expires after `ttlMs`.
   */
  tryLock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;

  health(): StateHealth;
  close(): Promise<void>;
}
