/** Kiro error mapping: AWS exception names and bodies → statuses, messages and retryability. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../errors.ts';
import { kiroErrorStatus, kiroHttpError, normalizeKiroErrorType } from './errors.ts';

describe('kiroErrorStatus', () => {
  const cases: Array<[string, number]> = [
    ['ThrottlingException', 429],
    ['ServiceQuotaExceededException', 429],
    ['AccessDeniedException', 403],
    ['UnauthorizedException', 401],
    ['ValidationException', 400],
    ['InternalServerException', 500],
    ['ServiceUnavailableException', 503],
    ['ResourceNotFoundException', 404],
    ['throttlingException', 429],
    ['ValidationException:http://internal.amazon.com/coral/com.amazon.coral.validate/', 400],
    ['com.amazon.aws.codewhisperer#AccessDeniedException', 403],
  ];
  for (const [type, status] of cases) {
    it(`${type} → ${status}`, () => {
      assert.equal(kiroErrorStatus(type, 418), status);
    });
  }

  it('falls back to the given status for an unknown or missing type', () => {
    assert.equal(kiroErrorStatus('BrandNewException', 418), 418);
    assert.equal(kiroErrorStatus(undefined, 502), 502);
  });

  it('normalises the spellings AWS uses', () => {
    assert.equal(normalizeKiroErrorType('modelStreamErrorException'), 'ModelStreamErrorException');
    assert.equal(normalizeKiroErrorType('ThrottlingException:http://x/'), 'ThrottlingException');
  });
});

describe('kiroHttpError', () => {
  it('reads "Improperly formed request" as a 400 worth failing over (another provider may take it)', () => {
    const error = kiroHttpError(400, { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.coral.validate/' }, '{"message":"Improperly formed request.","reason":null}');
    assert.ok(error instanceof GatewayError);
    assert.equal(error.status, 400);
    assert.equal(error.code, 'upstream_error');
    assert.equal(error.message, 'Kiro ValidationException: Improperly formed request.');
    assert.equal(error.retryable, true);
    assert.deepEqual(error.details, { upstreamType: 'ValidationException' });
  });

  it('takes the type from the body when no header names it, and keeps retry-after on 429', () => {
    const error = kiroHttpError(400, { 'Retry-After': '7' }, new TextEncoder().encode('{"__type":"com.amazon.aws.codewhisperer#ThrottlingException","message":"Too many requests"}'));
    assert.equal(error.status, 429);
    assert.equal(error.message, 'Kiro ThrottlingException: Too many requests');
    assert.deepEqual(error.headers, { 'retry-after': '7' });
    assert.equal(error.retryable, true);
  });

  it('keeps the reason of a suspended account', () => {
    const error = kiroHttpError(403, {}, '{"message":"Your User ID (u-1) is temporarily suspended.","reason":"TEMPORARILY_SUSPENDED"}');
    assert.equal(error.status, 403);
    assert.deepEqual(error.details, { reason: 'TEMPORARILY_SUSPENDED' });
    assert.equal(error.retryable, true);
  });

  it('uses the HTTP status and raw text when the body is not JSON', () => {
    const error = kiroHttpError(502, {}, 'Bad Gateway');
    assert.equal(error.status, 502);
    assert.equal(error.message, 'Kiro: Bad Gateway');
    const plain400 = kiroHttpError(400, {}, '{"message":"Input is too long."}');
    assert.equal(plain400.retryable, false);
  });
});
