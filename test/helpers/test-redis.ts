/**
 * Which Redis the multi-instance tests use: the one at CLIPROXY_TEST_REDIS_URL when it is
 * set and answers (CI starts one), else a private redis-server on a random loopback port
 * (src/state/redis.test-helper.ts), else none, and the tests that need one are not
 * registered. A private server is never the shared one, so a test may stop it.
 */
import { RedisServer, redisAnswers, redisServerInstalled } from '../../src/state/redis.test-helper.ts';

export type RedisSource = 'env' | 'private';

/** Decided once per test file, at load: where a Redis will come from, or why there is none. */
export async function redisAvailability(): Promise<{ source: RedisSource } | { source: undefined; reason: string }> {
  const url = process.env.CLIPROXY_TEST_REDIS_URL;
  if (url !== undefined && url !== '') {
    if (await redisAnswers(url)) return { source: 'env' };
    console.log(`# nothing answers at CLIPROXY_TEST_REDIS_URL=${url}; starting a private redis-server instead`);
  }
  if (redisServerInstalled()) return { source: 'private' };
  const why = url === undefined || url === '' ? 'CLIPROXY_TEST_REDIS_URL is not set' : `nothing answers at CLIPROXY_TEST_REDIS_URL=${url}`;
  return { source: undefined, reason: `${why} and redis-server is not installed` };
}

export interface TestRedis {
  url: string;
  /** Stops the private server (nothing for the shared one). */
  release(): Promise<void>;
}

export async function acquireRedis(source: RedisSource): Promise<TestRedis> {
  if (source === 'env') return { url: process.env.CLIPROXY_TEST_REDIS_URL as string, release: async () => {} };
  const server = await RedisServer.start();
  return { url: server.url, release: () => server.dispose() };
}
