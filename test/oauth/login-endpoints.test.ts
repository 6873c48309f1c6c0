/**
 * The JSON login endpoints (`POST /v0/management/oauth/{provider}/start`,
 * `GET …/status?login_id=`) through the running gateway, against loopback fakes of GitHub's
 * device flow and AWS SSO OIDC: pending → success, the failures with readable reasons, the
 * Kiro methods (Builder ID, Identity Center with start URL and region), the client
 * registration kept and renewed, and the management key.
 * The fakes hand out sub-second poll intervals, so a login takes milliseconds of real time.
 */
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import OpenAI from 'openai';
import { startGateway, type RunningGateway } from '../../src/server/gateway.ts';
import { eventually, listCredentials, management, sendJson, startOAuthWorld, tempDataDir, testClock, type OAuthWorld, type TestClock } from '../helpers/oauth-world.ts';

interface LoginSetup {
  world: OAuthWorld;
  gateway: RunningGateway;
  clock: TestClock;
  dataDir: string;
}

async function setup(t: TestContext, extra: Record<string, unknown> = {}): Promise<LoginSetup> {
  const clock = testClock();
  const world = await startOAuthWorld(clock);
  const data = await tempDataDir();
  let gateway: RunningGateway | undefined;
  t.after(async () => {
    await gateway?.close();
    await world.close();
    await data.remove();
  });
  const running = await startGateway({ config: world.gatewayConfig(data.dir, extra), env: {}, logLevel: 'silent', clock });
  gateway = running;
  return { world, gateway: running, clock, dataDir: data.dir };
}

interface Ticket {
  login_id: string;
  provider: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_at: string;
  interval: number;
}

async function start(gateway: RunningGateway, provider: string, body?: unknown): Promise<Ticket> {
  const answer = await management(gateway.url, `/v0/management/oauth/${provider}/start`, { method: 'POST', ...(body === undefined ? {} : { body }) });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body as unknown as Ticket;
}

async function status(gateway: RunningGateway, provider: string, loginId: string): Promise<Record<string, unknown>> {
  const answer = await management(gateway.url, `/v0/management/oauth/${provider}/status?login_id=${encodeURIComponent(loginId)}`);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body;
}

function finished(gateway: RunningGateway, provider: string, loginId: string, timeoutMs = 5_000): Promise<Record<string, unknown>> {
  return eventually(`login ${loginId} to finish`, async () => {
    const current = await status(gateway, provider, loginId);
    return current.status === 'pending' ? undefined : current;
  }, timeoutMs);
}

async function storedFile(dataDir: string, id: string): Promise<Record<string, unknown>> {
  const file = join(dataDir, 'credentials', `${id}.json`);
  assert.equal((await stat(file)).mode & 0o777, 0o600, `${file} is 0600`);
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
}

test('Copilot: start shows the code, status stays pending through several polls, then success saves a usable credential', async (t) => {
  const { world, gateway, clock, dataDir } = await setup(t);
  world.github.manual = true;
  const ticket = await start(gateway, 'copilot');
  assert.match(ticket.login_id, /^[0-9a-f-]{36}$/);
  assert.deepEqual({ ...ticket, login_id: '' }, {
    login_id: '',
    provider: 'copilot',
    user_code: 'ABCD-1234',
    verification_uri: 'https://github.com/login/device',
    expires_at: new Date(clock.now() + 900_000).toISOString(),
    interval: 0.05,
  });
  const deviceRequest = world.hits('POST /github/device/code')[0];
  assert.deepEqual(deviceRequest?.json, { client_id: 'Iv1.b507a08c87ecfe98', scope: 'read:user' });
  assert.equal(deviceRequest?.headers.accept, 'application/json');

  await eventually('three polls at GitHub', () => (world.hits('POST /github/token').length >= 3 ? true : undefined));
  const pending = await status(gateway, 'copilot', ticket.login_id);
  assert.equal(pending.status, 'pending');
  assert.equal(pending.user_code, 'ABCD-1234');
  assert.deepEqual(world.hits('POST /github/token')[0]?.json, { client_id: 'Iv1.b507a08c87ecfe98', device_code: 'gh-device-1', grant_type: 'urn:ietf:params:oauth:grant-type:device_code' });

  world.authorize();
  const outcome = await finished(gateway, 'copilot', ticket.login_id);
  assert.deepEqual(outcome, { status: 'success', login_id: ticket.login_id, provider: 'copilot', credential_id: 'copilot-octocat', label: 'octocat' });
  const record = await storedFile(dataDir, 'copilot-octocat');
  assert.equal(record.github_token, 'gho_octocat_token');
  assert.equal(record.provider, 'copilot');
  assert.match(String(record.copilot_token), /^tid=octocat_token;/, 'the login checked the subscription with a token exchange');
  const listing = await listCredentials(gateway.url);
  assert.deepEqual(listing.data.map((item) => [item.id, item.provider, item.label, item.status]), [['copilot-octocat', 'copilot', 'octocat', 'active']]);

  // The new credential serves without a restart.
  const openai = new OpenAI({ apiKey: 'unused', baseURL: `${gateway.url}/v1`, maxRetries: 0, timeout: 10_000 });
  const answer = await eventually('Copilot serving with the new login', () => openai.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] }).catch(() => undefined));
  assert.equal(answer.choices[0]?.message.content, 'Hello from Copilot');
  assert.equal(world.hits('POST /copilot-api/chat/completions').at(-1)?.headers.authorization, `Bearer ${String(record.copilot_token)}`);
});

