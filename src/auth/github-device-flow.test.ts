import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../errors.ts';
import { FakeClock, formOf, startFakeServer, testClient } from './auth.test-helper.ts';
import { COPILOT_GITHUB_CLIENT_ID, GitHubDeviceFlow } from './github-device-flow.ts';

const client = testClient();
after(() => client.close());

const DEVICE_CODE = {
  device_code: 'dc-123',
  user_code: 'ABCD-1234',
  verification_uri: 'https://github.com/login/device',
  expires_in: 900,
  interval: 5,
};

async function setup(tokenAnswers: Parameters<typeof startFakeServer>[0][string]) {
  const server = await startFakeServer({
    'POST /login/device/code': { json: DEVICE_CODE },
    'POST /login/oauth/access_token': tokenAnswers,
    'GET /user': (request) => (request.headers.authorization === 'token gho_good' ? { json: { login: 'Octo.Cat', id: 1 } } : { status: 401, json: { message: 'Bad credentials' } }),
  });
  const clock = new FakeClock();
  const flow = new GitHubDeviceFlow({
    client,
    deviceCodeUrl: `${server.url}/login/device/code`,
    accessTokenUrl: `${server.url}/login/oauth/access_token`,
    userUrl: `${server.url}/user`,
    now: clock.now,
    sleep: clock.sleep,
  });
  return { server, clock, flow };
}

function authError(expected: string, status: number) {
  return (error: unknown) => error instanceof GatewayError && error.details?.auth_error === expected && error.status === status;
}

test('start asks for a device code with the Copilot client id and read:user', async (context) => {
  const { server, flow } = await setup({ json: { error: 'authorization_pending' } });
  context.after(() => server.close());
  assert.deepEqual(await flow.start(), DEVICE_CODE);
  const [request] = server.hits('POST /login/device/code');
  assert.deepEqual(formOf(request!), { client_id: COPILOT_GITHUB_CLIENT_ID, scope: 'read:user' });
  assert.equal(request!.headers.accept, 'application/json');
  assert.equal(request!.headers['content-type'], 'application/x-www-form-urlencoded');
});

test('poll waits through pending and slow_down (interval grows by 5 s), then names the account', async (context) => {
  const { server, clock, flow } = await setup([
    { json: { error: 'authorization_pending' } },
    { json: { error: 'slow_down', interval: 10 } },
    { json: { error: 'authorization_pending' } },
    { json: { access_token: 'gho_good', token_type: 'bearer', scope: 'read:user' } },
  ]);
  context.after(() => server.close());
  const credential = await flow.poll('dc-123', 5, { expiresIn: 900 });
  assert.deepEqual(clock.sleeps, [5000, 5000, 10_000, 10_000], 'one wait before each poll; +5 s after slow_down');
  const polls = server.hits('POST /login/oauth/access_token');
  assert.equal(polls.length, 4);
  assert.deepEqual(formOf(polls[0]!), {
    client_id: COPILOT_GITHUB_CLIENT_ID,
    device_code: 'dc-123',
    grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
  });
  assert.equal(server.hits('GET /user')[0]!.headers.authorization, 'token gho_good');
  assert.equal(credential.id, 'copilot-octo.cat');
  assert.equal(credential.label, 'Octo.Cat');
  assert.equal(credential.provider, 'copilot');
  assert.equal(credential.github_token, 'gho_good');
  assert.equal(credential.access_token, 'gho_good');
  assert.equal(credential.status, 'active');
  assert.equal(credential.refresh_token, undefined, 'GitHub tokens neither expire nor refresh');
  assert.equal(credential.created_at, new Date(clock.time).toISOString());
});

test('expired_token ends the poll with a clear error', async (context) => {
  const { server, flow } = await setup([{ json: { error: 'authorization_pending' } }, { json: { error: 'expired_token' } }]);
  context.after(() => server.close());
  await assert.rejects(flow.poll('dc-123', 5), (error: unknown) => authError('expired_token', 401)(error) && /expired/.test((error as Error).message));
});

test('access_denied ends the poll with a clear error', async (context) => {
  const { server, flow } = await setup({ json: { error: 'access_denied', error_description: 'The authorization request was denied.' } });
  context.after(() => server.close());
  await assert.rejects(flow.poll('dc-123', 5), (error: unknown) => authError('access_denied', 403)(error) && /denied/.test((error as Error).message));
});

test('the poll stops at the device code expiry even while GitHub still says pending', async (context) => {
  const { server, clock, flow } = await setup({ json: { error: 'authorization_pending' } });
  context.after(() => server.close());
  await assert.rejects(flow.poll('dc-123', 5, { expiresIn: 20 }), authError('expired_token', 401));
  assert.equal(server.hits('POST /login/oauth/access_token').length, 4, 'polled at 5, 10, 15, 20 s, then gave up');
  assert.equal(clock.sleeps.reduce((sum, value) => sum + value, 0), 20_000);
});

test('an unexpected error code is reported with its code, and never with the device code', async (context) => {
  const { server, flow } = await setup({ json: { error: 'incorrect_client_credentials', error_description: 'The client_id is not valid.' } });
  context.after(() => server.close());
  await assert.rejects(flow.poll('dc-secret-code', 5), (error: unknown) => {
    assert.ok(error instanceof GatewayError);
    assert.match(error.message, /incorrect_client_credentials/);
    assert.doesNotMatch(error.message, /dc-secret-code/);
    return true;
  });
});

test('a cancelled poll stops with "cancelled"', async (context) => {
  const { server, flow } = await setup({ json: { error: 'authorization_pending' } });
  context.after(() => server.close());
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(flow.poll('dc-123', 5, { signal: controller.signal }), authError('cancelled', 499));
  assert.equal(server.hits('POST /login/oauth/access_token').length, 0);
});
