import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildConfig, ConfigError } from '../config/load.ts';
import { buildProviders } from './build.ts';
import { BUILTIN_DESCRIPTORS } from './builtin.ts';
import { UpstreamClient } from './upstream-client.ts';
import { scratchDir } from '../../test/helpers/scratch-dir.ts';

const client = new UpstreamClient({ connectTimeoutMs: 1000 });

async function build(raw: unknown, env: Record<string, string> = {}, source?: string) {
  return buildProviders(buildConfig(raw, env, source), { env, client });
}

const SEED_ORDER = [
  'claude', 'gemini', 'openai', 'mistral', 'groq', 'deepseek',
  'openrouter', 'together', 'fireworks', 'novita', 'siliconflow',
  'kiro', 'copilot', 'roocode', 'kiloai', 'minimax',
];

test('all sixteen built-ins are registered with the seed categories and real endpoints', async () => {
  const { registry, entries } = await build({});
  assert.deepEqual(registry.listAll().map((provider) => provider.name()), SEED_ORDER);
  assert.deepEqual(registry.listByType('direct').map((provider) => provider.name()), ['claude', 'gemini', 'openai', 'mistral', 'groq', 'deepseek']);
  assert.deepEqual(registry.listByType('aggregator').map((provider) => provider.name()), ['openrouter', 'together', 'fireworks', 'novita', 'siliconflow']);
  assert.deepEqual(registry.listByType('proprietary').map((provider) => provider.name()), ['kiro', 'copilot', 'roocode', 'kiloai', 'minimax']);
  const endpoint = (name: string) => entries.get(name)?.http?.settings.endpoint;
  assert.equal(endpoint('openai'), 'https://api.openai.com/v1');
  assert.equal(endpoint('groq'), 'https://api.groq.com/openai/v1');
  assert.equal(endpoint('novita'), 'https://api.novita.ai/v3/openai');
  assert.equal(endpoint('minimax'), 'https://api.minimax.io/v1');
  assert.equal(endpoint('roocode'), 'https://api.roocode.com/proxy/v1');
  assert.equal(endpoint('kiloai'), 'https://api.kilo.ai/api/openrouter');
  assert.equal(endpoint('claude'), 'https://api.anthropic.com');
  // Nothing configured: nothing enabled, and OAuth providers need no key to be "configured".
  assert.deepEqual(registry.listEnabled(), []);
  assert.equal(registry.get('kiro')?.authType(), 'oauth_device_flow');
  assert.equal(registry.get('copilot')?.authType(), 'oauth_device_flow');
  for (const descriptor of BUILTIN_DESCRIPTORS) assert.ok(descriptor.models.length > 0, `${descriptor.name} has a catalogue`);
});

test('each conventional environment variable enables its provider with no config file', async () => {
  const pairs: Array<[string, string]> = [
    ['OPENAI_API_KEY', 'openai'], ['ANTHROPIC_API_KEY', 'claude'], ['GEMINI_API_KEY', 'gemini'], ['MISTRAL_API_KEY', 'mistral'],
    ['GROQ_API_KEY', 'groq'], ['DEEPSEEK_API_KEY', 'deepseek'], ['OPENROUTER_API_KEY', 'openrouter'], ['TOGETHER_API_KEY', 'together'],
    ['FIREWORKS_API_KEY', 'fireworks'], ['NOVITA_API_KEY', 'novita'], ['SILICONFLOW_API_KEY', 'siliconflow'],
    ['MINIMAX_API_KEY', 'minimax'], ['ROOCODE_API_KEY', 'roocode'], ['KILOCODE_API_KEY', 'kiloai'],
  ];
  for (const [variable, provider] of pairs) {
    const { registry, entries } = await build({}, { [variable]: `secret-for-${provider}-000` });
    assert.deepEqual(registry.listEnabled().map((item) => item.name()), [provider], variable);
    assert.equal(entries.get(provider)?.credentials[0]?.secret, `secret-for-${provider}-000`);
  }
});

test('config keys win over the environment, and enabled: false keeps a keyed provider off', async () => {
  const { registry, entries } = await build(
    { providers: { openai: { api_keys: ['from-config'] }, groq: { enabled: false } } },
    { OPENAI_API_KEY: 'from-env', GROQ_API_KEY: 'groq-env' },
  );
  assert.deepEqual(entries.get('openai')?.credentials.map((credential) => credential.secret), ['from-config']);
  assert.equal(registry.isEnabled('groq'), false);
  assert.equal(registry.isEnabled('openai'), true);
});

test('credentials get secret-free ids and masked tails', async () => {
  const { entries } = await build({ providers: { openai: { api_keys: ['sk-aaaaaaaaaaaa1234', { key: 'short', name: 'team-b' }, 'sk-aaaaaaaaaaaa1234'] } } });
  const credentials = entries.get('openai')?.credentials ?? [];
  assert.deepEqual(credentials.map((credential) => [credential.id, credential.masked]), [['openai#1', '…1234'], ['team-b', '…']]);
});

