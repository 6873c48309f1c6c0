import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '../errors.ts';
import { copilotCredentialFixture, FakeClock, jsonOf, startFakeServer, testClient, type Script } from './auth.test-helper.ts';
import { AwsSsoOidc } from './aws-sso-oidc.ts';
import { CopilotTokenExchange } from './copilot-token.ts';
import type { CopilotCredential, KiroCredential } from './credential.ts';
import { KiroSocialRefresh } from './kiro-social-refresh.ts';
import { TokenRefresher, type TokenRefresherOptions } from './refresher.ts';
import { copilotRenewer, kiroRenewer } from './renewers.ts';
import { TokenStore } from './token-store.ts';

const client = testClient();
after(() => client.close());

const HOUR = 3_600_000;
const MINUTE = 60_000;

function kiroCredential(clock: FakeClock, overrides: Partial<KiroCredential> = {}): KiroCredential {
  return {
    id: 'kiro-1',
    provider: 'kiro',
    type: 'oauth_device_flow',
    label: 'https://view.awsapps.com/start',
    access_token: 'access-0',
    refresh_token: 'refresh-0',
    expires_at: new Date(clock.time + HOUR).toISOString(),
    created_at: new Date(clock.time).toISOString(),
    updated_at: new Date(clock.time).toISOString(),
    status: 'active',
    region: 'us-east-1',
    auth_method: 'builder-id',
    start_url: 'https://view.awsapps.com/start',
    client_id: 'client-1',
    client_secret: 'secret-1',
    client_secret_expires_at: new Date(clock.time + 90 * 24 * HOUR).toISOString(),
    ...overrides,
  };
}

async function setup(tokenScript: Script, options: Partial<TokenRefresherOptions> = {}) {
  const clock = new FakeClock();
  let issued = 0;
  const server = await startFakeServer({
    'POST /token': tokenScript,
    'GET /copilot/token': (request) => {
      if (request.headers.authorization !== 'token gho_good') return { status: 401, json: { message: 'Bad credentials' } };
      issued += 1;
      return { json: { token: `copilot-${issued}`, expires_at: Math.floor(clock.time / 1000) + 1800, endpoints: { api: 'https://api.example' } } };
    },
    'POST /social/refresh': { json: { accessToken: 'social-access', expiresIn: 3600, profileArn: 'arn:new' } },
  });
  const folder = await mkdtemp(join(tmpdir(), 'cliproxy-refresh-'));
  const store = await TokenStore.open({ directory: folder, watch: false, now: clock.now });
  const oidc = new AwsSsoOidc({ client, endpoint: server.url, now: clock.now, sleep: clock.sleep });
  const exchange = new CopilotTokenExchange({ client, tokenUrl: `${server.url}/copilot/token`, now: clock.now });
  const social = new KiroSocialRefresh({ client, refreshUrl: `${server.url}/social/refresh`, now: clock.now });
  const refresher = new TokenRefresher({
    store,
    renewers: { kiro: kiroRenewer(oidc, social), copilot: copilotRenewer(exchange) },
    now: clock.now,
    ...options,
  });
  const cleanup = async (): Promise<void> => {
    await server.close();
    await rm(folder, { recursive: true, force: true });
  };
  return { clock, server, store, refresher, folder, cleanup };
}

function refreshAnswer(accessToken: string, refreshToken?: string): Script {
  return { json: { accessToken, ...(refreshToken === undefined ? {} : { refreshToken }), expiresIn: 3600 } };
}

test('a token is used as is until the lead time, then refreshed once and saved', async (context) => {
  const { clock, server, store, refresher, folder, cleanup } = await setup(refreshAnswer('access-1', 'refresh-1'));
  context.after(cleanup);
  await store.save(kiroCredential(clock));
  assert.equal(await refresher.getAccessToken('kiro-1'), 'access-0');
  clock.advance(HOUR - 10 * MINUTE - 1);
  assert.equal(await refresher.getAccessToken('kiro-1'), 'access-0', 'just outside the 10 minute lead');
  assert.equal(server.hits('POST /token').length, 0);
  clock.advance(1);
  assert.equal(await refresher.getAccessToken('kiro-1'), 'access-1', 'at the lead, refreshed');
  assert.equal(server.hits('POST /token').length, 1);
  assert.equal(jsonOf(server.hits('POST /token')[0]!).refreshToken, 'refresh-0');
  const stored = store.get('kiro-1') as KiroCredential;
  assert.deepEqual([stored.access_token, stored.refresh_token, stored.expires_at], ['access-1', 'refresh-1', new Date(clock.time + HOUR).toISOString()]);
  const onDisk = JSON.parse(await readFile(join(folder, 'kiro-1.json'), 'utf8')) as KiroCredential;
  assert.equal(onDisk.access_token, 'access-1', 'the refreshed record is on disk');
  assert.equal(await refresher.getAccessToken('kiro-1'), 'access-1');
  assert.equal(server.hits('POST /token').length, 1, 'the fresh token is reused');
});

