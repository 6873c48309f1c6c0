import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../errors.ts';
import { copilotCredentialFixture, FakeClock, startFakeServer, testClient } from './auth.test-helper.ts';
import { CopilotTokenExchange, DEFAULT_COPILOT_API_ENDPOINT } from './copilot-token.ts';

const client = testClient();
after(() => client.close());

const credential = copilotCredentialFixture();

async function setup() {
  const clock = new FakeClock();
  let issued = 0;
  const server = await startFakeServer({
    'GET /copilot_internal/v2/token': (request) => {
      if (request.headers.authorization !== 'token gho_good') return { status: 401, json: { message: 'Bad credentials' } };
      issued += 1;
      return { json: { token: `tid=copilot-${issued}`, expires_at: Math.floor(clock.time / 1000) + 1800, refresh_in: 1500, endpoints: { api: 'https://api.individual.githubcopilot.com/' } } };
    },
  });
  const exchange = new CopilotTokenExchange({ client, tokenUrl: `${server.url}/copilot_internal/v2/token`, now: clock.now, leadMs: 60_000 });
  return { server, clock, exchange };
}

test('the exchange sends the GitHub token and caches the API token, its expiry and endpoint in the record', async (context) => {
  const { server, clock, exchange } = await setup();
  context.after(() => server.close());
  const updated = await exchange.exchange(credential);
  assert.equal(updated.copilot_token, 'tid=copilot-1');
  assert.equal(updated.copilot_expires_at, new Date(Math.floor(clock.time / 1000) * 1000 + 1_800_000).toISOString());
  assert.equal(updated.api_endpoint, 'https://api.individual.githubcopilot.com', 'the trailing slash is dropped');
  assert.equal(updated.github_token, 'gho_good');
  const [request] = server.hits('GET /copilot_internal/v2/token');
  assert.equal(request!.headers.authorization, 'token gho_good');
  assert.ok(request!.headers['editor-version'], 'editor headers are sent');
});

test('the cached token is reused until shortly before it expires', async (context) => {
  const { server, clock, exchange } = await setup();
  context.after(() => server.close());
  const first = await exchange.getApiToken(credential);
  assert.equal(first.exchanged, true);
  clock.advance(1800_000 - 61_000);
  const second = await exchange.getApiToken(first.credential);
  assert.deepEqual([second.exchanged, second.token, second.apiEndpoint], [false, 'tid=copilot-1', 'https://api.individual.githubcopilot.com']);
  clock.advance(2000);
  const third = await exchange.getApiToken(second.credential);
  assert.deepEqual([third.exchanged, third.token], [true, 'tid=copilot-2'], 'within the lead time, a new token is fetched');
  assert.equal(server.hits('GET /copilot_internal/v2/token').length, 2);
});

test('401 or 403 from the exchange means no Copilot subscription', async (context) => {
  const { server, exchange } = await setup();
  context.after(() => server.close());
  await assert.rejects(exchange.exchange({ ...credential, github_token: 'gho_revoked' }), (error: unknown) => {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.status, 403);
    assert.equal(error.details?.auth_error, 'no_copilot_subscription');
    assert.match(error.message, /no Copilot subscription/);
    assert.doesNotMatch(error.message, /gho_revoked/);
    return true;
  });
  server.route('GET /copilot_internal/v2/token', { status: 403, json: { message: 'Resource not accessible by integration' } });
  await assert.rejects(exchange.exchange(credential), (error: unknown) => error instanceof GatewayError && error.details?.auth_error === 'no_copilot_subscription');
});

test('a 5xx is a transient upstream error, and an answer without a token is a protocol error', async (context) => {
  const { server, exchange } = await setup();
  context.after(() => server.close());
  server.route('GET /copilot_internal/v2/token', { status: 503, json: { message: 'unavailable' } });
  await assert.rejects(exchange.exchange(credential), (error: unknown) => error instanceof GatewayError && error.status === 502 && error.code === 'upstream_error');
  server.route('GET /copilot_internal/v2/token', { json: { expires_at: 1 } });
  await assert.rejects(exchange.exchange(credential), (error: unknown) => error instanceof GatewayError && error.code === 'upstream_protocol_error');
  server.route('GET /copilot_internal/v2/token', { json: { token: 't', expires_at: 2_000_000_000 } });
  assert.equal((await exchange.exchange(credential)).api_endpoint, DEFAULT_COPILOT_API_ENDPOINT, 'without endpoints.api, the public API host');
});
