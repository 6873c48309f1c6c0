import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildConfig, ConfigError, DEFAULT_MAX_BODY_SIZE, DEFAULT_PORT, loadConfigFile, locateConfig } from './load.ts';
import { scratchDir } from '../../test/helpers/scratch-dir.ts';

function problemsOf(run: () => unknown): Array<{ path: string; message: string }> {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

test('an empty config gets the documented defaults', () => {
  const config = buildConfig({}, {});
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, DEFAULT_PORT);
  assert.equal(config.port, 8317);
  assert.equal(config.maxBodySize, DEFAULT_MAX_BODY_SIZE);
  assert.deepEqual(config.clientKeys, []);
  assert.equal(config.routing.strategy, 'priority');
  assert.equal(config.routing.maxAttempts, 3);
});

test('null and undefined configs are empty configs', () => {
  assert.equal(buildConfig(null, {}).port, 8317);
  assert.equal(buildConfig(undefined, {}).host, '127.0.0.1');
});

test('${VAR} expands anywhere, with defaults and escapes', () => {
  const config = buildConfig(
    {
      port: 9000,
      management_key: '${MGMT}',
      api_keys: ['${CLIENT_KEY}', 'literal-$${NOT_A_VAR}'],
      providers: { openai: { api_keys: ['${OPENAI_KEY_1}', '${MISSING:-fallback-key}'], endpoint: 'http://${UP_HOST}:9/v1' } },
    },
    { MGMT: 'm-secret', CLIENT_KEY: 'client-1', OPENAI_KEY_1: 'sk-one', UP_HOST: '127.0.0.1' },
  );
  assert.equal(config.managementKey, 'm-secret');
  assert.deepEqual(config.clientKeys.map((key) => key.key), ['client-1', 'literal-${NOT_A_VAR}']);
  assert.deepEqual(config.providers.openai?.api_keys, ['sk-one', 'fallback-key']);
  assert.equal(config.providers.openai?.endpoint, 'http://127.0.0.1:9/v1');
});

test('an unset variable without a default names its key path', () => {
  const problems = problemsOf(() => buildConfig({ providers: { groq: { api_keys: ['${GROQ_KEY_TYPO}'] } } }, {}));
  assert.deepEqual(problems, [{ path: 'providers.groq.api_keys[0]', message: 'environment variable GROQ_KEY_TYPO is not set' }]);
});

test('validation names every bad key path and the problem', () => {
  const problems = problemsOf(() =>
    buildConfig(
      {
        port: 70000,
        hots: 'typo',
        providers: { openai: { endpoint: 'ftp://x', models: [{ name: 'm', max_tokens: -1 }], priority: 'high' } },
        routing: { timeouts: { connect: 'soon' } },
        max_body_size: 'lots',
      },
      {},
    ),
  );
  const paths = problems.map((problem) => problem.path).sort();
  assert.deepEqual(paths, [
    '(root)',
    'max_body_size',
    'port',
    'providers.openai.endpoint',
    'providers.openai.models[0].max_tokens',
    'providers.openai.priority',
    'routing.timeouts.connect',
  ]);
  assert.match(problems.find((problem) => problem.path === '(root)')?.message ?? '', /hots/);
  assert.match(problems.find((problem) => problem.path === 'routing.timeouts.connect')?.message ?? '', /not a duration/);
});

test('durations, sizes and one-or-many credentials are normalised', () => {
  const config = buildConfig(
    {
      max_body_size: '1mb',
      routing: { timeouts: { connect: '250ms', first_byte: 2, idle: '1m' }, max_attempts: 5, strategy: 'round_robin' },
      providers: { openai: { api_keys: 'sk-only' }, mistral: { api_keys: [{ key: 'k1', name: 'team-a', weight: 2 }] } },
    },
    {},
  );
  assert.equal(config.maxBodySize, 1024 * 1024);
  assert.deepEqual(config.routing.timeouts, { connectMs: 250, firstByteMs: 2000, idleMs: 60_000 });
  assert.equal(config.routing.maxAttempts, 5);
  assert.equal(config.routing.strategy, 'round_robin');
  assert.deepEqual(config.providers.openai?.api_keys, ['sk-only']);
  assert.deepEqual(config.providers.mistral?.api_keys, [{ key: 'k1', name: 'team-a', weight: 2 }]);
});

test('models may be written as names or as the seed ModelConfig', () => {
  const config = buildConfig(
    { providers: { openai: { models: ['gpt-x', { name: 'gpt-y', enabled: false, max_tokens: 1000, supports_functions: false }] } } },
    {},
  );
  assert.deepEqual(config.providers.openai?.models, [
    { name: 'gpt-x' },
    { name: 'gpt-y', enabled: false, max_tokens: 1000, supports_functions: false },
  ]);
});

test('a YAML file loads, and YAML syntax errors are reported with the file', async () => {
  const dir = await scratchDir('cliproxy-config-');
  const good = join(dir, 'good.yaml');
  await writeFile(good, 'port: 9123\nproviders:\n  groq:\n    api_keys: [gk]\n');
  const config = await loadConfigFile(good, {});
  assert.equal(config.port, 9123);
  assert.equal(config.source, good);
  const bad = join(dir, 'bad.yaml');
  await writeFile(bad, 'port: [unclosed\n');
  await assert.rejects(loadConfigFile(bad, {}), (error: unknown) => error instanceof ConfigError && error.problems[0]?.path === '(yaml)' && error.message.includes(bad));
});

test('locateConfig prefers --config, then CLIPROXY_CONFIG, then ./cliproxy.yaml', async () => {
  const dir = await scratchDir('cliproxy-locate-');
  assert.equal(locateConfig(undefined, {}, dir), undefined);
  await writeFile(join(dir, 'cliproxy.yaml'), 'port: 1\n');
  assert.equal(locateConfig(undefined, {}, dir), join(dir, 'cliproxy.yaml'));
  assert.equal(locateConfig(undefined, { CLIPROXY_CONFIG: 'other.yaml' }, dir), join(dir, 'other.yaml'));
  assert.equal(locateConfig('flag.yaml', { CLIPROXY_CONFIG: 'other.yaml' }, dir), join(dir, 'flag.yaml'));
});
