import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuplicateProviderError, ProviderRegistry } from './registry.ts';
import type { Provider, ProviderCategory } from './types.ts';

function fakeProvider(name: string, type: ProviderCategory): Provider {
  const fail = async (): Promise<never> => { throw new Error('not used'); };
  return {
    name: () => name,
    type: () => type,
    supportsModel: () => false,
    listModels: () => [],
    authType: () => 'api_key',
    requiresAuth: () => true,
    execute: fail,
    executeStream: () => ({ [Symbol.asyncIterator]: () => ({ next: fail }) }),
    supportsStreaming: () => true,
    supportsFunctions: () => true,
    supportsVision: () => false,
    supportsCodeGeneration: () => true,
    maxTokens: () => 0,
    healthCheck: async () => {},
  };
}

test('register, get, list by type, list all, list enabled', () => {
  const registry = new ProviderRegistry();
  const a = fakeProvider('a', 'direct');
  const b = fakeProvider('b', 'aggregator');
  const c = fakeProvider('c', 'direct');
  registry.register(a);
  registry.register(b, false);
  registry.register(c);
  assert.equal(registry.get('a'), a);
  assert.equal(registry.get('zzz'), undefined);
  assert.deepEqual(registry.listByType('direct'), [a, c]);
  assert.deepEqual(registry.listByType('proprietary'), []);
  assert.deepEqual(registry.listAll(), [a, b, c]);
  assert.deepEqual(registry.listEnabled(), [a, c]);
});

test('a duplicate name is refused and leaves the first in place', () => {
  const registry = new ProviderRegistry();
  const first = fakeProvider('dup', 'direct');
  registry.register(first);
  assert.throws(() => registry.register(fakeProvider('dup', 'aggregator')), DuplicateProviderError);
  assert.equal(registry.get('dup'), first);
  assert.deepEqual(registry.listByType('aggregator'), []);
});

test('setEnabled switches a provider and refuses unknown names', () => {
  const registry = new ProviderRegistry();
  registry.register(fakeProvider('x', 'direct'));
  assert.equal(registry.setEnabled('x', false), true);
  assert.deepEqual(registry.listEnabled(), []);
  assert.equal(registry.isEnabled('x'), false);
  assert.equal(registry.setEnabled('nope', true), false);
  registry.setEnabled('x', true);
  assert.equal(registry.isEnabled('x'), true);
});
