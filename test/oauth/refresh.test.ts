/**
 * Token refresh and the token store, end to end through the running gateway: refresh
 * before expiry (with the gateway's injectable clock), one refresh however many requests
 * wait, refresh-token rotation, failed refreshes, the forced refresh after an upstream 401,
 * restarts, and credential files dropped into `<data_dir>/credentials` by hand.
 * Kiro streams here are SYNTHETIC (see test/helpers/oauth-world.ts).
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import OpenAI from 'openai';
import { startGateway, type RunningGateway } from '../../src/server/gateway.ts';
import {
  copilotRecord, eventually, kiroAnswer, kiroRecord, kiroTextStream, listCredentials, sendJson, startOAuthWorld, tempDataDir, testClock,
  writeCredentialFile, type OAuthWorld, type Recorded, type TestClock,
} from '../helpers/oauth-world.ts';

const KIRO = 'POST /kiro/generateAssistantResponse';
const MINUTE = 60_000;

interface RefreshSetup {
  world: OAuthWorld;
  clock: TestClock;
  dataDir: string;
  gateway: () => RunningGateway;
  openai: () => OpenAI;
  /** Closes the gateway and starts a new one on the same data_dir. */
  restart(): Promise<void>;
}

async function setup(t: TestContext, records: Array<Record<string, unknown>>, extraConfig: Record<string, unknown> = {}): Promise<RefreshSetup> {
  const clock = testClock();
  const world = await startOAuthWorld(clock);
  const data = await tempDataDir();
  let gateway: RunningGateway | undefined;
  t.after(async () => {
    await gateway?.close();
    await world.close();
    await data.remove();
  });
  await mkdir(join(data.dir, 'credentials'), { recursive: true, mode: 0o700 });
  for (const record of records) await writeCredentialFile(data.dir, record);
  const start = async (): Promise<void> => {
    gateway = await startGateway({ config: world.gatewayConfig(data.dir, extraConfig), env: {}, logLevel: 'silent', clock });
  };
  await start();
  const current = (): RunningGateway => {
    assert.ok(gateway !== undefined);
    return gateway;
  };
  return {
    world,
    clock,
    dataDir: data.dir,
    gateway: current,
    openai: () => new OpenAI({ apiKey: 'unused', baseURL: `${current().url}/v1`, maxRetries: 0, timeout: 10_000 }),
    restart: async () => {
      await current().close();
      gateway = undefined;
      await start();
    },
  };
}

function refreshes(world: OAuthWorld, region = 'us-east-1'): Recorded[] {
  return world.hits(`POST /oidc/${region}/token`).filter((request) => request.json?.grantType === 'refresh_token');
}

async function stored(dataDir: string, id: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(dataDir, 'credentials', `${id}.json`), 'utf8')) as Record<string, unknown>;
}

async function ask(openai: OpenAI, model = 'kiro/claude-sonnet-4-5'): Promise<string | null | undefined> {
  const completion = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
  return completion.choices[0]?.message.content;
}

/** The start-up usage-limits call has read the credential (with its token as it was). */
async function settled(world: OAuthWorld, count = 1): Promise<void> {
  await eventually('the start-up usage-limits calls', () => (world.hits('GET /kiro-usage/getUsageLimits').length >= count ? true : undefined));
}

test('a Kiro credential near expiry is refreshed with its refresh token before the request', async (t) => {
  const { world, clock, dataDir, openai } = await setup(t, [kiroRecord('kiro-builder', Date.now())]);
  await settled(world);
  assert.equal(refreshes(world).length, 0, 'an hour left: no refresh at start');
  clock.advance(45 * MINUTE);
  assert.equal(await ask(openai()), 'Hello from Kiro');
  assert.equal(refreshes(world).length, 0, '15 minutes left (lead 10): no refresh yet');
  assert.equal(world.hits(KIRO).at(-1)?.headers.authorization, 'Bearer kiro-builder-access-0');

  clock.advance(6 * MINUTE);
  assert.equal(await ask(openai()), 'Hello from Kiro');
  const [refresh] = refreshes(world);
  assert.equal(refreshes(world).length, 1);
  assert.deepEqual(refresh?.json, { clientId: 'oidc-client-1', clientSecret: 'oidc-secret-1', refreshToken: 'kiro-builder-refresh-0', grantType: 'refresh_token' });
  assert.equal(world.hits(KIRO).at(-1)?.headers.authorization, 'Bearer kiro-access-refreshed-1');
  const record = await stored(dataDir, 'kiro-builder');
  assert.equal(record.access_token, 'kiro-access-refreshed-1');
  assert.equal(record.refresh_token, 'kiro-refresh-refreshed-1');
  assert.equal(record.expires_at, new Date(clock.now() + 3_600_000).toISOString());
  assert.equal(record.status, 'active');
  assert.equal((await stat(join(dataDir, 'credentials', 'kiro-builder.json'))).mode & 0o777, 0o600);
});

