/**
 * Chooses the state driver from the configuration (`state.driver`, DESIGN.md "State"):
 * - `local` (the default): memory for hot paths, SQLite under `data_dir` for what must
 *   survive a restart;
 * - `memory`: nothing persisted (tests, throwaway runs);
 * - `redis`: shared by every instance, falling back to a local store while Redis is
 *   unreachable (see fallback.ts for what that costs).
 */
import { MemoryState } from './memory.ts';
import { LocalState } from './sqlite.ts';
import type { StateHealth, StateStore } from './types.ts';

export interface StateSettings {
  driver: 'local' | 'memory' | 'redis';
  /** Where `local` keeps `cliproxy.db`, and `redis` its fallback `cliproxy-fallback.db`. */
  dataDir: string;
  /** Required for `redis`. */
  redisUrl?: string;
  /** Prefix of every Redis key; default `cliproxy:`. */
  keyPrefix?: string;
  /** Told of every switch between Redis and the local fallback, with the new health. */
  onChange?: (health: StateHealth) => void;
}

/** The fallback's file under `data_dir`, apart from the `local` driver's `cliproxy.db`. */
export const FALLBACK_DB_FILE = 'cliproxy-fallback.db';

/** The timings the Redis driver runs with behind its fallback. */
export const REDIS_TIMINGS = {
  /** A command without an answer after this long counts as Redis being unreachable. */
  commandTimeoutMs: 500,
  connectTimeoutMs: 1000,
  /** How long start-up waits for Redis before serving from the fallback. */
  startTimeoutMs: 2000,
  /** How often to try Redis again while serving from the fallback. */
  probeIntervalMs: 1000,
};

/**
 * Opens the configured driver. For `redis` it never fails because Redis is down: it starts
 * serving from the local fallback and switches over when Redis answers.
 *
 * @example
 * const state = await createState({ driver: 'redis', dataDir: './data', redisUrl: 'redis://127.0.0.1:6379', onChange: (health) => logger.warn(health) });
 */
export async function createState(settings: StateSettings): Promise<StateStore> {
  switch (settings.driver) {
    case 'memory':
      return new MemoryState();
    case 'local':
      return new LocalState({ dataDir: settings.dataDir });
    case 'redis': {
      if (settings.redisUrl === undefined) throw new Error('state.driver redis needs state.redis_url');
      // Loaded only when used: ioredis and the fallback cost memory a single instance never needs.
      const [{ RedisState }, { ResilientState }] = await Promise.all([import('./redis.ts'), import('./fallback.ts')]);
      const primary = new RedisState({
        url: settings.redisUrl,
        keyPrefix: settings.keyPrefix ?? 'cliproxy:',
        commandTimeoutMs: REDIS_TIMINGS.commandTimeoutMs,
        connectTimeoutMs: REDIS_TIMINGS.connectTimeoutMs,
        offlineQueue: false,
      });
      const fallback = new LocalState({ dataDir: settings.dataDir, fileName: FALLBACK_DB_FILE });
      const options = { primary, fallback, probeIntervalMs: REDIS_TIMINGS.probeIntervalMs, ...(settings.onChange === undefined ? {} : { onChange: settings.onChange }) };
      return new ResilientState(options).start(REDIS_TIMINGS.startTimeoutMs);
    }
  }
}

export { LocalState } from './sqlite.ts';
export { MemoryState } from './memory.ts';
export type { StateHealth, StateStore } from './types.ts';
