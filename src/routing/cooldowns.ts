/**
 * Cooldowns per credential and model (PROTOCOLS.md, "Cooldown semantics"): how long a
 * failure benches a candidate, kept in the state layer so every instance sees it.
 * - 429: the upstream's hint (retry-after, retry-after-ms, RetryInfo, error text), else
 *   `rate_limit_duration`, else exponential from 1 s per consecutive 429; hints and
 *   backoff capped by `routing.max_cooldown` (30 min).
 * - 401/402/403: `default_duration` (30 min).
 * - 404 (model not found for that credential): `not_found_duration` (3 h).
 * - 408/5xx, connection failures, timeouts: `error_duration` (1 min).
 * A success clears the candidate's cooldown and its strike count; failures of attempts
 * still in flight when a cooldown began add no strike (they are the same episode).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CooldownSettings } from '../config/schema.ts';
import type { Cooldown, StateStore } from '../state/types.ts';
import { retryHintMs } from './retry-hints.ts';

export interface Failure {
  status: number;
  /** A stable gateway code (`upstream_unreachable`, `upstream_timeout`, `upstream_error`). */
  code: string;
  headers?: IncomingHttpHeaders;
  body?: string;
  message: string;
}

export interface CooldownPolicy {
  enabled: boolean;
  authMs: number;
  rateLimitMs: number | undefined;
  errorMs: number;
  notFoundMs: number;
  maxMs: number;
}

export const DEFAULT_POLICY: CooldownPolicy = {
  enabled: true,
  authMs: 30 * 60_000,
  rateLimitMs: undefined,
  errorMs: 60_000,
  notFoundMs: 3 * 3_600_000,
  maxMs: 30 * 60_000,
};

export function policyFrom(settings: CooldownSettings | undefined, maxMs: number): CooldownPolicy {
  return {
    enabled: settings?.enabled ?? true,
    authMs: settings?.default_duration ?? DEFAULT_POLICY.authMs,
    rateLimitMs: settings?.rate_limit_duration,
    errorMs: settings?.error_duration ?? DEFAULT_POLICY.errorMs,
    notFoundMs: settings?.not_found_duration ?? DEFAULT_POLICY.notFoundMs,
    maxMs,
  };
}

/** The reason and length of the cooldown a failure earns; undefined when it earns none. */
export function cooldownFor(failure: Failure, strikes: number, policy: CooldownPolicy, now: number): { reason: string; durationMs: number } | undefined {
  const status = failure.status;
  if (status === 429) {
    const hint = retryHintMs(failure.headers ?? {}, failure.body ?? failure.message, now);
    if (hint !== undefined) return { reason: 'rate_limited', durationMs: Math.min(Math.max(hint, 1000), policy.maxMs) };
    if (policy.rateLimitMs !== undefined) return { reason: 'rate_limited', durationMs: policy.rateLimitMs };
    return { reason: 'rate_limited', durationMs: Math.min(1000 * 2 ** Math.max(0, strikes - 1), policy.maxMs) };
  }
  if (status === 401 || status === 402 || status === 403) return { reason: 'auth_failed', durationMs: policy.authMs };
  if (status === 404) return { reason: 'not_found', durationMs: policy.notFoundMs };
  if (status === 408 || status >= 500) {
    const reason = failure.code === 'upstream_unreachable' ? 'unreachable' : failure.code === 'upstream_timeout' ? 'timeout' : 'upstream_error';
    return { reason, durationMs: policy.errorMs };
  }
  return undefined;
}

export function cooldownKey(provider: string, credential: string, model: string): string {
  return `${provider}|${credential}|${model}`;
}

export class CooldownBook {
  private readonly state: StateStore;
  private readonly now: () => number;

  constructor(state: StateStore, now: () => number) {
    this.state = state;
    this.now = now;
  }

  /** True when the state knows at once that `key` has no cooldown and no strikes. */
  isClear(key: string): boolean {
    return this.state.isClear?.(key) === true;
  }

  /** The live cooldown of a candidate, if any. */
  async active(key: string): Promise<Cooldown | undefined> {
    const cooldown = await this.state.getCooldown(key);
    return cooldown !== undefined && cooldown.until > this.now() ? cooldown : undefined;
  }

  /**
   * `target.key` overrides the key made from provider, credential id and model: routing
   * keys cooldowns by the credential's fingerprint too, so that a key removed from the
   * config does not hand its cooldown to the key that takes its position.
   */
  async recordFailure(target: { provider: string; credential: string; model: string; key?: string }, failure: Failure, policy: CooldownPolicy): Promise<Cooldown | undefined> {
    if (!policy.enabled) return undefined;
    const key = target.key ?? cooldownKey(target.provider, target.credential, target.model);
    const now = this.now();
    const current = await this.active(key);
    // Attempts already in flight when a concurrent one benched the candidate belong to the
    // same episode: a burst of eight parallel 429s is one strike (1 s), not eight (128 s).
    const strikes = current !== undefined ? current.strikes : (await this.state.strikes(key)) + 1;
    const decided = cooldownFor(failure, strikes, policy, now);
    if (decided === undefined) return undefined;
    if (current !== undefined && current.until >= now + decided.durationMs) return current;
    const cooldown: Cooldown = {
      key,
      provider: target.provider,
      credential: target.credential,
      model: target.model,
      since: now,
      until: now + decided.durationMs,
      reason: decided.reason,
      status: failure.status,
      message: failure.message.slice(0, 300),
      strikes,
    };
    await this.state.setCooldown(cooldown);
    return cooldown;
  }

  async recordSuccess(key: string): Promise<void> {
    if (this.isClear(key)) return;
    if ((await this.state.strikes(key)) === 0 && (await this.state.getCooldown(key)) === undefined) return;
    await this.state.clearCooldowns({ key });
    await this.state.resetStrikes(key);
  }

  list(): Promise<Cooldown[]> {
    return this.state.listCooldowns(this.now());
  }

  clear(filter?: { key?: string; provider?: string; credential?: string; model?: string }): Promise<number> {
    return this.state.clearCooldowns(filter);
  }
}