test('refresh_lead is configurable', async (t) => {
  const { world, clock, openai } = await setup(t, [kiroRecord('kiro-builder', Date.now())], { oauth: { refresh_lead: '30m' } });
  await settled(world);
  clock.advance(25 * MINUTE);
  await ask(openai());
  assert.equal(refreshes(world).length, 0, '35 minutes left: outside a 30-minute lead');
  clock.advance(10 * MINUTE);
  await ask(openai());
  assert.equal(refreshes(world).length, 1, '25 minutes left: inside a 30-minute lead');
  assert.equal(world.hits(KIRO).at(-1)?.headers.authorization, 'Bearer kiro-access-refreshed-1');
});

test('twenty concurrent requests on an expiring credential cause exactly one refresh', async (t) => {
  const { world, clock, openai } = await setup(t, [kiroRecord('kiro-builder', Date.now())]);
  await settled(world);
  clock.advance(55 * MINUTE);
  world.refreshDelayMs = 150;
  const client = openai();
  const answers = await Promise.all(Array.from({ length: 20 }, () => ask(client)));
  assert.deepEqual(new Set(answers), new Set(['Hello from Kiro']));
  assert.equal(answers.length, 20);
  assert.equal(refreshes(world).length, 1, 'one refresh at the OIDC endpoint');
  const kiro = world.hits(KIRO);
  assert.equal(kiro.length, 20);
  assert.ok(kiro.every((request) => request.headers.authorization === 'Bearer kiro-access-refreshed-1'), 'all twenty used the refreshed token');
});

test('a refresh answer without a new refresh token keeps the old one', async (t) => {
  const { world, clock, dataDir, openai } = await setup(t, [kiroRecord('kiro-builder', Date.now())]);
  await settled(world);
  world.refreshQueue.push({ status: 200, json: { accessToken: 'kiro-access-no-rotation', expiresIn: 3600, tokenType: 'Bearer' } });
  clock.advance(55 * MINUTE);
  await ask(openai());
  const record = await stored(dataDir, 'kiro-builder');
  assert.equal(record.access_token, 'kiro-access-no-rotation');
  assert.equal(record.refresh_token, 'kiro-builder-refresh-0');
  // The next refresh still presents it.
  clock.advance(55 * MINUTE);
  await ask(openai());
  assert.equal(refreshes(world).length, 2);
  assert.equal(refreshes(world)[1]?.json?.refreshToken, 'kiro-builder-refresh-0');
  assert.equal(world.hits(KIRO).at(-1)?.headers.authorization, 'Bearer kiro-access-refreshed-2');
});

test('a refused refresh (400 invalid_grant) marks the credential invalid with the reason, and the next candidate serves', async (t) => {
  const now = Date.now();
  const { world, clock, gateway, openai } = await setup(t, [
    kiroRecord('kiro-a', now),
    kiroRecord('kiro-b', now, { expires_at: new Date(now + 5 * 3_600_000).toISOString() }),
  ]);
  await settled(world, 2);
  world.refreshQueue.push({ status: 400, json: { error: 'invalid_grant', error_description: 'Refresh token has expired' } });
  clock.advance(55 * MINUTE);
  for (let index = 0; index < 4; index++) assert.equal(await ask(openai()), 'Hello from Kiro', `request ${index} served`);
  assert.equal(refreshes(world).length, 1, 'kiro-a was refreshed once, and never again');
  assert.ok(world.hits(KIRO).every((request) => request.headers.authorization === 'Bearer kiro-b-access-0'), 'only kiro-b reached Kiro');
  const listing = await listCredentials(gateway().url);
  const invalid = listing.data.find((item) => item.id === 'kiro-a');
  assert.equal(invalid?.status, 'invalid');
  assert.equal(invalid?.status_reason, 'refresh failed: AWS OIDC token refresh failed (HTTP 400, invalid_grant: Refresh token has expired)');
  assert.equal(listing.data.find((item) => item.id === 'kiro-b')?.status, 'active');
  assert.doesNotMatch(JSON.stringify(listing), /refresh-0|secret-1|access-0/, 'no secret in the listing');
});

