/**
 * Two gateway processes sharing one Redis behave as one gateway (issue 6, "Tests"): a shared
 * `requests_per_minute` holds across both exactly, a cooldown set through one is obeyed by
 * the other, usage from both adds up, round robin spreads over credentials globally, and a
 * credential both need is refreshed once.
 *
 * Both processes run `cliproxy serve` with their own data_dir and the same
 * `state: {driver: redis, key_prefix}`, in front of one loopback fake upstream (one provider
 * per fact, so the facts do not disturb each other) and one fake of the OAuth parties.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { deleteKeys, randomPrefix } from '../../src/state/redis.test-helper.ts';
import { startFakeUpstream } from '../helpers/fake-upstream.ts';
import type { FakeUpstream, RecordedRequest } from '../helpers/fake-upstream.ts';
import { startGatewayProcess } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { eventually, kiroRecord, startOAuthWorld, writeCredentialFile } from '../helpers/oauth-world.ts';
import type { OAuthWorld } from '../helpers/oauth-world.ts';
import { counts, failure, okResponse } from '../helpers/routing-harness.ts';
import { acquireRedis, redisAvailability } from '../helpers/test-redis.ts';
import type { TestRedis } from '../helpers/test-redis.ts';

const MANAGEMENT_KEY = 'mk-shared';
const availability = await redisAvailability();

/** `POST /v1/chat/completions` for `model`; the status, headers and parsed body. */
async function chat(gateway: GatewayProcess, model: string): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello there' }] }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { raw: text };
  }
  return { status: response.status, headers: response.headers, body };
}

