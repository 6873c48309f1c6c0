/**
 * Loading from a file, hot reload (valid edits apply, invalid ones are rejected and the
 * running config stays), the exposure rule, and the CLI's refusal to start on bad config.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { startGateway } from '../../src/server/gateway.ts';
import { ConfigError } from '../../src/config/load.ts';
import { scratchDir } from '../helpers/scratch-dir.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function enabledProviders(url: string): Promise<string[]> {
  const response = await fetch(`${url}/v1/providers?enabled=true`, { signal: AbortSignal.timeout(5000) });
  const body = (await response.json()) as { data: Array<{ name: string }> };
  return body.data.map((item) => item.name);
}

/** Polls until `check` passes; fails after `attempts` tries (a bound on count, not on time). */
async function eventually(check: () => Promise<boolean>, attempts = 100): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail('condition never held');
}

test('an edited config file applies without a restart; an invalid edit is rejected and the running config stays', async () => {
  const dir = await scratchDir('cliproxy-reload-');
  const file = join(dir, 'cliproxy.yaml');
  await writeFile(file, 'port: 0\nproviders:\n  openai:\n    api_keys: [sk-1]\n');
  const gateway = await startGateway({ configPath: file, env: {}, logLevel: 'silent' });
  try {
    assert.deepEqual(await enabledProviders(gateway.url), ['openai']);

    // Written in place.
    await writeFile(file, 'port: 0\nproviders:\n  openai:\n    api_keys: [sk-1]\n  groq:\n    api_keys: [gk-1]\n');
    await eventually(async () => (await enabledProviders(gateway.url)).includes('groq'));

    // Saved the way editors do: a new file renamed over the old one.
    await writeFile(join(dir, 'tmp.yaml'), 'port: 0\nproviders:\n  groq:\n    api_keys: [gk-1]\n');
    await rename(join(dir, 'tmp.yaml'), file);
    await eventually(async () => (await enabledProviders(gateway.url)).join() === 'groq');

    // Invalid: rejected by reload(), and the watcher keeps the running config.
    await writeFile(file, 'port: 0\nproviders:\n  groq:\n    api_keys: [gk-1]\n    priority: "high"\n');
    await assert.rejects(gateway.reload(), (error: unknown) => error instanceof ConfigError && error.problems[0]?.path === 'providers.groq.priority');
    assert.deepEqual(await enabledProviders(gateway.url), ['groq']);
    // A later valid edit still applies: the watcher survived the bad one.
    await writeFile(file, 'port: 0\nproviders:\n  mistral:\n    api_keys: [mk-1]\n');
    await eventually(async () => (await enabledProviders(gateway.url)).join() === 'mistral');
  } finally {
    await gateway.close();
  }
});

test('a provider switched off through the API stays off across a reload', async () => {
  const gateway = await startGateway({ config: { port: 0, providers: { openai: { api_keys: ['a'] }, groq: { api_keys: ['b'] } } }, env: {}, logLevel: 'silent', watch: false });
  try {
    gateway.context.setEnabled('groq', false);
    await gateway.reload({ port: 0, providers: { openai: { api_keys: ['a'] }, groq: { api_keys: ['b'] }, mistral: { api_keys: ['c'] } } });
    assert.deepEqual(await enabledProviders(gateway.url), ['openai', 'mistral']);
  } finally {
    await gateway.close();
  }
});

test('binding beyond loopback without client keys is refused unless allowed', async () => {
  await assert.rejects(startGateway({ config: { host: '0.0.0.0', port: 0 }, env: {}, logLevel: 'silent' }), (error: unknown) =>
    error instanceof ConfigError && error.problems[0]?.path === 'api_keys');
  const allowed = await startGateway({ config: { host: '0.0.0.0', port: 0, allow_unauthenticated: true }, env: {}, logLevel: 'silent' });
  await allowed.close();
  const keyed = await startGateway({ config: { host: '0.0.0.0', port: 0, api_keys: ['k'] }, env: {}, logLevel: 'silent' });
  await keyed.close();
});

function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['src/cli.ts', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  return once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }));
}

test('cliproxy check and serve refuse an invalid file, naming the key path', async () => {
  const dir = await scratchDir('cliproxy-cli-');
  const bad = join(dir, 'bad.yaml');
  await writeFile(bad, 'port: 0\nproviders:\n  openai:\n    endpoint: not-a-url\n');
  const check = await runCli(['check', '--config', bad]);
  assert.equal(check.code, 1);
  assert.match(check.stderr, /providers\.openai\.endpoint/);
  const serve = await runCli(['serve', '--config', bad]);
  assert.equal(serve.code, 1);
  assert.match(serve.stderr, /providers\.openai\.endpoint/);
  const good = join(dir, 'good.yaml');
  await writeFile(good, 'providers:\n  groq:\n    api_keys: [x]\n');
  const ok = await runCli(['check'], { CLIPROXY_CONFIG: good });
  assert.equal(ok.code, 0);
  assert.match(ok.stdout, /valid; 16 providers registered, enabled: groq/);
});

test('cliproxy serve starts from CLIPROXY_CONFIG and answers /health', async () => {
  const dir = await scratchDir('cliproxy-serve-');
  const file = join(dir, 'c.yaml');
  await writeFile(file, 'port: 0\nlog_level: info\n');
  const child = spawn(process.execPath, ['src/cli.ts', 'serve'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: dir, CLIPROXY_CONFIG: file } });
  try {
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
        if (match !== null) resolve(match[1] as string);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)));
    });
    const health = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
    assert.equal(health.status, 200);
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});
