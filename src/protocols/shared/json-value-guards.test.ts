/** Unit tests for the JSON narrowing helpers and the cache_control field. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCacheControl, renderCacheControl } from './cache-control-field.ts';
import { isRecord, numberOrUndefined, parseJsonOrUndefined, pickUnknownFields } from './json-value-guards.ts';

describe('json value guards', () => {
  it('tells records from arrays and null, and finite numbers from the rest', () => {
    assert.deepEqual([isRecord({}), isRecord([]), isRecord(null), isRecord('x')], [true, false, false, false]);
    assert.deepEqual([numberOrUndefined(3), numberOrUndefined(Number.NaN), numberOrUndefined('3')], [3, undefined, undefined]);
  });

  it('picks the fields a parser does not know', () => {
    assert.deepEqual(pickUnknownFields({ a: 1, b: 2, c: 3 }, new Set(['a'])), { b: 2, c: 3 });
  });

  it('parses JSON without throwing on broken input', () => {
    assert.deepEqual(parseJsonOrUndefined('{"a":1}'), { a: 1 });
    assert.equal(parseJsonOrUndefined('{"a":'), undefined);
  });
});

describe('cache_control', () => {
  it('reads ephemeral hints with their ttl and ignores anything else', () => {
    assert.deepEqual(parseCacheControl({ type: 'ephemeral', ttl: '1h' }), { type: 'ephemeral', ttl: '1h' });
    assert.equal(parseCacheControl({ type: 'persistent' }), undefined);
    assert.deepEqual(renderCacheControl({ type: 'ephemeral' }), { type: 'ephemeral' });
  });
});
