import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../errors.ts';
import { copilotCredentialFixture, startFakeServer, testClient } from './auth.test-helper.ts';
import { CopilotQuotaReader, quotaFromCopilotUser } from './copilot-quota.ts';

const client = testClient();
after(() => client.close());

const credential = copilotCredentialFixture();

const PAID_PLAN = {
  copilot_plan: 'individual',
  quota_reset_date: '2026-02-01',
  quota_snapshots: {
    chat: { entitlement: 0, remaining: 0, percent_remaining: 100, unlimited: true },
    completions: { entitlement: 0, remaining: 0, percent_remaining: 100, unlimited: true },
    premium_interactions: { entitlement: 300, remaining: 260, percent_remaining: 86.7, unlimited: false },
  },
};

test('the quota comes from premium_interactions, with the reset date', async (context) => {
  const server = await startFakeServer({ 'GET /copilot_internal/user': { json: PAID_PLAN } });
  context.after(() => server.close());
  const reader = new CopilotQuotaReader({ client, userUrl: `${server.url}/copilot_internal/user` });
  assert.deepEqual(await reader.fetchQuota(credential), { limit: 300, used: 40, remaining: 260, reset_at: '2026-02-01T00:00:00.000Z' });
  assert.equal(server.hits('GET /copilot_internal/user')[0]!.headers.authorization, 'token gho_good');
});

test('without premium_interactions the chat bucket is the quota', () => {
  const free = { quota_reset_date: '2026-02-01', quota_snapshots: { chat: { entitlement: 50, remaining: 12, unlimited: false } } };
  assert.deepEqual(quotaFromCopilotUser(free), { limit: 50, used: 38, remaining: 12, reset_at: '2026-02-01T00:00:00.000Z' });
});

test('an unlimited bucket has null counts and the unlimited flag', () => {
  const business = { quota_snapshots: { premium_interactions: { entitlement: 0, remaining: 0, unlimited: true } } };
  assert.deepEqual(quotaFromCopilotUser(business), { limit: null, used: null, remaining: null, unlimited: true });
});

test('no snapshots is a protocol error; a refused request is an auth error', async (context) => {
  const server = await startFakeServer({ 'GET /copilot_internal/user': { json: { login: 'octocat' } } });
  context.after(() => server.close());
  const reader = new CopilotQuotaReader({ client, userUrl: `${server.url}/copilot_internal/user` });
  await assert.rejects(reader.fetchQuota(credential), (error: unknown) => error instanceof GatewayError && error.code === 'upstream_protocol_error');
  server.route('GET /copilot_internal/user', { status: 401, json: { message: 'Bad credentials' } });
  await assert.rejects(reader.fetchQuota(credential), (error: unknown) => error instanceof GatewayError && error.status === 401);
});
