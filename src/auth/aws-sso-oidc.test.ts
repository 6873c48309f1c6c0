import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../errors.ts';
import { FakeClock, jsonOf, startFakeServer, testClient, type Script } from './auth.test-helper.ts';
import { AwsSsoOidc, BUILDER_ID_START_URL, KIRO_SCOPES, type ClientRegistration } from './aws-sso-oidc.ts';
import type { KiroCredential } from './credential.ts';

const client = testClient();
after(() => client.close());

const REGISTRATION: ClientRegistration = { clientId: 'client-1', clientSecret: 'secret-1', clientSecretExpiresAt: 1_780_000_000 };

async function setup(routes: Record<string, Script> = {}) {
  const server = await startFakeServer({
    'POST /eu-west-1/client/register': { json: { clientId: 'client-1', clientSecret: 'secret-1', clientIdIssuedAt: 1, clientSecretExpiresAt: 1_780_000_000 } },
    'POST /eu-west-1/device_authorization': {
      json: {
        deviceCode: 'device-1',
        userCode: 'WXYZ-9876',
        verificationUri: 'https://device.sso.eu-west-1.amazonaws.com/',
        verificationUriComplete: 'https://device.sso.eu-west-1.amazonaws.com/?user_code=WXYZ-9876',
        expiresIn: 600,
        interval: 1,
      },
    },
    ...routes,
  });
  const clock = new FakeClock();
  const oidc = new AwsSsoOidc({ client, endpoint: `${server.url}/{region}`, now: clock.now, sleep: clock.sleep });
  return { server, clock, oidc };
}

function kiroCredential(overrides: Partial<KiroCredential> = {}): KiroCredential {
  return {
    id: 'kiro-1',
    provider: 'kiro',
    type: 'oauth_device_flow',
    label: BUILDER_ID_START_URL,
    access_token: 'old-access',
    refresh_token: 'old-refresh',
    expires_at: '2026-01-01T00:05:00.000Z',
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    status: 'active',
    region: 'eu-west-1',
    auth_method: 'builder-id',
    start_url: BUILDER_ID_START_URL,
    client_id: 'client-1',
    client_secret: 'secret-1',
    client_secret_expires_at: '2026-04-01T00:00:00.000Z',
    ...overrides,
  };
}

test('register sends a public client with the five codewhisperer scopes and both grant types', async (context) => {
  const { server, oidc } = await setup();
  context.after(() => server.close());
  assert.deepEqual(await oidc.register('eu-west-1'), REGISTRATION);
  const [request] = server.hits('POST /eu-west-1/client/register');
  assert.equal(request!.headers['content-type'], 'application/json');
  assert.deepEqual(jsonOf(request!), {
    clientName: 'cliproxy',
    clientType: 'public',
    scopes: [...KIRO_SCOPES],
    grantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
  });
  assert.equal(KIRO_SCOPES.length, 5);
});

test('a registration is reused while valid and registered again once its secret expired', async (context) => {
  const { server, clock, oidc } = await setup();
  context.after(() => server.close());
  const valid = { ...REGISTRATION, clientId: 'kept', clientSecretExpiresAt: Math.floor(clock.time / 1000) + 60 };
  assert.equal(await oidc.ensureRegistration(valid, 'eu-west-1'), valid);
  assert.equal(server.hits('POST /eu-west-1/client/register').length, 0);
  clock.advance(61_000);
  assert.deepEqual(await oidc.ensureRegistration(valid, 'eu-west-1'), REGISTRATION);
  assert.deepEqual(await oidc.ensureRegistration(undefined, 'eu-west-1'), REGISTRATION);
  assert.equal(server.hits('POST /eu-west-1/client/register').length, 2);
});

test('device authorization sends the registration and the start URL', async (context) => {
  const { server, oidc } = await setup();
  context.after(() => server.close());
  const authorization = await oidc.startDeviceAuthorization(REGISTRATION, 'https://my-org.awsapps.com/start', 'eu-west-1');
  assert.equal(authorization.userCode, 'WXYZ-9876');
  assert.equal(authorization.verificationUriComplete, 'https://device.sso.eu-west-1.amazonaws.com/?user_code=WXYZ-9876');
  assert.deepEqual([authorization.expiresIn, authorization.interval], [600, 1]);
  assert.deepEqual(jsonOf(server.hits('POST /eu-west-1/device_authorization')[0]!), {
    clientId: 'client-1',
    clientSecret: 'secret-1',
    startUrl: 'https://my-org.awsapps.com/start',
  });
});

