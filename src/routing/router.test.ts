import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfig } from '../config/load.ts';
import { buildProviders } from '../providers/build.ts';
import { UpstreamClient } from '../providers/upstream-client.ts';
import { GatewayError } from '../errors.ts';
import { Router } from './router.ts';
import { closeMatches } from './close-matches.ts';

const client = new UpstreamClient({ connectTimeoutMs: 1000 });

async function router(raw: Record<string, unknown>) {
  const config = buildConfig(raw, {});
  const built = await buildProviders(config, { env: {}, client });
  return { router: new Router(built, config.routing), built };
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
  const [candidate] = r.resolve('openrouter/mistralai/some-brand-new-model');
  assert.equal(candidate?.provider, 'openrouter');
  assert.equal(candidate?.upstreamModel, 'mistralai/some-brand-new-model');
  // A slash name whose prefix is not a provider is an ordinary model name (groq's ids have slashes).
  assert.equal(r.resolve('openai/gpt-oss-120b')[0]?.provider, 'groq');
});

test('unknown models are 404 naming close matches; disabled-only models are 503', async () => {
  const { router: r, built } = await router({ providers: { openai: { api_keys: ['k'] }, mistral: { api_keys: ['m'] } } });
  assert.throws(() => r.resolve('gpt-4o-mni'), (error: unknown) => {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.status, 404);
    assert.equal(error.code, 'model_not_found');
    assert.match(error.message, /did you mean "gpt-4o-mini"/);
    return true;
  });
  built.registry.setEnabled('mistral', false);
  assert.throws(() => r.resolve('codestral-latest'), gatewayError('provider_disabled', 503));
  assert.throws(() => r.resolve('mistral/codestral-latest'), gatewayError('provider_disabled', 503));
});

test('candidates are filtered by the capabilities a request needs', async () => {
  const { router: r } = await router({
    providers: {
      openai: { api_keys: ['k'], models: [{ name: 'plain', supports_functions: false, supports_vision: false }] },
      together: { api_keys: ['t'], models: [{ name: 'plain', supports_functions: true }] },
    },
  });
  assert.deepEqual(r.resolve('plain', { functions: true }).map((candidate) => candidate.provider), ['together']);
  assert.throws(() => r.resolve('plain', { vision: true }), gatewayError('invalid_request', 400));
});

test('priority strategy: best group first, round robin inside it, credentials rotated', async () => {
  const { router: r } = await router({
    routing: { max_attempts: 10 },
    providers: {
      openai: { api_keys: ['o1', 'o2'], priority: 10, models: ['shared'] },
      together: { api_keys: ['t1'], priority: 10, models: ['shared'] },
      fireworks: { api_keys: ['f1'], priority: 1, models: ['shared'] },
    },
  });
  const firsts: string[] = [];
  for (let i = 0; i < 8; i++) {
    const candidates = r.resolve('shared');
    assert.equal(candidates.at(-1)?.provider, 'fireworks', 'the low-priority group comes last');
    assert.equal(candidates.length, 4);
    firsts.push(`${candidates[0]?.provider}:${candidates[0]?.credential?.secret}`);
  }
  const counts = Object.fromEntries([...new Set(firsts)].map((key) => [key, firsts.filter((item) => item === key).length]));
  assert.equal(counts['together:t1'], 4, 'providers alternate inside the top group');
  assert.equal((counts['openai:o1'] ?? 0) + (counts['openai:o2'] ?? 0), 4);
  assert.equal(counts['openai:o1'], 2, 'credentials alternate too');
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
    const candidates = r.resolve('primary');
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