async function management(gateway: GatewayProcess, path: string): Promise<Record<string, unknown>> {
  const response = await fetch(gateway.url + path, { headers: { 'x-management-key': MANAGEMENT_KEY }, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  assert.equal(response.status, 200, `GET ${path} on ${gateway.url}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

interface UsageRow {
  key: string;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
}

async function usageByProvider(gateway: GatewayProcess): Promise<Map<string, UsageRow>> {
  const body = await management(gateway, '/v0/management/usage?group_by=provider');
  return new Map((body.data as UsageRow[]).map((row) => [row.key, row]));
}

function bearer(request: RecordedRequest): string {
  return String(request.headers.authorization ?? '').replace(/^Bearer /, '');
}

function chatRequestsTo(upstream: FakeUpstream, provider: string): RecordedRequest[] {
  return upstream.requests.filter((request) => request.path === `/${provider}/v1/chat/completions`);
}

function provider(upstreamUrl: string, name: string, keys: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'openai_compatible', endpoint: `${upstreamUrl}/${name}/v1`, api_keys: keys, models: [{ name: `${name}-m` }], ...extra };
}

if (availability.source === undefined) {
  console.log(`# two gateways sharing one Redis: not registered (${availability.reason})`);
} else {
  const source = availability.source;
  describe('two gateway processes sharing one Redis', () => {
    let redis: TestRedis;
    let upstream: FakeUpstream;
    let world: OAuthWorld;
    let keyPrefix: string;
    let first: GatewayProcess;
    let second: GatewayProcess;
    const dataDirs: string[] = [];
    const cleanups: Array<() => Promise<unknown>> = [];

    before(async () => {
      redis = await acquireRedis(source);
      cleanups.push(() => redis.release());
      keyPrefix = randomPrefix();
      // The key prefix is random per run; its keys go before the (private) server does.
      cleanups.push(() => deleteKeys(redis.url, keyPrefix));
      upstream = await startFakeUpstream();
      cleanups.push(() => upstream.close());
      world = await startOAuthWorld();
      cleanups.push(() => world.close());
      // Long enough that both gateways' requests are waiting while the first refresh runs.
      world.refreshDelayMs = 300;
      for (const name of ['lim', 'burst', 'cool', 'rr', 'use']) upstream.always(`POST /${name}/v1/chat/completions`, okResponse(`from ${name}`));
      const config = (dataDir: string): Record<string, unknown> => ({
        host: '127.0.0.1',
        port: 0,
        log_level: 'info',
        data_dir: dataDir,
        management_key: MANAGEMENT_KEY,
        state: { driver: 'redis', redis_url: redis.url, key_prefix: keyPrefix },
        routing: { strategy: 'round_robin', model_strategies: { 'cool-m': 'fill_first' }, max_attempts: 3, backoff: { base: 0, max: 0 }, keepalive_interval: 0 },
        oauth: world.oauthSettings(),
        providers: {
          lim: provider(upstream.url, 'lim', ['lim-key'], { limits: { requests_per_minute: 10 } }),
          burst: provider(upstream.url, 'burst', ['burst-key'], { limits: { requests_per_minute: 10 } }),
          cool: provider(upstream.url, 'cool', ['cool-a', 'cool-b']),
          rr: provider(upstream.url, 'rr', ['rr-1', 'rr-2', 'rr-3']),
          use: provider(upstream.url, 'use', ['use-key']),
          kiro: { endpoint: `${world.url}/kiro` },
        },
      });
      for (let index = 0; index < 2; index++) {
        const dataDir = await mkdtemp(join(tmpdir(), `cliproxy-shared-${index}-`));
        dataDirs.push(dataDir);
        cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
      }
      const started = await Promise.allSettled(dataDirs.map((dataDir) => startGatewayProcess(config(dataDir))));
      for (const outcome of started) if (outcome.status === 'fulfilled') cleanups.push(() => outcome.value.stop());
      for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
      [first, second] = started.map((outcome) => (outcome as PromiseFulfilledResult<GatewayProcess>).value) as [GatewayProcess, GatewayProcess];
    });

    after(async () => {
      // Last started, first stopped: the gateways, then the fakes, the keys and the Redis.
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    });

    test('both start on the redis driver, healthy', async () => {
      for (const gateway of [first, second]) {
        const ready = await (await fetch(`${gateway.url}/ready`, { signal: AbortSignal.timeout(5_000) })).json() as { state: { driver: string; ok: boolean } };
        assert.deepEqual({ driver: ready.state.driver, ok: ready.state.ok }, { driver: 'redis', ok: true });
      }
    });

    test('a shared requests_per_minute holds across both exactly: 16 requests, 10 reach the upstream, 6 get 429 with Retry-After', async () => {
      const statuses: number[] = [];
      const refused: Array<{ via: number; retryAfter: string | null; body: Record<string, unknown> }> = [];
      for (let index = 0; index < 16; index++) {
        const via = index % 2;
        const answer = await chat(via === 0 ? first : second, 'lim-m');
        statuses.push(answer.status);
        if (answer.status === 429) refused.push({ via, retryAfter: answer.headers.get('retry-after'), body: answer.body });
      }
      assert.equal(chatRequestsTo(upstream, 'lim').length, 10, `upstream requests; statuses ${statuses.join(',')}`);
      assert.deepEqual(counts(statuses.map(String)), { 200: 10, 429: 6 });
      // Both gateways refuse once the shared window is full (neither keeps a window of its own).
      assert.deepEqual(new Set(refused.map((item) => item.via)), new Set([0, 1]));
      for (const item of refused) {
        assert.match(item.retryAfter ?? '', /^[1-9]\d*$/, `Retry-After on a refusal: ${JSON.stringify(item)}`);
        assert.ok(Number(item.retryAfter) <= 60, `Retry-After within the minute window, got ${item.retryAfter}`);
      }
    });

    test('the shared window holds under a concurrent burst: 16 requests at once through both, 10 reach the upstream', async () => {
      const answers = await Promise.all(Array.from({ length: 16 }, (_, index) => chat(index % 2 === 0 ? first : second, 'burst-m')));
      assert.equal(chatRequestsTo(upstream, 'burst').length, 10);
      assert.deepEqual(counts(answers.map((answer) => String(answer.status))), { 200: 10, 429: 6 });
    });

    test('a cooldown set through one gateway is obeyed by the other', async () => {
      upstream.enqueue('POST /cool/v1/chat/completions', failure(429, 'slow down', { 'retry-after': '120' }));
      const through = await chat(first, 'cool-m');
      assert.equal(through.status, 200, 'the first gateway fails over to the second credential');
      assert.deepEqual(chatRequestsTo(upstream, 'cool').map(bearer), ['cool-a', 'cool-b']);

      const seen = chatRequestsTo(upstream, 'cool').length;
      const other = await chat(second, 'cool-m');
      assert.equal(other.status, 200);
      assert.deepEqual(chatRequestsTo(upstream, 'cool').slice(seen).map(bearer), ['cool-b'], 'the second gateway skips the cooling credential');

      const listed = (await management(second, '/v0/management/cooldowns?provider=cool')).data as Array<{ credential: string; reason: string; status: number; remaining_seconds: number }>;
      assert.equal(listed.length, 1, JSON.stringify(listed));
      const [cooldown] = listed;
      assert.equal(cooldown?.reason, 'rate_limited');
      assert.equal(cooldown?.status, 429);
      assert.ok((cooldown?.remaining_seconds ?? 0) > 60 && (cooldown?.remaining_seconds ?? 0) <= 120, `about 120 s left: ${JSON.stringify(cooldown)}`);

      const metrics = await fetch(`${second.url}/metrics`, { headers: { 'x-management-key': MANAGEMENT_KEY }, signal: AbortSignal.timeout(5_000) });
      assert.match(await metrics.text(), /^cliproxy_cooldowns_active 1$/m, 'the other gateway counts it among its active cooldowns');

      // Cleared through the second, the first uses the credential again.
      const cleared = await fetch(`${second.url}/v0/management/cooldowns?provider=cool`, { method: 'DELETE', headers: { 'x-management-key': MANAGEMENT_KEY }, signal: AbortSignal.timeout(5_000) });
      assert.deepEqual(await cleared.json(), { cleared: 1 });
      const before = chatRequestsTo(upstream, 'cool').length;
      assert.equal((await chat(first, 'cool-m')).status, 200);
      assert.deepEqual(chatRequestsTo(upstream, 'cool').slice(before).map(bearer), ['cool-a'], 'the first gateway sees the clearing');
      assert.deepEqual((await management(first, '/v0/management/cooldowns?provider=cool')).data, []);
    });

    test('usage from both gateways adds up, whichever one is asked', async () => {
      for (let index = 0; index < 7; index++) assert.equal((await chat(index < 3 ? first : second, 'use-m')).status, 200);
      for (const gateway of [first, second]) {
        const row = await eventually('usage of both gateways', async () => {
          const found = (await usageByProvider(gateway)).get('use');
          return found !== undefined && found.requests === 7 ? found : undefined;
        }).catch(async (error: unknown) => {
          throw new Error(`${String(error)}; ${gateway.url} reports ${JSON.stringify((await usageByProvider(gateway)).get('use'))}`);
        });
        assert.deepEqual({ requests: row.requests, errors: row.errors, inputTokens: row.inputTokens, outputTokens: row.outputTokens },
          { requests: 7, errors: 0, inputTokens: 70, outputTokens: 35 });
      }
      // Every provider's figures, not only this one's: both answer from the same records.
      assert.deepEqual(await management(first, '/v0/management/usage?group_by=provider'), await management(second, '/v0/management/usage?group_by=provider'));
    });

    test('round robin spreads over the credentials globally: 30 requests alternating, 10 per credential', async () => {
      for (let index = 0; index < 30; index++) assert.equal((await chat(index % 2 === 0 ? first : second, 'rr-m')).status, 200);
      assert.deepEqual(counts(chatRequestsTo(upstream, 'rr').map(bearer)), { 'rr-1': 10, 'rr-2': 10, 'rr-3': 10 });
    });

    test('a Kiro credential both gateways need at the same moment is refreshed once', async () => {
      const now = Date.now();
      // Within the refresh lead (10 minutes): due at the first use. Written after start, so
      // that no start-up work (quota reads) refreshes it before the requests do.
      const record = kiroRecord('kiro-shared', now, { expires_at: new Date(now + 60_000).toISOString() });
      for (const dataDir of dataDirs) {
        await mkdir(join(dataDir, 'credentials'), { recursive: true, mode: 0o700 });
        await writeCredentialFile(dataDir, record);
      }
      for (const gateway of [first, second]) {
        await eventually(`${gateway.url} picks up the credential file`, async () => {
          const listed = (await management(gateway, '/v0/management/credentials')).data as Array<{ id: string; status: string }>;
          return listed.some((credential) => credential.id === 'kiro-shared' && credential.status === 'active') ? true : undefined;
        }, 10_000);
      }
      const answers = await Promise.all([first, second, first, second].map((gateway) => chat(gateway, 'kiro/claude-sonnet-4.5')));
      assert.deepEqual(answers.map((answer) => answer.status), [200, 200, 200, 200], JSON.stringify(answers.map((answer) => answer.body)));
      const refreshes = world.hits('POST /oidc/us-east-1/token').filter((request) => request.json?.grantType === 'refresh_token');
      assert.equal(refreshes.length, 1, `refresh requests at the OIDC token endpoint: ${refreshes.length}`);
      const used = world.hits('POST /kiro/generateAssistantResponse').map((request) => String(request.headers.authorization));
      assert.deepEqual(new Set(used), new Set(['Bearer kiro-access-refreshed-1']), 'every Kiro call carries the one refreshed token');
      // Each gateway's own credential file now holds the refreshed token's expiry.
      for (const gateway of [first, second]) {
        const listed = (await management(gateway, '/v0/management/credentials')).data as Array<{ id: string; expires_at: string | null }>;
        const expiresAt = Date.parse(listed.find((credential) => credential.id === 'kiro-shared')?.expires_at ?? '');
        assert.ok(expiresAt > now + 30 * 60_000, `${gateway.url} holds the refreshed token (expires_at ${new Date(expiresAt).toISOString()})`);
      }
    });

    test('a Kiro token both gateways see refused (401) at the same moment is refreshed once', async () => {
      const now = Date.now();
      // Valid for an hour: only the upstream's 401 makes it due.
      const record = kiroRecord('kiro-refused', now);
      // Only this credential, so that both requests use it: the one of the test above goes.
      for (const dataDir of dataDirs) {
        await rm(join(dataDir, 'credentials', 'kiro-shared.json'), { force: true });
        await writeCredentialFile(dataDir, record);
      }
      for (const gateway of [first, second]) {
        let last = '';
        await eventually(`${gateway.url} holds exactly the new credential`, async () => {
          const listed = (await management(gateway, '/v0/management/credentials')).data as Array<{ id: string; status: string }>;
          last = JSON.stringify(listed.map((credential) => [credential.id, credential.status]));
          const ids = listed.map((credential) => credential.id);
          return ids.length === 1 && ids[0] === 'kiro-refused' && listed[0]?.status === 'active' ? true : undefined;
        }, 10_000).catch(async (error: unknown) => {
          const files = await Promise.all(dataDirs.map((dataDir) => readdir(join(dataDir, 'credentials'))));
          throw new Error(`${String(error)}; last listing ${last}; files ${JSON.stringify(files)}`);
        });
      }
      const refreshesBefore = world.hits('POST /oidc/us-east-1/token').length;
      const kiroBefore = world.hits('POST /kiro/generateAssistantResponse').length;
      const refused = { status: 401, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'The bearer token included in the request is invalid.' }) };
      world.kiroQueue.push(refused, refused);
      const answers = await Promise.all([first, second].map((gateway) => chat(gateway, 'kiro/claude-sonnet-4.5')));
      assert.deepEqual(answers.map((answer) => answer.status), [200, 200], JSON.stringify(answers.map((answer) => answer.body)));
      const kiroCalls = world.hits('POST /kiro/generateAssistantResponse').slice(kiroBefore).map((request) => String(request.headers.authorization));
      const refreshes = world.hits('POST /oidc/us-east-1/token').slice(refreshesBefore).filter((request) => request.json?.grantType === 'refresh_token');
      assert.equal(refreshes.length, 1, `refresh requests after both saw a 401 for the same token: ${refreshes.length}; Kiro calls: ${kiroCalls.join(', ')}`);
    });
  });
}
