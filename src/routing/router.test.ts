import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfig } from '../config/load.ts';
import { buildProviders } from '../providers/build.ts';
import { UpstreamClient } from '../providers/upstream-client.ts';
import { GatewayError } from '../errors.ts';
import { Router } from './router.ts';
import { closeMatches } from './close-matches.ts';
import { CooldownBook } from './cooldowns.ts';
import { StatsBook } from './stats.ts';
import { MemoryState } from '../state/memory.ts';

const client = new UpstreamClient({ connectTimeoutMs: 1000 });

async function router(raw: Record<string, unknown>, random: () => number = Math.random) {
  const config = buildConfig(raw, {});
  const built = await buildProviders(config, { env: {}, client });
  const state = new MemoryState();
  let now = 1_000_000;
  const clock = { now: () => now, advance: (ms: number) => { now += ms; } };
  const cooldowns = new CooldownBook(state, clock.now);
  const stats = new StatsBook(clock.now);
  const r = new Router(built, config.routing, { cooldowns, stats, cursor: (key) => state.increment(key), random, now: clock.now });
  return { router: r, built, cooldowns, stats, clock };
}

function gatewayError(code: string, status: number) {
  return (error: unknown) => error instanceof GatewayError && error.code === code && error.status === status;
}

test('the seed ModelMapper: defaults, per-provider overrides, unknown names pass through', async () => {
  const { router: r } = await router({
    providers: { openrouter: { api_keys: ['k'], model_mappings: { 'gpt-4o': 'openai/gpt-4o-2024-11-20' } }, claude: { api_keys: ['k'] } },
  });
  assert.equal(r.mapper.mapModel('claude-3-5-sonnet', 'claude'), 'claude-3-5-sonnet-20241022');
  assert.equal(r.mapper.mapModel('claude-3-5-sonnet', 'openrouter'), 'anthropic/claude-3.5-sonnet');
  assert.equal(r.mapper.mapModel('gpt-4-turbo', 'openrouter'), 'openai/gpt-4-turbo');
  assert.equal(r.mapper.mapModel('gpt-4o', 'openrouter'), 'openai/gpt-4o-2024-11-20', 'config overrides the default');
  assert.equal(r.mapper.mapModel('some-new-model', 'openrouter'), 'some-new-model');
  assert.equal(r.mapper.mapModel('anything', 'no-such-provider'), 'anything');
});

test('a model goes to every enabled provider that serves it after mapping', async () => {
  const { router: r } = await router({ providers: { openrouter: { api_keys: ['k'] }, claude: { api_keys: ['k'] }, openai: { api_keys: ['k'] } } });
  const served = r.serving('claude-3-5-sonnet').map((item) => [item.entry.provider.name(), item.upstreamModel]);
  assert.deepEqual(served, [['claude', 'claude-3-5-sonnet-20241022'], ['openrouter', 'anthropic/claude-3.5-sonnet']]);
  assert.deepEqual(r.serving('gpt-4o-mini').map((item) => item.entry.provider.name()), ['openai']);
});

test('provider/model addresses one provider and passes unknown names through', async () => {
  const { router: r } = await router({ providers: { openrouter: { api_keys: ['k'] }, groq: { api_keys: ['g'] } } });
  const [candidate] = await r.select('openrouter/mistralai/some-brand-new-model');
  assert.equal(candidate?.provider, 'openrouter');
  assert.equal(candidate?.upstreamModel, 'mistralai/some-brand-new-model');
  // A slash name whose prefix is not a provider is an ordinary model name (groq's ids have slashes).
  assert.equal((await r.select('openai/gpt-oss-120b'))[0]?.provider, 'groq');
});

test('unknown models are 404 naming close matches; disabled-only models are 503', async () => {
  const { router: r, built } = await router({ providers: { openai: { api_keys: ['k'] }, mistral: { api_keys: ['m'] } } });
  await assert.rejects(r.select('gpt-4o-mni'), (error: unknown) => {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.status, 404);
    assert.equal(error.code, 'model_not_found');
    assert.match(error.message, /did you mean "gpt-4o-mini"/);
    return true;
  });
  built.registry.setEnabled('mistral', false);
  r.invalidate();
  await assert.rejects(r.select('codestral-latest'), gatewayError('provider_disabled', 503));
  await assert.rejects(r.select('mistral/codestral-latest'), gatewayError('provider_disabled', 503));
});

test('candidates are filtered by the capabilities a request needs', async () => {
  const { router: r } = await router({
    providers: {
      openai: { api_keys: ['k'], models: [{ name: 'plain', supports_functions: false, supports_vision: false }] },
      together: { api_keys: ['t'], models: [{ name: 'plain', supports_functions: true }] },
    },
  });
  assert.deepEqual((await r.select('plain', { functions: true })).map((candidate) => candidate.provider), ['together']);
  await assert.rejects(r.select('plain', { vision: true }), gatewayError('invalid_request', 400));
});

