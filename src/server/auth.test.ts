import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Authenticator, KeySet, presentedKey } from './auth.ts';
import { GatewayError } from '../errors.ts';

function request(headers: Record<string, string>, remoteAddress = '127.0.0.1'): IncomingMessage {
  return { headers, socket: { remoteAddress } } as unknown as IncomingMessage;
}

test('a key is read from Bearer, x-api-key, x-goog-api-key or ?key=', () => {
  assert.equal(presentedKey(request({ authorization: 'Bearer abc' }), undefined), 'abc');
  assert.equal(presentedKey(request({ 'x-api-key': 'def' }), undefined), 'def');
  assert.equal(presentedKey(request({ 'x-goog-api-key': 'ghi' }), undefined), 'ghi');
  assert.equal(presentedKey(request({}), new URLSearchParams('key=jkl')), 'jkl');
  assert.equal(presentedKey(request({ authorization: 'Basic xyz' }), undefined), undefined);
});

test('KeySet matches names without revealing anything for near misses', () => {
  const keys = new KeySet([{ key: 'alpha-key', name: 'alpha' }, { key: 'beta-key', name: 'beta' }]);
  assert.equal(keys.match('beta-key'), 'beta');
  assert.equal(keys.match('beta-ke'), undefined);
  assert.equal(keys.match(undefined), undefined);
});

test('client auth: open without keys; 401 without or with a wrong key; the management key also reads', () => {
  assert.deepEqual(new Authenticator([], undefined).requireClient(request({}), undefined), { name: 'anonymous', id: 'anonymous' });
  const auth = new Authenticator([{ key: 'client-1', name: 'laptop' }], 'mgmt');
  const laptop = auth.requireClient(request({ authorization: 'Bearer client-1' }), undefined);
  assert.equal(laptop.name, 'laptop');
  assert.match(laptop.id, /^[0-9a-f]{16}$/);
  assert.ok(!laptop.id.includes('client-1'));
  assert.equal(auth.requireClient(request({ 'x-management-key': 'mgmt' }), undefined).name, 'management');
  assert.throws(() => auth.requireClient(request({}), undefined), (error: unknown) => error instanceof GatewayError && error.status === 401 && error.message === 'missing API key');
  assert.throws(() => auth.requireClient(request({ 'x-api-key': 'nope' }), undefined), (error: unknown) => error instanceof GatewayError && error.status === 401 && error.message === 'invalid API key');
});

test('management writes: the key when set; loopback only when not', () => {
  const open = new Authenticator([], undefined);
  open.requireManagement(request({}, '127.0.0.1'));
  open.requireManagement(request({}, '::ffff:127.0.0.1'));
  assert.throws(() => open.requireManagement(request({}, '10.1.2.3')), (error: unknown) => error instanceof GatewayError && error.status === 403);
  const keyed = new Authenticator([{ key: 'c', name: 'c' }], 'mgmt');
  keyed.requireManagement(request({ authorization: 'Bearer mgmt' }));
  keyed.requireManagement(request({ 'x-management-key': 'mgmt' }));
  assert.throws(() => keyed.requireManagement(request({ authorization: 'Bearer c' })), (error: unknown) => error instanceof GatewayError && error.status === 403);
  assert.throws(() => keyed.requireManagement(request({})), (error: unknown) => error instanceof GatewayError && error.status === 401);
});