test('models merge: config entries override catalogue capabilities, add models, disable others', async () => {
  const { registry } = await build({
    providers: {
      openai: {
        api_keys: ['k'],
        models: [{ name: 'gpt-4o', max_tokens: 64_000, supports_vision: false }, { name: 'gpt-4', enabled: false }, 'my-finetune'],
      },
    },
  });
  const openai = registry.get('openai');
  assert.ok(openai !== undefined);
  const byName = new Map(openai.listModels().map((model) => [model.name, model]));
  assert.equal(byName.get('gpt-4o')?.capabilities.max_tokens, 64_000);
  assert.equal(byName.get('gpt-4o')?.capabilities.vision, false);
  assert.equal(byName.get('gpt-4o')?.capabilities.functions, true);
  assert.equal(byName.has('gpt-4'), false, 'disabled models are not listed');
  assert.equal(openai.supportsModel('gpt-4'), false);
  assert.equal(openai.supportsModel('my-finetune'), true);
  assert.equal(openai.supportsModel('gpt-4o'), true);
});

test('openai_compatible (alias custom) entries need an endpoint and serve their mappings', async () => {
  const { registry, entries } = await build({
    providers: {
      local: { type: 'openai_compatible', endpoint: 'http://127.0.0.1:9999', model_mappings: { 'gpt-4': 'my-provider-v1-large' } },
      legacy: { type: 'custom', endpoint: 'http://127.0.0.1:9998/api', models: ['llama'], api_keys: ['x'] },
    },
  });
  assert.equal(entries.get('local')?.http?.settings.endpoint, 'http://127.0.0.1:9999/v1', 'a bare origin gets /v1');
  assert.equal(entries.get('legacy')?.http?.settings.endpoint, 'http://127.0.0.1:9998/api');
  assert.equal(registry.get('local')?.type(), 'custom');
  assert.equal(registry.get('local')?.authType(), 'none');
  assert.equal(registry.isEnabled('local'), true, 'a keyless custom endpoint is usable');
  assert.equal(registry.get('local')?.supportsModel('gpt-4'), true);
  await assert.rejects(build({ providers: { broken: { type: 'openai_compatible' } } }), (error: unknown) =>
    error instanceof ConfigError && error.problems.some((problem) => problem.path === 'providers.broken.endpoint'));
});

test('a seed-style bare origin borrows the built-in base path', async () => {
  const { entries } = await build({ providers: { openai: { endpoint: 'https://api.openai.com', api_keys: ['k'] }, groq: { endpoint: 'http://127.0.0.1:1234/' } } });
  assert.equal(entries.get('openai')?.http?.settings.endpoint, 'https://api.openai.com/v1');
  assert.equal(entries.get('groq')?.http?.settings.endpoint, 'http://127.0.0.1:1234/openai/v1');
});

test('a second instance of a built-in type registers under its own name', async () => {
  const { registry, entries } = await build({ providers: { 'openai-eu': { type: 'openai', endpoint: 'http://127.0.0.1:1/v1', api_keys: ['eu'] } } });
  assert.equal(registry.listAll().length, 17);
  assert.equal(registry.get('openai-eu')?.type(), 'direct');
  assert.equal(entries.get('openai-eu')?.http?.settings.quirks !== undefined, true, 'quirks come with the type');
  assert.equal(registry.isEnabled('openai'), false);
});

test('unknown types and missing types name their key path', async () => {
  await assert.rejects(build({ providers: { foo: { type: 'nonsense' }, bar: { endpoint: 'http://127.0.0.1:1' } } }), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems.map((problem) => problem.path).sort(), ['providers.bar.type', 'providers.foo.type']);
    return true;
  });
});

test('an external ES module provider is loaded from its config entry and registered like a built-in', async () => {
  const source = fileURLToPath(new URL('../../cliproxy.test-config.yaml', import.meta.url));
  const { registry, entries } = await build(
    { providers: { echo: { module: './examples/echo-provider.mjs', models: ['echo-1', 'echo-2'], options: { prefix: '> ' } } } },
    {},
    source,
  );
  const echo = registry.get('echo');
  assert.ok(echo !== undefined);
  assert.equal(entries.get('echo')?.source, 'module');
  assert.equal(registry.isEnabled('echo'), true);
  assert.deepEqual(echo.listModels().map((model) => model.name), ['echo-1', 'echo-2']);
  const answer = await echo.execute({ model: 'echo-1', messages: [{ role: 'user', content: 'ping' }] }, { credential: undefined, signal: AbortSignal.timeout(1000) });
  assert.equal((answer.choices as Array<{ message: { content: string } }>)[0]?.message.content, '> ping');
});

test('a broken module is a config problem, not a crash', async () => {
  const source = fileURLToPath(new URL('../../cliproxy.test-config.yaml', import.meta.url));
  await assert.rejects(build({ providers: { ghost: { module: './examples/does-not-exist.mjs' } } }, {}, source), (error: unknown) =>
    error instanceof ConfigError && error.problems[0]?.path === 'providers.ghost.module' && /cannot load/.test(error.problems[0].message));
  const dir = await scratchDir('cliproxy-module-');
  await writeFile(join(dir, 'half.mjs'), "export default (config) => ({ name: () => config.name, type: () => 'custom' });\n");
  await writeFile(join(dir, 'not-a-factory.mjs'), 'export default 42;\n');
  await assert.rejects(build({ providers: { half: { module: './half.mjs' }, nf: { module: './not-a-factory.mjs' } } }, {}, join(dir, 'c.yaml')), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    const byPath = new Map(error.problems.map((problem) => [problem.path, problem.message]));
    assert.match(byPath.get('providers.half.module') ?? '', /lacks supportsModel, listModels/);
    assert.match(byPath.get('providers.nf.module') ?? '', /must export a default function/);
    return true;
  });
});
