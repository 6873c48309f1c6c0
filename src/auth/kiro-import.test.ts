import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '../errors.ts';
import { parseCredential } from './credential.ts';
import { importKiroToken, kiroTokenCachePath } from './kiro-import.ts';

async function fakeHome(files: Record<string, unknown>): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'cliproxy-home-'));
  const cache = join(home, '.aws', 'sso', 'cache');
  await mkdir(cache, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(cache, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return home;
}

const NOW = () => Date.parse('2026-01-01T00:00:00Z');

test('an Identity Center login is imported with its client registration', async (context) => {
  const home = await fakeHome({
    'kiro-auth-token.json': {
      accessToken: 'aoa-access',
      refreshToken: 'aor-refresh',
      expiresAt: '2026-01-01T08:00:00.000Z',
      clientIdHash: 'e87895ae36d9539303a0bcd27feb465a60aeb433',
      authMethod: 'IdC',
      provider: 'Enterprise',
      region: 'eu-central-1',
    },
    'e87895ae36d9539303a0bcd27feb465a60aeb433.json': { clientId: 'client-x', clientSecret: 'secret-x', expiresAt: '2026-03-01T00:00:00.000Z' },
  });
  context.after(() => rm(home, { recursive: true, force: true }));
  const credential = await importKiroToken({ home, now: NOW, id: 'kiro-imported' });
  assert.deepEqual(credential, {
    id: 'kiro-imported',
    provider: 'kiro',
    type: 'oauth_device_flow',
    label: 'Kiro IDE (Enterprise)',
    access_token: 'aoa-access',
    refresh_token: 'aor-refresh',
    expires_at: '2026-01-01T08:00:00.000Z',
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    status: 'active',
    region: 'eu-central-1',
    auth_method: 'idc',
    client_id: 'client-x',
    client_secret: 'secret-x',
    client_secret_expires_at: '2026-03-01T00:00:00.000Z',
  });
  assert.equal(parseCredential(credential).ok, true, 'the record is one the store accepts');
});

test('a Builder ID login gets the Builder ID start URL; a social login needs no registration', async (context) => {
  const home = await fakeHome({
    'kiro-auth-token.json': { accessToken: 'a', refreshToken: 'r', expiresAt: '2026-01-01T08:00:00Z', clientIdHash: 'abc', authMethod: 'IdC', provider: 'BuilderId' },
    'abc.json': { clientId: 'c', clientSecret: 's', expiresAt: '2026-03-01T00:00:00Z' },
    'social.json': { accessToken: 'a', refreshToken: 'r', expiresAt: '2026-01-01T08:00:00Z', authMethod: 'social', provider: 'Google', profileArn: 'arn:aws:codewhisperer:us-east-1:1:profile/P' },
  });
  context.after(() => rm(home, { recursive: true, force: true }));
  const builder = await importKiroToken({ home, now: NOW });
  assert.equal(builder.auth_method, 'builder-id');
  assert.equal(builder.start_url, 'https://view.awsapps.com/start');
  assert.equal(builder.region, 'us-east-1', 'the default region');
  assert.match(builder.id, /^kiro-[0-9a-f]{12}$/);
  const social = await importKiroToken({ file: join(home, '.aws', 'sso', 'cache', 'social.json'), now: NOW });
  assert.equal(social.auth_method, 'social');
  assert.equal(social.profile_arn, 'arn:aws:codewhisperer:us-east-1:1:profile/P');
  assert.equal(social.client_id, undefined);
});

test('a missing token cache says where it looked', async (context) => {
  const home = await fakeHome({});
  context.after(() => rm(home, { recursive: true, force: true }));
  await assert.rejects(importKiroToken({ home }), (error: unknown) =>
    error instanceof GatewayError && error.code === 'not_found' && error.message.includes(kiroTokenCachePath(home)));
});

test('broken files are named with what is wrong, never with their content', async (context) => {
  const home = await fakeHome({
    'kiro-auth-token.json': '{"accessToken": "aoa-leaky", ',
  });
  context.after(() => rm(home, { recursive: true, force: true }));
  await assert.rejects(importKiroToken({ home }), (error: unknown) => {
    assert.ok(error instanceof GatewayError);
    assert.match(error.message, /kiro-auth-token\.json: it is not valid JSON/);
    assert.doesNotMatch(error.message, /aoa-leaky/);
    return true;
  });
  const cache = join(home, '.aws', 'sso', 'cache');
  await writeFile(join(cache, 'kiro-auth-token.json'), JSON.stringify({ accessToken: 'aoa-leaky' }));
  await assert.rejects(importKiroToken({ home }), /it has no refreshToken/);
  await writeFile(join(cache, 'kiro-auth-token.json'), JSON.stringify({ accessToken: 'a', refreshToken: 'r', authMethod: 'IdC', provider: 'Enterprise' }));
  await assert.rejects(importKiroToken({ home }), /no clientIdHash/);
  await writeFile(join(cache, 'kiro-auth-token.json'), JSON.stringify({ accessToken: 'a', refreshToken: 'r', authMethod: 'IdC', clientIdHash: 'gone' }));
  await assert.rejects(importKiroToken({ home }), (error: unknown) => error instanceof GatewayError && error.code === 'not_found' && /gone\.json/.test(error.message));
  await writeFile(join(cache, 'gone.json'), JSON.stringify({ clientId: 'c' }));
  await assert.rejects(importKiroToken({ home }), /gone\.json: it has no clientId or clientSecret/);
  await writeFile(join(cache, 'kiro-auth-token.json'), JSON.stringify({ accessToken: 'a', refreshToken: 'r', authMethod: 'IdC', clientIdHash: '../../x' }));
  await assert.rejects(importKiroToken({ home }), /clientIdHash is not a file name/);
});
