import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '../errors.ts';
import { FakeClock, jsonOf, startFakeServer, testClient, type Script } from './auth.test-helper.ts';
import { AwsSsoOidc } from './aws-sso-oidc.ts';
import { CopilotTokenExchange } from './copilot-token.ts';
import type { CopilotCredential, KiroCredential } from './credential.ts';
import { DeviceLogin } from './device-login.ts';
import { GitHubDeviceFlow } from './github-device-flow.ts';
import { TokenStore } from './token-store.ts';

const client = testClient();
after(() => client.close());

async function setup(routes: Record<string, Script>, checkCopilot = false) {
  const server = await startFakeServer({
    'POST /github/device/code': { json: { device_code: 'dc', user_code: 'ABCD-1234', verification_uri: 'https://github.com/login/device', expires_in: 900, interval: 5 } },
    'GET /github/user': { json: { login: 'octocat' } },
    'POST /aws/us-east-1/client/register': { json: { clientId: 'client-1', clientSecret: 'secret-1', clientSecretExpiresAt: 1_780_000_000 } },
    'POST /aws/us-east-1/device_authorization': {
      json: { deviceCode: 'device-1', userCode: 'WXYZ-9876', verificationUri: 'https://device.sso/', verificationUriComplete: 'https://device.sso/?user_code=WXYZ-9876', expiresIn: 600, interval: 1 },
    },
    ...routes,
  });
  const clock = new FakeClock();
  const folder = await mkdtemp(join(tmpdir(), 'cliproxy-login-'));
  const store = await TokenStore.open({ directory: folder, watch: false, now: clock.now });
  const github = new GitHubDeviceFlow({
    client,
    deviceCodeUrl: `${server.url}/github/device/code`,
    accessTokenUrl: `${server.url}/github/token`,
    userUrl: `${server.url}/github/user`,
    now: clock.now,
    sleep: clock.sleep,
  });
  const oidc = new AwsSsoOidc({ client, endpoint: `${server.url}/aws/{region}`, now: clock.now, sleep: clock.sleep });
  const copilotTokens = new CopilotTokenExchange({ client, tokenUrl: `${server.url}/github/copilot-token`, now: clock.now });
  const logins = new DeviceLogin({ store, github, oidc, now: clock.now, ...(checkCopilot ? { copilotTokens } : {}) });
  const cleanup = async (): Promise<void> => {
    logins.close();
    await server.close();
    await rm(folder, { recursive: true, force: true });
  };
  return { server, clock, store, logins, cleanup };
}

/** A script that answers `pending` until `authorize()` is called, then `success`. */
function authorizeLater(pending: Script, success: Script) {
  let authorized = false;
  const pick = (script: Script) => (Array.isArray(script) ? script[0]! : script);
  return {
    script: (async (request) => {
      const step = authorized ? pick(success) : pick(pending);
      return typeof step === 'function' ? step(request) : step;
    }) as Script,
    authorize: () => { authorized = true; },
  };
}

test('a Copilot login shows the code, stays pending until authorized, then saves the credential', async (context) => {
  const flow = authorizeLater({ json: { error: 'authorization_pending' } }, { json: { access_token: 'gho_new' } });
  const { server, clock, store, logins, cleanup } = await setup({ 'POST /github/token': flow.script });
  context.after(cleanup);
  const startedAt = clock.time;
  const ticket = await logins.startLogin('copilot');
  assert.equal(ticket.provider, 'copilot');
  assert.equal(ticket.user_code, 'ABCD-1234');
  assert.equal(ticket.verification_uri, 'https://github.com/login/device');
  assert.equal(ticket.verification_uri_complete, undefined);
  assert.equal(ticket.expires_at, new Date(startedAt + 900_000).toISOString());
  assert.equal(ticket.interval, 5);
  assert.equal(logins.status(ticket.login_id)?.status, 'pending');
  while (server.hits('POST /github/token').length < 2) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(logins.status(ticket.login_id)?.status, 'pending', 'still pending after two polls');
  flow.authorize();
  const outcome = await logins.wait(ticket.login_id);
  assert.deepEqual(outcome, { status: 'success', login_id: ticket.login_id, provider: 'copilot', credential_id: 'copilot-octocat', label: 'octocat' });
  assert.deepEqual(logins.status(ticket.login_id), outcome);
  assert.equal(store.get('copilot-octocat')?.access_token, 'gho_new');
});

test('a denied login fails with a readable reason and a stable code', async (context) => {
  const { logins, store, cleanup } = await setup({ 'POST /github/token': { json: { error: 'access_denied' } } });
  context.after(cleanup);
  const ticket = await logins.startLogin('copilot');
  const outcome = await logins.wait(ticket.login_id);
  assert.equal(outcome.status, 'failed');
  assert.ok(outcome.status === 'failed');
  assert.equal(outcome.error, 'access_denied');
  assert.match(outcome.reason, /denied/);
  assert.equal(store.list().length, 0);
});

