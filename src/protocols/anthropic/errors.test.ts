/** Anthropic error bodies and in-stream error events. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../errors.ts';
import { anthropicErrorType, parseAnthropicStreamError, renderAnthropicError, renderAnthropicStreamError } from './errors.ts';

describe('Anthropic errors', () => {
  it('derives the error type from the status', () => {
    const types = [400, 401, 403, 404, 413, 429, 500, 503, 504, 529].map(anthropicErrorType);
    assert.deepEqual(types, ['invalid_request_error', 'authentication_error', 'permission_error', 'not_found_error', 'request_too_large', 'rate_limit_error', 'api_error', 'overloaded_error', 'timeout_error', 'overloaded_error']);
  });

  it('renders the error body and the in-stream error event', () => {
    const error = new GatewayError(429, 'rate_limited', 'Slow down');
    assert.deepEqual(renderAnthropicError(error), { status: 429, body: { type: 'error', error: { type: 'rate_limit_error', message: 'Slow down' } } });
    assert.equal(renderAnthropicStreamError(error), 'event: error\ndata: {"type":"error","error":{"type":"rate_limit_error","message":"Slow down"}}\n\n');
  });

  it('reads an upstream error event with its status', () => {
    assert.deepEqual(parseAnthropicStreamError({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }), { type: 'error', message: 'Overloaded', code: 'overloaded_error', status: 529 });
  });
});