test('a Copilot account logged in while running gets its quota and the live catalogue without waiting for the next hourly tick', async (t) => {
  const { world, gateway } = await setup(t);
  world.github.pending = 0;
  world.copilotQuota.set('gho_octocat_token', { entitlement: 300, remaining: 250 });
  const ticket = await start(gateway, 'copilot');
  assert.equal((await finished(gateway, 'copilot', ticket.login_id)).status, 'success');
  const listing = await eventually('the new account\'s quota', async () => {
    const current = await listCredentials(gateway.url);
    return current.data[0]?.quota !== null && current.data[0] !== undefined ? current : undefined;
  });
  assert.deepEqual(listing.data[0]?.quota, { limit: 300, used: 50, remaining: 250, reset_at: '2030-01-01T00:00:00.000Z' });
  const ids = await eventually('the live catalogue', async () => {
    const body = await (await fetch(`${gateway.url}/v1/providers/copilot/models`)).json() as { data: Array<{ id: string }> };
    const names = body.data.map((model) => model.id);
    return names.includes('gpt-5-codex') ? names : undefined;
  });
  assert.deepEqual(ids, ['gpt-4.1', 'claude-sonnet-4.5', 'gpt-5-codex']);
});

test('slow_down (GitHub and AWS) lengthens the poll interval and the logins still succeed', async (t) => {
  const { world, gateway } = await setup(t);
  world.github.pending = 0;
  world.github.slowDownAt = [1];
  world.oidc.pending = 0;
  world.oidc.outcome = 'slow_down_then_success';
  // Both at once: each next poll comes five seconds later (RFC 8628 §3.5).
  const copilot = await start(gateway, 'copilot');
  const kiro = await start(gateway, 'kiro', { method: 'builder-id' });
  await eventually('the slow_down answers', () => (world.hits('POST /github/token').length >= 1 && world.hits('POST /oidc/us-east-1/token').length >= 1 ? true : undefined));
  assert.equal((await status(gateway, 'copilot', copilot.login_id)).status, 'pending', 'slow_down is not a failure');
  assert.equal((await status(gateway, 'kiro', kiro.login_id)).status, 'pending', 'slow_down is not a failure');
  const [copilotOutcome, kiroOutcome] = await Promise.all([finished(gateway, 'copilot', copilot.login_id, 10_000), finished(gateway, 'kiro', kiro.login_id, 10_000)]);
  assert.equal(copilotOutcome.status, 'success');
  assert.equal(kiroOutcome.status, 'success');
  assert.equal(world.hits('POST /github/token').length, 2);
  assert.equal(world.hits('POST /oidc/us-east-1/token').length, 2);
});