test('priority strategy: best group first, round robin over every credential inside it', async () => {
  const { router: r } = await router({
    routing: { max_attempts: 10 },
    providers: {
      openai: { api_keys: ['o1', 'o2'], priority: 10, models: ['shared'] },
      together: { api_keys: ['t1'], priority: 10, models: ['shared'] },
      fireworks: { api_keys: ['f1'], priority: 1, models: ['shared'] },
    },
  });
  const counts = new Map<string, number>();
  for (let i = 0; i < 30; i++) {
    const candidates = await r.select('shared');
    assert.equal(candidates.at(-1)?.provider, 'fireworks', 'the low-priority group comes last');
    assert.equal(candidates.length, 4);
    const first = `${candidates[0]?.provider}:${candidates[0]?.credential?.secret}`;
    counts.set(first, (counts.get(first) ?? 0) + 1);
  }
  assert.deepEqual(Object.fromEntries(counts), { 'openai:o1': 10, 'openai:o2': 10, 'together:t1': 10 });
});

test('fill_first keeps configuration order; max_attempts bounds the list; fallbacks follow', async () => {
  const { router: r } = await router({
    routing: { strategy: 'fill_first', max_attempts: 3, fallbacks: { primary: ['backup'] } },
    providers: {
      openai: { api_keys: ['o1', 'o2'], models: ['primary'] },
      together: { api_keys: ['t1'], models: ['backup'] },
    },
  });
  for (let i = 0; i < 3; i++) {
    const candidates = await r.select('primary');
    assert.deepEqual(candidates.map((candidate) => `${candidate.provider}:${candidate.credential?.secret}:${candidate.model}`), [
      'openai:o1:primary', 'openai:o2:primary', 'together:t1:backup',
    ]);
  }
});

test('closeMatches ranks by edit distance and containment', () => {
  assert.deepEqual(closeMatches('gpt4o', ['gpt-4o', 'gpt-4', 'claude-3-opus', 'o3']).slice(0, 2), ['gpt-4o', 'gpt-4']);
  assert.deepEqual(closeMatches('sonnet', ['claude-sonnet-4-5', 'gpt-5']), ['claude-sonnet-4-5']);
  assert.deepEqual(closeMatches('zzzzzzzz', ['gpt-4o']), []);
});