test('poll keeps going on authorization_pending, slows down by 5 s, and returns the tokens', async (context) => {
  const { server, clock, oidc } = await setup({
    'POST /eu-west-1/token': [
      { status: 400, json: { error: 'authorization_pending', error_description: 'pending' } },
      { status: 400, json: { __type: 'com.amazonaws.ssooidc#SlowDownException', message: 'slow down' } },
      { status: 400, json: { error: 'authorization_pending' } },
      { json: { accessToken: 'new-access', refreshToken: 'new-refresh', expiresIn: 3600, tokenType: 'Bearer' } },
    ],
  });
  context.after(() => server.close());
  const tokens = await oidc.poll(REGISTRATION, 'device-1', 1, 'eu-west-1', { expiresIn: 600 });
  assert.deepEqual(tokens, { accessToken: 'new-access', refreshToken: 'new-refresh', expiresIn: 3600 });
  assert.deepEqual(clock.sleeps, [1000, 1000, 6000, 6000]);
  assert.deepEqual(jsonOf(server.hits('POST /eu-west-1/token')[0]!), {
    clientId: 'client-1',
    clientSecret: 'secret-1',
    deviceCode: 'device-1',
    grantType: 'urn:ietf:params:oauth:grant-type:device_code',
  });
});

for (const [answer, expected, status] of [
  [{ error: 'expired_token' }, 'expired_token', 401],
  [{ __type: 'ExpiredTokenException' }, 'expired_token', 401],
  [{ error: 'access_denied' }, 'access_denied', 403],
  [{ __type: 'com.amazonaws.ssooidc#AccessDeniedException' }, 'access_denied', 403],
] as const) {
  test(`poll fails clearly on ${JSON.stringify(answer)}`, async (context) => {
    const { server, oidc } = await setup({ 'POST /eu-west-1/token': { status: 400, json: answer } });
    context.after(() => server.close());
    await assert.rejects(oidc.poll(REGISTRATION, 'device-1', 1, 'eu-west-1'), (error: unknown) =>
      error instanceof GatewayError && error.details?.auth_error === expected && error.status === status);
  });
}

test('poll fails on any other error with its code, and without secrets in the message', async (context) => {
  const { server, oidc } = await setup({ 'POST /eu-west-1/token': { status: 400, json: { error: 'invalid_client', error_description: 'Invalid client' } } });
  context.after(() => server.close());
  await assert.rejects(oidc.poll(REGISTRATION, 'device-1', 1, 'eu-west-1'), (error: unknown) => {
    assert.ok(error instanceof GatewayError);
    assert.match(error.message, /invalid_client/);
    assert.doesNotMatch(error.message, /secret-1|device-1/);
    return true;
  });
});

test('refresh sends the refresh grant and takes the new refresh token when one comes back', async (context) => {
  const { server, clock, oidc } = await setup({
    'POST /eu-west-1/token': { json: { accessToken: 'fresh-access', refreshToken: 'fresh-refresh', expiresIn: 3600 } },
  });
  context.after(() => server.close());
  const refreshed = await oidc.refresh(kiroCredential());
  assert.deepEqual(jsonOf(server.hits('POST /eu-west-1/token')[0]!), {
    clientId: 'client-1',
    clientSecret: 'secret-1',
    refreshToken: 'old-refresh',
    grantType: 'refresh_token',
  });
  assert.equal(refreshed.access_token, 'fresh-access');
  assert.equal(refreshed.refresh_token, 'fresh-refresh');
  assert.equal(refreshed.expires_at, new Date(clock.time + 3_600_000).toISOString());
});

test('refresh keeps the old refresh token when the answer has none', async (context) => {
  const { server, oidc } = await setup({ 'POST /eu-west-1/token': { json: { accessToken: 'fresh-access', expiresIn: 3600 } } });
  context.after(() => server.close());
  const refreshed = await oidc.refresh(kiroCredential());
  assert.equal(refreshed.access_token, 'fresh-access');
  assert.equal(refreshed.refresh_token, 'old-refresh');
});

test('a refused refresh is an auth error, and names an expired client registration', async (context) => {
  const { server, oidc } = await setup({ 'POST /eu-west-1/token': { status: 400, json: { error: 'invalid_grant', error_description: 'Invalid refresh token' } } });
  context.after(() => server.close());
  await assert.rejects(oidc.refresh(kiroCredential()), (error: unknown) => error instanceof GatewayError && error.status === 401 && /invalid_grant/.test(error.message));
  await assert.rejects(oidc.refresh(kiroCredential({ client_secret_expires_at: '2025-12-01T00:00:00.000Z' })), /client registration expired/);
  await assert.rejects(oidc.refresh(kiroCredential({ client_id: undefined })), /no refresh token or client registration/);
});