test('Copilot: an expired device code and a denied authorization fail with readable reasons', async (t) => {
  const { world, gateway } = await setup(t);
  world.github.outcome = 'expired';
  world.github.pending = 1;
  const expired = await start(gateway, 'copilot');
  assert.deepEqual(await finished(gateway, 'copilot', expired.login_id), {
    status: 'failed',
    login_id: expired.login_id,
    provider: 'copilot',
    reason: 'the GitHub device code expired before it was authorized; start the login again',
    error: 'expired_token',
  });
  world.github.outcome = 'denied';
  const denied = await start(gateway, 'copilot');
  const outcome = await finished(gateway, 'copilot', denied.login_id);
  assert.equal(outcome.status, 'failed');
  assert.equal(outcome.reason, 'the GitHub authorization was denied');
  assert.equal(outcome.error, 'access_denied');
  assert.deepEqual((await listCredentials(gateway.url)).data, [], 'nothing saved');
});

test('Copilot: an account without a Copilot subscription fails at login', async (t) => {
  const { world, gateway } = await setup(t);
  world.on('GET /copilot/token', (_request, response) => sendJson(response, 403, { message: 'Resource not accessible by integration' }));
  world.github.pending = 0;
  const ticket = await start(gateway, 'copilot');
  const outcome = await finished(gateway, 'copilot', ticket.login_id);
  assert.equal(outcome.status, 'failed');
  assert.equal(outcome.error, 'no_copilot_subscription');
  assert.match(String(outcome.reason), /GitHub account octocat has no Copilot subscription/);
});

