import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cancellation } from './cancellation.ts';

test('listeners run once on abort, a removed one does not, and aborting twice changes nothing', () => {
  const cancellation = new Cancellation();
  const calls: string[] = [];
  const kept = (): void => { calls.push('kept'); };
  const removed = (): void => { calls.push('removed'); };
  cancellation.addEventListener('abort', kept);
  cancellation.addEventListener('abort', removed);
  cancellation.removeEventListener('abort', removed);
  assert.equal(cancellation.aborted, false);
  cancellation.abort();
  cancellation.abort();
  assert.equal(cancellation.aborted, true);
  assert.deepEqual(calls, ['kept']);
  cancellation.addEventListener('abort', kept);
  assert.deepEqual(calls, ['kept'], 'a listener added after the abort is not kept for later');
});

test('the AbortSignal follows the cancellation, whether made before or after the abort', () => {
  const before = new Cancellation();
  const signal = before.signal;
  let fired = 0;
  signal.addEventListener('abort', () => { fired++; });
  assert.equal(signal.aborted, false);
  before.abort();
  assert.equal(signal.aborted, true);
  assert.equal(fired, 1);
  const after = new Cancellation();
  after.abort();
  assert.equal(after.signal.aborted, true);
});
