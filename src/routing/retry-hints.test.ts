import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDurationText, retryHintMs } from './retry-hints.ts';

const NOW = Date.parse('2026-11-25T12:00:00Z');

test('durations in text', () => {
  assert.equal(parseDurationText('1m30s'), 90_000);
  assert.equal(parseDurationText('6m0s'), 360_000);
  assert.equal(parseDurationText('37s'), 37_000);
  assert.equal(parseDurationText('0.5s'), 500);
  assert.equal(parseDurationText('250ms'), 250);
  assert.equal(parseDurationText('2 minutes'), 120_000);
  assert.equal(parseDurationText('1.5 seconds'), 1500);
  assert.equal(parseDurationText('soon'), undefined);
});

test('headers: retry-after-ms wins, then retry-after seconds or date', () => {
  assert.equal(retryHintMs({ 'retry-after-ms': '1500', 'retry-after': '9' }, '', NOW), 1500);
  assert.equal(retryHintMs({ 'retry-after': '20' }, '', NOW), 20_000);
  assert.equal(retryHintMs({ 'retry-after': 'Wed, 25 Nov 2026 12:02:00 GMT' }, '', NOW), 120_000);
  assert.equal(retryHintMs({}, '', NOW), undefined);
});

test('Gemini RetryInfo.retryDelay', () => {
  const body = JSON.stringify({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', details: [
    { '@type': 'type.googleapis.com/google.rpc.QuotaFailure' },
    { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37s' },
  ] } });
  assert.equal(retryHintMs({}, body, NOW), 37_000);
  assert.equal(retryHintMs({}, `[${body}]`, NOW), 37_000, 'the streaming array form too');
});

test('phrases in error text, and OpenAI reset headers last', () => {
  assert.equal(retryHintMs({}, '{"error":{"message":"Rate limit reached. Please try again in 20s."}}', NOW), 20_000);
  assert.equal(retryHintMs({}, 'Please try again in 1m30s', NOW), 90_000);
  assert.equal(retryHintMs({}, 'rate limited, retry after 6.5 seconds', NOW), 6500);
  assert.equal(retryHintMs({ 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '6m0s' }, 'slow down', NOW), 360_000);
});