test('Kiro Builder ID: register, device authorization, pending → success; the registration is kept for the next login', async (t) => {
  const { world, gateway, clock, dataDir } = await setup(t);
  world.oidc.manual = true;
  const ticket = await start(gateway, 'kiro', { method: 'builder-id' });
  assert.deepEqual({ ...ticket, login_id: '' }, {
    login_id: '',
    provider: 'kiro',
    user_code: 'WXYZ-9876',
    verification_uri: 'https://device.sso.us-east-1.amazonaws.com/',
    verification_uri_complete: 'https://device.sso.us-east-1.amazonaws.com/?user_code=WXYZ-9876',
    expires_at: new Date(clock.now() + 600_000).toISOString(),
    interval: 0.05,
  });
  const register = world.hits('POST /oidc/us-east-1/client/register')[0]?.json;
  assert.equal(register?.clientType, 'public');
  assert.deepEqual(register?.scopes, ['codewhisperer:completions', 'codewhisperer:analysis', 'codewhisperer:conversations', 'codewhisperer:transformations', 'codewhisperer:taskassist']);
  assert.deepEqual(register?.grantTypes, ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token']);
  assert.deepEqual(world.hits('POST /oidc/us-east-1/device_authorization')[0]?.json, { clientId: 'oidc-client-1', clientSecret: 'oidc-secret-1', startUrl: 'https://view.awsapps.com/start' });
  await eventually('two polls at AWS', () => (world.hits('POST /oidc/us-east-1/token').length >= 2 ? true : undefined));
  assert.equal((await status(gateway, 'kiro', ticket.login_id)).status, 'pending');
  assert.deepEqual(world.hits('POST /oidc/us-east-1/token')[0]?.json, { clientId: 'oidc-client-1', clientSecret: 'oidc-secret-1', deviceCode: 'aws-device-1', grantType: 'urn:ietf:params:oauth:grant-type:device_code' });
  world.authorize();
  const outcome = await finished(gateway, 'kiro', ticket.login_id);
  assert.equal(outcome.status, 'success');
  assert.equal(outcome.label, 'https://view.awsapps.com/start');
  const id = String(outcome.credential_id);
  assert.match(id, /^kiro-[0-9a-f]{12}$/);
  const record = await storedFile(dataDir, id);
  assert.equal(record.auth_method, 'builder-id');
  assert.equal(record.region, 'us-east-1');
  assert.equal(record.access_token, 'kiro-access-login');
  assert.equal(record.refresh_token, 'kiro-refresh-login');
  assert.equal(record.expires_at, new Date(clock.now() + 3_600_000).toISOString());
  assert.equal(record.client_id, 'oidc-client-1');
  assert.equal(record.profile_arn, undefined);

  // A second login for the same start URL reuses the stored registration.
  world.oidc.manual = false;
  world.oidc.pending = 0;
  const again = await start(gateway, 'kiro', { method: 'builder-id' });
  assert.equal((await finished(gateway, 'kiro', again.login_id)).status, 'success');
  assert.equal(world.hits('POST /oidc/us-east-1/client/register').length, 1, 'no second registration');
  // …until it expires: then a new one is made.
  clock.advance(91 * 86_400_000);
  const later = await start(gateway, 'kiro', { method: 'builder-id' });
  assert.equal((await finished(gateway, 'kiro', later.login_id)).status, 'success');
  assert.equal(world.hits('POST /oidc/us-east-1/client/register').length, 2, 'the expired registration was renewed');
});

test('Kiro Identity Center: the start URL and region are used throughout', async (t) => {
  const { world, gateway, dataDir } = await setup(t);
  world.oidc.pending = 1;
  const ticket = await start(gateway, 'kiro', { method: 'idc', start_url: 'https://my-org.awsapps.com/start', region: 'eu-west-1' });
  assert.equal(ticket.user_code, 'WXYZ-9876');
  const outcome = await finished(gateway, 'kiro', ticket.login_id);
  assert.equal(outcome.status, 'success');
  assert.equal(outcome.label, 'https://my-org.awsapps.com/start');
  assert.equal(world.hits('POST /oidc/eu-west-1/client/register').length, 1);
  assert.deepEqual(world.hits('POST /oidc/eu-west-1/device_authorization')[0]?.json?.startUrl, 'https://my-org.awsapps.com/start');
  assert.ok(world.hits('POST /oidc/eu-west-1/token').length >= 2);
  assert.equal(world.requests.filter((request) => request.path.startsWith('/oidc/us-east-1/')).length, 0, 'nothing went to the default region');
  const record = await storedFile(dataDir, String(outcome.credential_id));
  assert.deepEqual([record.auth_method, record.region, record.start_url], ['idc', 'eu-west-1', 'https://my-org.awsapps.com/start']);
});

test('Kiro: bad start parameters are refused; an expired code and a denial fail with readable reasons', async (t) => {
  const { world, gateway } = await setup(t);
  const missingUrl = await management(gateway.url, '/v0/management/oauth/kiro/start', { method: 'POST', body: { method: 'idc', region: 'eu-west-1' } });
  assert.equal(missingUrl.status, 400);
  assert.equal((missingUrl.body.error as { message: string }).message, 'an Identity Center login needs the organisation\'s start URL');
  const badRegion = await management(gateway.url, '/v0/management/oauth/kiro/start', { method: 'POST', body: { method: 'idc', start_url: 'https://my-org.awsapps.com/start', region: 'evil.example/x#' } });
  assert.equal(badRegion.status, 400);
  assert.match((badRegion.body.error as { message: string }).message, /is not an AWS region/);
  const badMethod = await management(gateway.url, '/v0/management/oauth/kiro/start', { method: 'POST', body: { method: 'password' } });
  assert.equal(badMethod.status, 400);
  assert.equal(world.hits('POST /oidc/us-east-1/client/register').length, 0);

  world.oidc.outcome = 'expired_token';
  const expired = await start(gateway, 'kiro', { method: 'builder-id' });
  const expiredOutcome = await finished(gateway, 'kiro', expired.login_id);
  assert.equal(expiredOutcome.status, 'failed');
  assert.equal(expiredOutcome.reason, 'the AWS device code expired before it was authorized; start the login again');
  assert.equal(expiredOutcome.error, 'expired_token');
  world.oidc.outcome = 'access_denied';
  const denied = await start(gateway, 'kiro', { method: 'builder-id' });
  const deniedOutcome = await finished(gateway, 'kiro', denied.login_id);
  assert.equal(deniedOutcome.reason, 'the AWS authorization was denied');
  assert.equal(deniedOutcome.error, 'access_denied');
});

test('Kiro logins default to oauth.kiro_region and, for Identity Center, oauth.kiro_start_url', async (t) => {
  const { world, gateway, dataDir } = await setup(t, { oauth: { kiro_region: 'eu-central-1', kiro_start_url: 'https://configured-org.awsapps.com/start' } });
  world.oidc.pending = 0;
  const idc = await start(gateway, 'kiro', { method: 'idc' });
  const outcome = await finished(gateway, 'kiro', idc.login_id);
  assert.equal(outcome.status, 'success');
  assert.equal(outcome.label, 'https://configured-org.awsapps.com/start');
  assert.equal(world.hits('POST /oidc/eu-central-1/device_authorization')[0]?.json?.startUrl, 'https://configured-org.awsapps.com/start');
  const record = await storedFile(dataDir, String(outcome.credential_id));
  assert.deepEqual([record.region, record.auth_method], ['eu-central-1', 'idc']);
  const builder = await start(gateway, 'kiro', {});
  assert.equal((await finished(gateway, 'kiro', builder.login_id)).status, 'success');
  assert.equal(world.hits('POST /oidc/eu-central-1/device_authorization')[1]?.json?.startUrl, 'https://view.awsapps.com/start');
  assert.equal(world.requests.filter((request) => request.path.startsWith('/oidc/us-east-1/')).length, 0);
  // A region in the request still wins.
  const explicit = await start(gateway, 'kiro', { method: 'builder-id', region: 'us-west-2' });
  assert.equal((await finished(gateway, 'kiro', explicit.login_id)).status, 'success');
  assert.equal(world.hits('POST /oidc/us-west-2/device_authorization').length, 1);
});

test('the login endpoints need the management key: 401 without, 403 with a wrong one', async (t) => {
  const { gateway, world } = await setup(t);
  const without = await management(gateway.url, '/v0/management/oauth/copilot/start', { method: 'POST', key: null });
  assert.equal(without.status, 401);
  assert.equal((without.body.error as { code: string }).code, 'unauthorized');
  const wrong = await management(gateway.url, '/v0/management/oauth/copilot/start', { method: 'POST', key: 'not-the-key' });
  assert.equal(wrong.status, 403);
  assert.equal((wrong.body.error as { code: string }).code, 'forbidden');
  assert.equal((await management(gateway.url, '/v0/management/oauth/kiro/start', { method: 'POST', key: null, body: { method: 'builder-id' } })).status, 401);
  assert.equal((await management(gateway.url, '/v0/management/oauth/copilot/status?login_id=x', { key: null })).status, 401);
  assert.equal((await management(gateway.url, '/v0/management/oauth/copilot/status?login_id=x', { key: 'nope' })).status, 403);
  assert.equal((await management(gateway.url, '/v0/management/credentials', { key: null })).status, 401);
  assert.equal(world.hits('POST /github/device/code').length + world.hits('POST /oidc/us-east-1/client/register').length, 0, 'no flow started');
  // Bearer works like the header.
  const bearer = await fetch(`${gateway.url}/v0/management/credentials`, { headers: { authorization: 'Bearer mk' } });
  assert.equal(bearer.status, 200);
  assert.equal((await management(gateway.url, '/v0/management/oauth/copilot/status?login_id=unknown')).status, 404);
  assert.equal((await management(gateway.url, '/v0/management/oauth/gemini/start', { method: 'POST' })).status, 404);
});

test('with no management key set, loopback clients may log in, others may not', async (t) => {
  const { gateway } = await setup(t, { management_key: undefined });
  const ticket = await management(gateway.url, '/v0/management/oauth/copilot/start', { method: 'POST', key: null });
  assert.equal(ticket.status, 200);
  assert.equal(ticket.body.user_code, 'ABCD-1234');
  assert.equal((await management(gateway.url, `/v0/management/oauth/copilot/status?login_id=${String(ticket.body.login_id)}`, { key: null })).status, 200);
  const page = await fetch(`${gateway.url}/v0/oauth/copilot`);
  assert.equal(page.status, 200);
  assert.doesNotMatch(await page.text(), /id="key"/, 'no key field when there is no key');

  // From a non-loopback address of this host, when it has one.
  const external = Object.values(networkInterfaces()).flat().find((entry) => entry !== undefined && !entry.internal && entry.family === 'IPv4');
  if (external !== undefined) {
    const clock = testClock();
    const world = await startOAuthWorld(clock);
    const data = await tempDataDir();
    const exposed = await startGateway({ config: world.gatewayConfig(data.dir, { management_key: undefined, host: external.address, allow_unauthenticated: true }), env: {}, logLevel: 'silent', clock });
    try {
      const refused = await management(exposed.url, '/v0/management/oauth/copilot/start', { method: 'POST', key: null });
      assert.equal(refused.status, 403);
      assert.match((refused.body.error as { message: string }).message, /only open to loopback clients/);
      assert.equal((await fetch(`${exposed.url}/v0/oauth/copilot`)).status, 403);
      assert.equal(world.hits('POST /github/device/code').length, 0);
    } finally {
      await exposed.close();
      await world.close();
      await data.remove();
    }
  }
});
