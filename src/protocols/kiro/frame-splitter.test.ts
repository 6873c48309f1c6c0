/** The event-stream frame splitter on SYNTHETIC frames: whole frames out, corruption caught early and kept. */
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { describe, it } from 'node:test';
import { concatFrames, eventFrame } from './event-stream-test-frames.ts';
import { createEventStreamFrameSplitter } from './frame-splitter.ts';

/** A prelude with a valid CRC claiming the given lengths. */
function prelude(totalLength: number, headersLength: number): Uint8Array {
  const bytes = new Uint8Array(12);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, totalLength);
  view.setUint32(4, headersLength);
  view.setUint32(8, crc32(bytes.subarray(0, 8)));
  return bytes;
}

describe('createEventStreamFrameSplitter', () => {
  it('hands out each frame once it is complete, as a copy', () => {
    const first = eventFrame('assistantResponseEvent', { content: 'a' });
    const second = eventFrame('assistantResponseEvent', { content: 'b' });
    const input = concatFrames([first, second]);
    const splitter = createEventStreamFrameSplitter();
    assert.deepEqual(splitter.push(input.subarray(0, first.length - 1)), { frames: [] });
    const split = splitter.push(input.subarray(first.length - 1, first.length + 3));
    assert.deepEqual(split, { frames: [first] });
    input.fill(0);
    assert.deepEqual(split.frames[0], eventFrame('assistantResponseEvent', { content: 'a' }), 'not aliased to the input');
    assert.deepEqual(splitter.push(second.subarray(3)), { frames: [second] });
    assert.equal(splitter.end(), undefined);
  });

  it('rejects lengths no frame can have, even under a valid prelude CRC', () => {
    for (const [total, headers] of [[15, 0], [32, 17], [0x7fffffff, 0]] as const) {
      const split = createEventStreamFrameSplitter().push(prelude(total, headers));
      assert.equal(split.error?.kind, 'length', `total ${total}, headers ${headers}`);
    }
  });

  it('returns the frames before a corrupt one, then stays failed', () => {
    const good = eventFrame('assistantResponseEvent', { content: 'ok' });
    const bad = eventFrame('assistantResponseEvent', { content: 'bad' });
    bad[9] ^= 0x10;
    const splitter = createEventStreamFrameSplitter();
    const split = splitter.push(concatFrames([good, bad]));
    assert.deepEqual(split.frames, [good]);
    assert.equal(split.error?.kind, 'prelude-checksum');
    assert.deepEqual(splitter.push(good), { frames: [], error: split.error });
    assert.equal(splitter.end(), split.error);
  });

  it('reports input that ends inside a frame', () => {
    const splitter = createEventStreamFrameSplitter();
    splitter.push(eventFrame('assistantResponseEvent', { content: 'x' }).subarray(0, 5));
    assert.equal(splitter.end()?.kind, 'truncated');
  });
});
