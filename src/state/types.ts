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

export interface StateStore {
  readonly driver: string;

  getCooldown(key: string): Promise<Cooldown | undefined>;
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

  close(): Promise<void>;
}
