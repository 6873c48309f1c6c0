/**
 * Routing cost per request (issue 4, "Benchmark"): how long `Router.select()` takes to
 * order the candidates of one model when the gateway holds 1, 100 or 10,000 credentials,
 * for every strategy. In process, no network: the providers are built from a config whose
 * endpoints are never called. The figure must stay flat as credentials grow (the `least_*`
 * strategies compare every candidate up to 64 of them, and a random sample of 16 beyond).
 *
 * Credentials are spread over up to ten OpenAI-compatible providers serving the same model,
 * in three priority tiers and with unequal weights, and every credential has a latency
 * sample, so each strategy does its real work. No candidate is cooling.
 *
 * @example
 *   const rows = await measureRoutingCost([1, 100, 10_000]);
 *   // [{ strategy: 'priority', credentials: 1, meanMicroseconds: 1.2, iterations: 50000 }, …]
 */
import { performance } from 'node:perf_hooks';
import { buildConfig } from '../src/config/load.ts';
import { STRATEGIES } from '../src/config/schema.ts';
import type { Strategy } from '../src/config/schema.ts';
import { buildProviders } from '../src/providers/build.ts';
import { UpstreamClient } from '../src/providers/upstream-client.ts';
import { CooldownBook } from '../src/routing/cooldowns.ts';
import { Router } from '../src/routing/router.ts';
import { StatsBook } from '../src/routing/stats.ts';
import { MemoryState } from '../src/state/memory.ts';

export interface RoutingCostRow {
  strategy: Strategy;
  credentials: number;
  /** Mean wall time of one `select()` call, in microseconds. */
  meanMicroseconds: number;
  /** Calls measured (after the warm-up). */
  iterations: number;
}

export interface RoutingCostOptions {
  /** Time spent measuring each strategy × count cell, in ms (default 200). */
  budgetMs?: number;
  /** Minimum calls per cell, whatever the budget (default 200). */
  minIterations?: number;
  /** Calls before measuring, to let the JIT settle (default 1000). */
  warmup?: number;
}

const MODEL = 'm';
const MAX_PROVIDERS = 10;

/** A raw config with `count` credentials over up to ten providers. */
function configFor(count: number): Record<string, unknown> {
  const providerCount = Math.max(1, Math.min(MAX_PROVIDERS, count));
  const providers: Record<string, unknown> = {};
  for (let index = 0; index < providerCount; index++) {
    const share = Math.floor(count / providerCount) + (index < count % providerCount ? 1 : 0);
    providers[`p${index}`] = {
      type: 'openai_compatible',
      endpoint: `http://127.0.0.1:9/p${index}/v1`,
      api_keys: Array.from({ length: share }, (_, key) => ({ key: `sk-bench-${index}-${key}`, weight: 1 + (key % 4) })),
      models: [{ name: MODEL }],
      priority: index % 3,
      weight: 1 + (index % 5),
    };
  }
  return { host: '127.0.0.1', port: 0, providers };
}

/** Mean µs per `select()` for every strategy and credential count. */
export async function measureRoutingCost(credentialCounts: number[], options: RoutingCostOptions = {}): Promise<RoutingCostRow[]> {
  const budgetMs = options.budgetMs ?? 200;
  const minIterations = options.minIterations ?? 200;
  const warmup = options.warmup ?? 1_000;
  const rows: RoutingCostRow[] = [];
  const client = new UpstreamClient({ connectTimeoutMs: 1_000 });
  try {
    for (const count of credentialCounts) {
      const config = buildConfig(configFor(count), {});
      const built = await buildProviders(config, { env: {}, client });
      const state = new MemoryState();
      const stats = new StatsBook();
      const cooldowns = new CooldownBook(state, Date.now);
      let seed = 1;
      const random = (): number => {
        // A fixed pseudo-random sequence, so runs are comparable.
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
        return seed / 2_147_483_648;
      };
      for (const entry of built.entries.values()) {
        for (const credential of entry.credentials) {
          const target = `${entry.provider.name()}|${credential.id}`;
          stats.targetStart(target);
          stats.targetEnd(target, 50 + random() * 500);
        }
      }
      for (const strategy of STRATEGIES) {
        const router = new Router(built, { ...config.routing, strategy }, {
          cooldowns,
          stats,
          cursor: (key) => state.increment(key),
          random,
          now: Date.now,
        });
        for (let index = 0; index < warmup; index++) await router.select(MODEL);
        let iterations = 0;
        const started = performance.now();
        let elapsed = 0;
        while (iterations < minIterations || elapsed < budgetMs) {
          await router.select(MODEL);
          iterations++;
          elapsed = performance.now() - started;
        }
        rows.push({ strategy, credentials: count, meanMicroseconds: Math.round((elapsed * 1000 / iterations) * 100) / 100, iterations });
      }
      await state.close();
    }
  } finally {
    await client.destroy();
  }
  return rows;
}
