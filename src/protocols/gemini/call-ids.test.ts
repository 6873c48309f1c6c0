import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCallIdSource, isSyntheticCallId } from './call-ids.ts';

describe('made-up Gemini call ids', () => {
  it('are deterministic, scoped by response id, and safe for every vendor', () => {
    const ids = createCallIdSource('a+b/c=');
    assert.deepEqual([ids.next(), ids.next()], ['call_gemini_a_b_c__0', 'call_gemini_a_b_c__1']);
    assert.equal(createCallIdSource().next(), 'call_gemini_0');
    assert.ok(isSyntheticCallId('call_gemini_0'));
    assert.ok(!isSyntheticCallId('call_H5DxLSFnsGhiROnUiDHmgyc8'));
  });
});
