/**
 * What a request needs from the running gateway, swapped whole on a config reload so a
 * request sees one consistent configuration from start to end.
 */
import type { GatewayConfig } from '../config/load.ts';
import type { BuiltProviders } from '../providers/build.ts';
import type { Router } from '../routing/router.ts';
import type { StatsBook } from '../routing/stats.ts';
import type { CooldownBook } from '../routing/cooldowns.ts';
import type { LimitBook } from '../routing/limits.ts';
import type { StateStore } from '../state/types.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { OAuthCredentials } from '../providers/oauth-credentials.ts';
import type { KeyStore } from '../providers/key-store.ts';
import type { Authenticator } from './auth.ts';
import type { Logger } from './logger.ts';
import type { ImageFetcher } from './inline-images.ts';

export interface Runtime {
  config: GatewayConfig;
  built: BuiltProviders;
  router: Router;
  auth: Authenticator;
  /** Fetches image URLs for targets that take only inline data. */
  images: ImageFetcher;
  /** Every configured credential secret, to scrub from upstream error bodies. */
  secrets: string[];
}

/** Time and chance, injectable so cooldowns, backoff and strategies test without sleeping. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export interface GatewayContext {
  current(): Runtime;
  stats: StatsBook;
  state: StateStore;
  cooldowns: CooldownBook;
  limits: LimitBook;
  metrics: GatewayMetrics;
  /** Copilot and Kiro credentials (token store, refresher, logins); absent when disabled. */
  oauth: OAuthCredentials | undefined;
  /** API keys added at run time. */
  keys: KeyStore;
  /** Rebuilds the runtime from the current config (after credentials change). */
  rebuild(): Promise<void>;
  clock: Clock;
  logger: Logger;
  /** Unix seconds, used as `created` for listed models. */
  startedAt: number;
  /** Switches a provider on or off; kept across config reloads. */
  setEnabled(name: string, enabled: boolean): boolean;
}

/** Replaces every occurrence of a configured secret with `[redacted]`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join('[redacted]');
  return out;
}