test('the lead time is configurable', async (context) => {
  const { clock, server, store, refresher, cleanup } = await setup(refreshAnswer('access-1'), { leadMs: 30 * MINUTE });
  context.after(cleanup);
  await store.save(kiroCredential(clock));
  clock.advance(30 * MINUTE);
  assert.equal(await refresher.getAccessToken('kiro-1'), 'access-1');
  assert.equal(server.hits('POST /token').length, 1);
  assert.equal((store.get('kiro-1') as KiroCredential).refresh_token, 'refresh-0', 'no new refresh token: the old one stays');
});

test('twenty concurrent requests (and five more while it runs) cause exactly one refresh', async (context) => {
  let release: () => void = () => undefined;
  let arrive: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const arrived = new Promise<void>((resolve) => { arrive = resolve; });
  const { clock, server, store, refresher, cleanup } = await setup(async () => {
    arrive();
    await gate;
    return { json: { accessToken: 'access-1', expiresIn: 3600 } };
  });
  context.after(cleanup);
  await store.save(kiroCredential(clock, { expires_at: new Date(clock.time + MINUTE).toISOString() }));
  const waiting = Array.from({ length: 20 }, () => refresher.getAccessToken('kiro-1'));
  await arrived; // the refresh is at the server while all twenty wait
  const late = Array.from({ length: 5 }, () => refresher.getAccessToken('kiro-1'));
  release();
  waiting.push(...late);
  const tokens = await Promise.all(waiting);
  assert.deepEqual(new Set(tokens), new Set(['access-1']));
  assert.equal(server.hits('POST /token').length, 1);
});

test('a quota saved while a refresh is on its way survives the refresh, and the refreshed token survives the quota', async (context) => {
  let release: () => void = () => undefined;
  let arrive: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const arrived = new Promise<void>((resolve) => { arrive = resolve; });
  const { clock, store, refresher, cleanup } = await setup(async () => {
    arrive();
    await gate;
    return { json: { accessToken: 'access-1', refreshToken: 'refresh-1', expiresIn: 3600 } };
  });
  context.after(cleanup);
  await store.save(kiroCredential(clock, { expires_at: new Date(clock.time + MINUTE).toISOString() }));
  const refreshed = refresher.getAccessToken('kiro-1');
  await arrived;
  await store.update('kiro-1', (current) => ({ ...current, quota: { limit: 50, used: 8, remaining: 42 } }));
  release();
  assert.equal(await refreshed, 'access-1');
  const stored = store.get('kiro-1') as KiroCredential;
  assert.deepEqual(stored.quota, { limit: 50, used: 8, remaining: 42 }, 'the quota is kept');
  assert.deepEqual([stored.access_token, stored.refresh_token], ['access-1', 'refresh-1']);
});

test('a refused refresh marks the credential invalid with the reason, and callers get credential_invalid', async (context) => {
  const { clock, server, store, refresher, cleanup } = await setup({ status: 400, json: { error: 'invalid_grant', error_description: 'Refresh token has expired' } });
  context.after(cleanup);
  await store.save(kiroCredential(clock, { expires_at: new Date(clock.time + MINUTE).toISOString() }));
  const isInvalid = (error: unknown): boolean =>
    error instanceof GatewayError && error.status === 401 && error.code === 'unauthorized' && error.details?.auth_error === 'credential_invalid' && error.retryable;
  const attempts = await Promise.allSettled(Array.from({ length: 5 }, () => refresher.getAccessToken('kiro-1')));
  for (const attempt of attempts) {
    assert.equal(attempt.status, 'rejected');
    assert.ok(isInvalid((attempt as PromiseRejectedResult).reason));
  }
  const stored = store.get('kiro-1') as KiroCredential;
  assert.equal(stored.status, 'invalid');
  assert.match(stored.status_reason ?? '', /invalid_grant: Refresh token has expired/);
  await assert.rejects(refresher.getAccessToken('kiro-1'), (error: unknown) => isInvalid(error) && /Refresh token has expired/.test((error as Error).message));
  assert.equal(server.hits('POST /token').length, 1, 'an invalid credential is not retried');
  assert.doesNotMatch(stored.status_reason ?? '', /refresh-0|secret-1/);
});

test('a transient failure keeps the credential active and serves the old token while it works', async (context) => {
  const { clock, server, store, refresher, cleanup } = await setup({ status: 503, json: { message: 'try later' } });
  context.after(cleanup);
  await store.save(kiroCredential(clock, { expires_at: new Date(clock.time + 5 * MINUTE).toISOString() }));
  assert.equal(await refresher.getAccessToken('kiro-1'), 'access-0');
  clock.advance(5 * MINUTE);
  await assert.rejects(refresher.getAccessToken('kiro-1'), (error: unknown) => error instanceof GatewayError && error.status === 502);
  assert.equal(store.get('kiro-1')?.status, 'active');
  assert.equal(server.hits('POST /token').length, 2);
});