test('a 401 from Kiro\'s chat API triggers one forced refresh and a retry', async (t) => {
  const { world, openai } = await setup(t, [kiroRecord('kiro-builder', Date.now())]);
  await settled(world);
  world.kiroQueue.push({ status: 401, headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'UnauthorizedException' }, body: JSON.stringify({ message: 'The bearer token included in the request is invalid.' }) });
  assert.equal(await ask(openai()), 'Hello from Kiro');
  assert.equal(refreshes(world).length, 1, 'one forced refresh');
  const [first, second] = world.hits(KIRO);
  assert.equal(world.hits(KIRO).length, 2);
  assert.equal(first?.headers.authorization, 'Bearer kiro-builder-access-0');
  assert.equal(second?.headers.authorization, 'Bearer kiro-access-refreshed-1');
});

// KNOWN GAP (left failing on purpose): PROTOCOLS.md says 401/402/403 get "for OAuth
// credentials, one refresh attempt first"; AWS answers an expired or revoked bearer token with
// 403 (AccessDeniedException / ExpiredTokenException). src/server/proxy.ts tryCandidates()
// refreshes only after a 401, so a 403 cools the credential down for 30 minutes instead.
test('a 403 from Kiro\'s chat API also triggers one forced refresh and a retry (PROTOCOLS.md: 401/402/403)', async (t) => {
  const { world, openai } = await setup(t, [kiroRecord('kiro-builder', Date.now())]);
  await settled(world);
  world.kiroQueue.push({ status: 403, headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException' }, body: JSON.stringify({ message: 'The bearer token included in the request is expired.' }) });
  assert.equal(await ask(openai()), 'Hello from Kiro');
  assert.equal(refreshes(world).length, 1, 'one forced refresh');
  assert.equal(world.hits(KIRO).at(-1)?.headers.authorization, 'Bearer kiro-access-refreshed-1');
});

test('a restart on the same data_dir keeps refreshed Kiro tokens and cached Copilot API tokens', async (t) => {
  const now = Date.now();
  const { world, clock, dataDir, openai, restart } = await setup(t, [kiroRecord('kiro-builder', now), copilotRecord('octocat', now)]);
  await settled(world);
  await eventually('the start-up Copilot token exchange', () => (world.hits('GET /copilot/token').length === 1 ? true : undefined));
  clock.advance(55 * MINUTE);
  assert.equal(await ask(openai()), 'Hello from Kiro');
  assert.equal(refreshes(world).length, 1);
  assert.equal(await ask(openai(), 'gpt-4.1'), 'Hello from Copilot');
  // 55 minutes after the first exchange the 30-minute Copilot token was renewed too.
  const exchangesBefore = world.hits('GET /copilot/token').length;
  assert.equal(exchangesBefore, 2);
  const copilotToken = (await stored(dataDir, 'copilot-octocat')).copilot_token;

  await restart();
  assert.equal(await ask(openai()), 'Hello from Kiro');
  assert.equal(await ask(openai(), 'gpt-4.1'), 'Hello from Copilot');
  assert.equal(refreshes(world).length, 1, 'no refresh after the restart');
  assert.equal(world.hits('GET /copilot/token').length, exchangesBefore, 'no token exchange after the restart');
  assert.equal(world.hits(KIRO).at(-1)?.headers.authorization, 'Bearer kiro-access-refreshed-1');
  assert.equal(world.hits('POST /copilot-api/chat/completions').at(-1)?.headers.authorization, `Bearer ${String(copilotToken)}`);
});

test('a credential file dropped into the folder is picked up without a restart', async (t) => {
  const { world, dataDir, gateway, openai } = await setup(t, []);
  const before = await openai().chat.completions.create({ model: 'kiro/claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] }).then(
    () => 'served',
    (error: { status?: number }) => error.status,
  );
  assert.notEqual(before, 'served', 'no credential yet: not served');
  assert.equal(world.hits(KIRO).length, 0);
  await writeCredentialFile(dataDir, kiroRecord('kiro-dropped', Date.now()));
  await eventually('the dropped credential in the listing', async () => ((await listCredentials(gateway().url)).data.some((item) => item.id === 'kiro-dropped') ? true : undefined));
  const answer = await eventually('a request served with the dropped credential', () => ask(openai()).catch(() => undefined));
  assert.equal(answer, 'Hello from Kiro');
  assert.equal(world.hits(KIRO).at(-1)?.headers.authorization, 'Bearer kiro-dropped-access-0');
});

test('broken credential files are reported in problems, not fatal', async (t) => {
  const now = Date.now();
  const data = await tempDataDir();
  const clock = testClock(now);
  const world = await startOAuthWorld(clock);
  let gateway: RunningGateway | undefined;
  t.after(async () => {
    await gateway?.close();
    await world.close();
    await data.remove();
  });
  const folder = join(data.dir, 'credentials');
  await mkdir(folder, { recursive: true, mode: 0o700 });
  await writeCredentialFile(data.dir, kiroRecord('kiro-good', now));
  await writeFile(join(folder, 'broken.json'), '{ "id": "broken", ', { mode: 0o600 });
  await writeFile(join(folder, 'misnamed.json'), JSON.stringify(kiroRecord('kiro-other', now)), { mode: 0o600 });
  const { region: _region, ...noRegion } = kiroRecord('no-region', now);
  await writeFile(join(folder, 'no-region.json'), JSON.stringify(noRegion), { mode: 0o600 });
  gateway = await startGateway({ config: world.gatewayConfig(data.dir), env: {}, logLevel: 'silent', clock });
  const listing = await listCredentials(gateway.url);
  assert.deepEqual(listing.data.map((item) => item.id), ['kiro-good']);
  assert.deepEqual(listing.problems, [
    { file: 'broken.json', reason: 'not valid JSON' },
    { file: 'misnamed.json', reason: 'id "kiro-other" does not match the file name (expected kiro-other.json)' },
    { file: 'no-region.json', reason: 'region must be a non-empty string' },
  ]);
  const openai = new OpenAI({ apiKey: 'unused', baseURL: `${gateway.url}/v1`, maxRetries: 0, timeout: 10_000 });
  assert.equal(await ask(openai), 'Hello from Kiro');
  // A broken file dropped in while running is reported too, and the good one keeps serving.
  await writeFile(join(folder, 'later.json'), 'not json at all', { mode: 0o600 });
  await eventually('the later problem', async () => ((await listCredentials(gateway?.url ?? '')).problems.some((problem) => problem.file === 'later.json') ? true : undefined));
  assert.equal(await ask(openai), 'Hello from Kiro');
});

test('Kiro social logins refresh at Kiro\'s own refresh endpoint', async (t) => {
  const now = Date.now();
  const social = kiroRecord('kiro-social', now, { auth_method: 'social', label: 'Kiro IDE (Github login)', profile_arn: 'arn:aws:codewhisperer:us-east-1:123456789012:profile/SYNTHETIC', client_id: undefined, client_secret: undefined, client_secret_expires_at: undefined, start_url: undefined });
  const { world, clock, openai } = await setup(t, [social]);
  world.on('POST /kiro-social/us-east-1/refreshToken', (request, response) => {
    sendJson(response, 200, { accessToken: 'kiro-social-access-1', refreshToken: 'kiro-social-refresh-1', expiresIn: 3600, profileArn: 'arn:aws:codewhisperer:us-east-1:123456789012:profile/SYNTHETIC' });
    void request;
  });
  await settled(world);
  clock.advance(55 * MINUTE);
  world.kiroQueue.push(kiroAnswer(kiroTextStream(['social ok'])));
  assert.equal(await ask(openai()), 'social ok');
  const calls = world.hits('POST /kiro-social/us-east-1/refreshToken');
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0]?.json, { refreshToken: 'kiro-social-refresh-0' });
  assert.equal(refreshes(world).length, 0, 'not through AWS OIDC');
  assert.equal(world.hits(KIRO).at(-1)?.headers.authorization, 'Bearer kiro-social-access-1');
});

test('an Identity Center credential refreshes in its own region', async (t) => {
  const now = Date.now();
  const idc = kiroRecord('kiro-idc', now, { auth_method: 'idc', region: 'eu-west-1', label: 'https://my-org.awsapps.com/start', start_url: 'https://my-org.awsapps.com/start' });
  const { world, clock, openai } = await setup(t, [idc]);
  await settled(world);
  clock.advance(55 * MINUTE);
  await ask(openai());
  assert.equal(refreshes(world, 'eu-west-1').length, 1);
  assert.equal(refreshes(world, 'us-east-1').length, 0);
  assert.equal(world.hits(KIRO).at(-1)?.headers.authorization, 'Bearer kiro-access-refreshed-1');
  assert.equal((world.hits(KIRO).at(-1)?.json as { profileArn?: string } | undefined)?.profileArn, undefined, 'Identity Center never sends profileArn');
});