test('round_robin spreads evenly over every provider × credential', async () => {
  const { router: r } = await router({
    routing: { strategy: 'round_robin', max_attempts: 1 },
    providers: { openai: { api_keys: ['a', 'b'], models: ['m'] }, groq: { api_keys: ['c'], models: ['m'] } },
  });
  const counts = new Map<string, number>();
  for (let i = 0; i < 300; i++) {
    const key = (await r.select('m'))[0]?.credential?.secret as string;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  assert.deepEqual(Object.fromEntries(counts), { a: 100, b: 100, c: 100 });
});

test('weighted follows provider weight × credential weight', async () => {
  let seed = 7;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const { router: r } = await router({
    routing: { strategy: 'weighted', max_attempts: 1 },
    providers: {
      openai: { api_keys: [{ key: 'heavy', weight: 3 }, 'light'], models: ['m'] },
      groq: { api_keys: ['g'], weight: 4, models: ['m'] },
    },
  }, random);
  const counts = new Map<string, number>();
  const total = 8000;
  for (let i = 0; i < total; i++) {
    const key = (await r.select('m'))[0]?.credential?.secret as string;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  // Weights 3 : 1 : 4 of 8.
  for (const [key, share] of [['heavy', 3 / 8], ['light', 1 / 8], ['g', 4 / 8]] as const) {
    const observed = (counts.get(key) ?? 0) / total;
    assert.ok(Math.abs(observed - share) < 0.02, `${key}: ${observed} vs ${share}`);
  }
});

test('least_busy picks the target with the fewest requests in flight; least_latency the fastest, untried first', async () => {
  const { router: r, stats } = await router({
    routing: { strategy: 'least_busy', model_strategies: { fast: 'least_latency' }, max_attempts: 3 },
    providers: { openai: { api_keys: ['a', 'b'], models: ['m', 'fast'] }, groq: { api_keys: ['c'], models: ['m', 'fast'] } },
  });
  stats.targetStart('openai|openai#1');
  stats.targetStart('openai|openai#1');
  stats.targetStart('groq|groq#1');
  assert.deepEqual((await r.select('m')).map((candidate) => candidate.credential?.secret), ['b', 'c', 'a']);
  stats.targetEnd('openai|openai#1', 300);
  stats.targetEnd('groq|groq#1', 50);
  assert.deepEqual((await r.select('fast')).map((candidate) => candidate.credential?.secret), ['b', 'c', 'a'], 'b has no sample yet, so it is tried first');
  stats.targetStart('openai|openai#2');
  stats.targetEnd('openai|openai#2', 120);
  assert.deepEqual((await r.select('fast')).map((candidate) => candidate.credential?.secret), ['c', 'b', 'a']);
});

test('cooling candidates are skipped; when all cool, 429 names the model, providers and reset time', async () => {
  const { router: r, cooldowns, clock } = await router({
    providers: { openai: { api_keys: ['a'], models: ['m'] }, groq: { api_keys: ['c'], models: ['m'] } },
  });
  const policy = { enabled: true, authMs: 1_800_000, rateLimitMs: undefined, errorMs: 60_000, notFoundMs: 10_800_000, maxMs: 1_800_000 };
  // Cooldown keys carry each credential's fingerprint: take them from the candidates.
  const keys = new Map((await r.select('m')).map((candidate) => [candidate.provider, candidate.cooldownKey]));
  await cooldowns.recordFailure({ provider: 'openai', credential: 'openai#1', model: 'm', key: keys.get('openai') }, { status: 429, code: 'upstream_error', message: 'slow down', headers: { 'retry-after': '30' } }, policy);
  assert.deepEqual((await r.select('m')).map((candidate) => candidate.provider), ['groq']);
  await cooldowns.recordFailure({ provider: 'groq', credential: 'groq#1', model: 'm', key: keys.get('groq') }, { status: 503, code: 'upstream_error', message: 'overloaded' }, policy);
  await assert.rejects(r.select('m'), (error: unknown) => {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.status, 429);
    assert.equal(error.code, 'all_candidates_cooling');
    assert.equal(error.headers['retry-after'], '30');
    assert.match(error.message, /model m/);
    assert.deepEqual(error.details?.providers, ['openai', 'groq']);
    assert.equal(error.details?.reset_at, new Date(clock.now() + 30_000).toISOString());
    return true;
  });
  clock.advance(30_001);
  assert.deepEqual((await r.select('m')).map((candidate) => candidate.provider), ['openai'], 'back when its cooldown ends');
});

test('context length filters candidates and moves to context_window_fallbacks', async () => {
  const { router: r } = await router({
    routing: { context_window_fallbacks: { small: ['big'] } },
    providers: { openai: { api_keys: ['a'], models: [{ name: 'small', max_tokens: 8000 }, { name: 'big', max_tokens: 128000 }] } },
  });
  assert.equal((await r.select('small', { tokens: 5000 }))[0]?.upstreamModel, 'small');
  assert.equal((await r.select('small', { tokens: 20000 }))[0]?.upstreamModel, 'big');
  await assert.rejects(r.select('small', { tokens: 500_000 }), (error: unknown) => error instanceof GatewayError && error.status === 400 && /context window/.test(error.message));
});

test('selectNow answers exactly what select() does in the simple case, and defers whatever needs the state', async () => {
  const { router: r, cooldowns } = await router({
    routing: { strategy: 'fill_first', fallbacks: { 'gpt-4o': ['claude-3-5-sonnet'] } },
    providers: { openrouter: { api_keys: ['k1', 'k2'] }, claude: { api_keys: ['c'] }, openai: { api_keys: ['o'] } },
  });
  const simple = r.selectNow('claude-3-5-sonnet');
  assert.ok(simple !== undefined);
  assert.deepEqual(simple, await r.select('claude-3-5-sonnet'));
  assert.deepEqual(simple.map((candidate) => [candidate.provider, candidate.credential?.id]), [['claude', 'claude#1'], ['openrouter', 'openrouter#1'], ['openrouter', 'openrouter#2']]);
  assert.equal(r.selectNow('gpt-4o'), undefined, 'a model with fallbacks goes through select()');
  assert.equal(r.selectNow('no-such-model'), undefined, 'errors are select()\'s to raise');
  assert.equal(r.selectNow('claude-3-5-sonnet', { tokens: 10_000_000 }), undefined, 'over the context window: select() decides');
  const key = simple[0]?.cooldownKey as string;
  await cooldowns.recordFailure({ provider: 'claude', credential: 'claude#1', model: 'claude-3-5-sonnet-20241022', key }, { status: 500, code: 'upstream_error', message: 'boom' }, { enabled: true, authMs: 1000, rateLimitMs: undefined, notFoundMs: 1000, errorMs: 1000, maxMs: 60_000 });
  assert.equal(r.selectNow('claude-3-5-sonnet'), undefined, 'a candidate with a cooldown or strikes defers to select()');
  assert.deepEqual((await r.select('claude-3-5-sonnet')).map((candidate) => candidate.provider), ['openrouter', 'openrouter']);
});

test('selectNow defers whenever a rotation needs the shared cursor', async () => {
  const rotating = await router({ routing: { strategy: 'round_robin' }, providers: { openrouter: { api_keys: ['k1', 'k2'] } } });
  assert.equal(rotating.router.selectNow('claude-3-5-sonnet'), undefined);
  const lone = await router({ routing: { strategy: 'round_robin' }, providers: { claude: { api_keys: ['c'] } } });
  assert.deepEqual(lone.router.selectNow('claude-3-5-sonnet'), await lone.router.select('claude-3-5-sonnet'));
  const tiers = await router({ routing: { strategy: 'priority' }, providers: { claude: { api_keys: ['c'], priority: 2 }, openrouter: { api_keys: ['k1'], priority: 1 } } });
  assert.deepEqual(tiers.router.selectNow('claude-3-5-sonnet')?.map((candidate) => candidate.provider), ['claude', 'openrouter']);
  const tied = await router({ routing: { strategy: 'priority' }, providers: { openrouter: { api_keys: ['k1', 'k2'] } } });
  assert.equal(tied.router.selectNow('claude-3-5-sonnet'), undefined);
});