test('a 404 from the token endpoint (a wrong URL) does not condemn the credential', async (context) => {
  const { clock, store, refresher, cleanup } = await setup({ status: 404, json: { message: 'Not Found' } });
  context.after(cleanup);
  await store.save(kiroCredential(clock, { expires_at: new Date(clock.time).toISOString() }));
  await assert.rejects(refresher.getAccessToken('kiro-1'), (error: unknown) => error instanceof GatewayError && error.code === 'upstream_error');
  assert.equal(store.get('kiro-1')?.status, 'active');
});

test('Copilot: the API token comes from the exchange; no subscription marks the credential invalid', async (context) => {
  const { store, refresher, server, cleanup } = await setup(refreshAnswer('unused'));
  context.after(cleanup);
  const base = copilotCredentialFixture();
  await store.save(base);
  const usable = await refresher.getUsableCredential('copilot-octocat');
  assert.equal(usable.accessToken, 'copilot-1');
  assert.equal((usable.credential as CopilotCredential).api_endpoint, 'https://api.example');
  assert.equal((store.get('copilot-octocat') as CopilotCredential).copilot_token, 'copilot-1', 'the API token is cached in the store');
  assert.equal(await refresher.getAccessToken('copilot-octocat'), 'copilot-1');
  assert.equal(server.hits('GET /copilot/token').length, 1);

  await store.save({ ...base, id: 'copilot-nosub', access_token: 'gho_other', github_token: 'gho_other' });
  await assert.rejects(refresher.getAccessToken('copilot-nosub'), (error: unknown) => error instanceof GatewayError && error.details?.auth_error === 'credential_invalid');
  const stored = store.get('copilot-nosub');
  assert.equal(stored?.status, 'invalid');
  assert.match(stored?.status_reason ?? '', /no Copilot subscription/);
});

test('a Kiro social login refreshes through Kiro\'s own service', async (context) => {
  const { clock, store, refresher, server, cleanup } = await setup(refreshAnswer('unused'));
  context.after(cleanup);
  await store.save(kiroCredential(clock, {
    auth_method: 'social',
    expires_at: new Date(clock.time).toISOString(),
    client_id: undefined,
    client_secret: undefined,
    client_secret_expires_at: undefined,
    start_url: undefined,
    profile_arn: 'arn:old',
  }));
  assert.equal(await refresher.getAccessToken('kiro-1'), 'social-access');
  assert.deepEqual(jsonOf(server.hits('POST /social/refresh')[0]!), { refreshToken: 'refresh-0' });
  const stored = store.get('kiro-1') as KiroCredential;
  assert.equal(stored.profile_arn, 'arn:new');
  assert.equal(stored.refresh_token, 'refresh-0');
  assert.equal(server.hits('POST /token').length, 0);
});

test('the lock hook wraps each refresh, and a refresh made while waiting for it is not repeated', async (context) => {
  const events: string[] = [];
  let storeRef: TokenStore | undefined;
  let clockRef: FakeClock | undefined;
  const { clock, server, store, refresher, cleanup } = await setup(refreshAnswer('access-1'), {
    lock: async (id) => {
      events.push(`lock ${id}`);
      if (events.length === 1 && storeRef !== undefined && clockRef !== undefined) {
        // Another instance refreshed while this one waited for the lock.
        await storeRef.save(kiroCredential(clockRef, { access_token: 'from-elsewhere' }));
      }
      return () => { events.push(`release ${id}`); };
    },
  });
  storeRef = store;
  clockRef = clock;
  context.after(cleanup);
  await store.save(kiroCredential(clock, { expires_at: new Date(clock.time + MINUTE).toISOString() }));
  assert.equal(await refresher.getAccessToken('kiro-1'), 'from-elsewhere');
  assert.equal(server.hits('POST /token').length, 0);
  assert.deepEqual((await refresher.refresh('kiro-1')).accessToken, 'access-1', 'a forced refresh ignores the expiry');
  assert.deepEqual(events, ['lock kiro-1', 'release kiro-1', 'lock kiro-1', 'release kiro-1']);
  assert.equal(server.hits('POST /token').length, 1);
});

test('an unknown credential is no_credentials', async (context) => {
  const { refresher, cleanup } = await setup(refreshAnswer('unused'));
  context.after(cleanup);
  await assert.rejects(refresher.getAccessToken('nobody'), (error: unknown) => error instanceof GatewayError && error.code === 'no_credentials');
});
