import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidCredentialId, newCredentialId, parseCredential } from './credential.ts';

const COPILOT = {
  id: 'copilot-octocat',
  provider: 'copilot',
  type: 'oauth_device_flow',
  label: 'octocat',
  access_token: 'gho_x',
  github_token: 'gho_x',
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  status: 'active',
};

test('a well-formed record parses, and unknown fields are kept', () => {
  const parsed = parseCredential({ ...COPILOT, quota: { limit: null, used: null, remaining: null, unlimited: true }, future_field: 1 });
  assert.ok(parsed.ok);
  assert.equal((parsed.credential as unknown as Record<string, unknown>).future_field, 1);
});

test('each broken field is named', () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...COPILOT, provider: 'openai' }, /provider must be/],
    [{ ...COPILOT, type: 'api_key' }, /type must be/],
    [{ ...COPILOT, status: 'expired' }, /status must be/],
    [{ ...COPILOT, expires_at: 'tomorrow' }, /expires_at must be an ISO date/],
    [{ ...COPILOT, github_token: undefined }, /github_token/],
    [{ ...COPILOT, quota: { limit: '5', used: 0, remaining: 5 } }, /quota\.limit/],
    [{ ...COPILOT, created_at: undefined }, /created_at is missing/],
    [{ ...COPILOT, provider: 'kiro', auth_method: 'password', region: 'us-east-1' }, /auth_method must be/],
    [{ ...COPILOT, id: 'a/b' }, /id may hold only/],
    [{ ...COPILOT, provider: 'kiro', auth_method: 'idc', region: 'evil.example/x#' }, /region must be an AWS region/],
  ];
  for (const [record, pattern] of cases) {
    const parsed = parseCredential(record);
    assert.equal(parsed.ok, false, pattern.source);
    assert.match((parsed as { reason: string }).reason, pattern);
  }
  assert.deepEqual(parseCredential([1]), { ok: false, reason: 'not a JSON object' });
});

test('ids are safe file names; a login hint makes them readable and stable', () => {
  assert.equal(newCredentialId('copilot', 'Octo Cat'), 'copilot-octo-cat');
  assert.equal(newCredentialId('copilot', 'Octo Cat'), newCredentialId('copilot', 'Octo Cat'));
  assert.match(newCredentialId('kiro'), /^kiro-[0-9a-f]{12}$/);
  assert.match(newCredentialId('copilot', '../..'), /^copilot-[0-9a-f]{12}$/, 'a hint with nothing usable falls back to random');
  for (const id of ['.hidden', '../x', 'a/b', '']) assert.equal(isValidCredentialId(id), false, id);
  assert.equal(isValidCredentialId('kiro-1.backup_2'), true);
});