test('with the token exchange configured, a login without a Copilot subscription fails and saves nothing', async (context) => {
  const { logins, store, server, cleanup } = await setup({
    'POST /github/token': { json: { access_token: 'gho_new' } },
    'GET /github/copilot-token': { status: 403, json: { message: 'Resource not accessible' } },
  }, true);
  context.after(cleanup);
  const outcome = await logins.wait((await logins.startLogin('copilot')).login_id);
  assert.ok(outcome.status === 'failed');
  assert.equal(outcome.error, 'no_copilot_subscription');
  assert.match(outcome.reason, /octocat has no Copilot subscription/);
  assert.equal(store.list().length, 0);
  server.route('GET /github/copilot-token', { json: { token: 'tid=1', expires_at: 2_000_000_000, endpoints: { api: 'https://api.business.githubcopilot.com' } } });
  const success = await logins.wait((await logins.startLogin('copilot')).login_id);
  assert.ok(success.status === 'success');
  assert.equal((store.get(success.credential_id) as CopilotCredential).api_endpoint, 'https://api.business.githubcopilot.com');
});

test('a Kiro Builder ID login registers, polls and saves the credential with its registration; the next login reuses it', async (context) => {
  const { server, clock, store, logins, cleanup } = await setup({
    'POST /aws/us-east-1/token': [{ status: 400, json: { error: 'authorization_pending' } }, { json: { accessToken: 'aoa', refreshToken: 'aor', expiresIn: 3600 } }],
  });
  context.after(cleanup);
  const ticket = await logins.startLogin('kiro', { method: 'builder-id' });
  assert.equal(ticket.user_code, 'WXYZ-9876');
  assert.equal(ticket.verification_uri_complete, 'https://device.sso/?user_code=WXYZ-9876');
  assert.equal(jsonOf(server.hits('POST /aws/us-east-1/device_authorization')[0]!).startUrl, 'https://view.awsapps.com/start');
  const outcome = await logins.wait(ticket.login_id);
  assert.equal(outcome.status, 'success');
  assert.ok(outcome.status === 'success');
  const credential = store.get(outcome.credential_id) as KiroCredential;
  assert.equal(credential.auth_method, 'builder-id');
  assert.equal(credential.label, 'https://view.awsapps.com/start');
  assert.deepEqual([credential.access_token, credential.refresh_token], ['aoa', 'aor']);
  assert.equal(credential.expires_at, new Date(clock.time + 3_600_000).toISOString());
  assert.deepEqual([credential.client_id, credential.client_secret, credential.client_secret_expires_at], ['client-1', 'secret-1', new Date(1_780_000_000_000).toISOString()]);
  assert.equal(credential.region, 'us-east-1');

  await logins.startLogin('kiro');
  assert.equal(server.hits('POST /aws/us-east-1/client/register').length, 1, 'the stored registration is reused');
  assert.equal(server.hits('POST /aws/us-east-1/device_authorization').length, 2);
});

test('an Identity Center login needs an https start URL and a real region', async (context) => {
  const { logins, server, cleanup } = await setup({});
  context.after(cleanup);
  const rejectsParam = (param: string) => (error: unknown) => error instanceof GatewayError && error.status === 400 && error.param === param;
  await assert.rejects(logins.startLogin('kiro', { method: 'idc' }), rejectsParam('start_url'));
  await assert.rejects(logins.startLogin('kiro', { method: 'idc', startUrl: 'http://my-org.awsapps.com/start' }), rejectsParam('start_url'));
  await assert.rejects(logins.startLogin('kiro', { method: 'idc', startUrl: 'https://my-org.awsapps.com/start', region: 'evil.example/x' }), rejectsParam('region'));
  assert.equal(server.requests.length, 0, 'nothing was sent');
});

test('a code that expires while pending fails the login as expired', async (context) => {
  const { logins, cleanup } = await setup({ 'POST /aws/us-east-1/token': { status: 400, json: { error: 'authorization_pending' } } });
  context.after(cleanup);
  const ticket = await logins.startLogin('kiro', { method: 'idc', startUrl: 'https://my-org.awsapps.com/start' });
  const outcome = await logins.wait(ticket.login_id);
  assert.ok(outcome.status === 'failed');
  assert.equal(outcome.error, 'expired_token');
  assert.match(outcome.reason, /expired/);
});

test('a login cancelled while its poll request is in flight fails as cancelled', async (context) => {
  let arrive: () => void = () => undefined;
  const arrived = new Promise<void>((resolve) => { arrive = resolve; });
  const { logins, cleanup } = await setup({
    'POST /github/token': () => {
      arrive();
      return new Promise(() => undefined); // never answers
    },
  });
  context.after(cleanup);
  const ticket = await logins.startLogin('copilot');
  await arrived;
  logins.cancel(ticket.login_id);
  const outcome = await logins.wait(ticket.login_id);
  assert.ok(outcome.status === 'failed');
  assert.equal(outcome.error, 'cancelled');
});

test('a cancelled login fails as cancelled; finished logins are forgotten after the retention time', async (context) => {
  const { logins, clock, cleanup } = await setup({ 'POST /github/token': { json: { error: 'authorization_pending' } } });
  context.after(cleanup);
  const ticket = await logins.startLogin('copilot');
  assert.equal(logins.cancel(ticket.login_id), true);
  const outcome = await logins.wait(ticket.login_id);
  assert.ok(outcome.status === 'failed');
  assert.equal(outcome.error, 'cancelled');
  assert.equal(logins.cancel(ticket.login_id), false, 'nothing left to cancel');
  assert.equal(logins.status('no-such-login'), undefined);
  clock.advance(16 * 60_000);
  assert.equal(logins.status(ticket.login_id), undefined);
});
