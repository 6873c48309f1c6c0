/** Unit tests for the SSE decoder, including splits at every byte and CRLF/UTF-8 boundaries. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSseEventDecoder } from './sse-event-decoder.ts';
import type { SseEvent } from './sse-event-decoder.ts';

const encoder = new TextEncoder();

function decodeWhole(text: string): SseEvent[] {
  const decoder = createSseEventDecoder();
  return [...decoder.push(encoder.encode(text)), ...decoder.end()];
}

function decodeSplitAt(bytes: Uint8Array, at: number): SseEvent[] {
  const decoder = createSseEventDecoder();
  return [...decoder.push(bytes.subarray(0, at)), ...decoder.push(bytes.subarray(at)), ...decoder.end()];
}

describe('createSseEventDecoder', () => {
  it('reads data and event fields and dispatches on a blank line', () => {
    assert.deepEqual(decodeWhole('event: ping\ndata: {"a":1}\n\ndata: x\n\n'), [{ event: 'ping', data: '{"a":1}' }, { data: 'x' }]);
  });

  it('joins several data lines with a newline and strips only one leading space', () => {
    assert.deepEqual(decodeWhole('data: a\ndata:  b\ndata:c\n\n'), [{ data: 'a\n b\nc' }]);
  });

  it('skips comments, id and retry lines, and events without data', () => {
    assert.deepEqual(decodeWhole(': ping\n\nid: 1\nretry: 5\nevent: empty\n\ndata: kept\n\n'), [{ data: 'kept' }]);
  });

  it('accepts CRLF and lone CR line endings', () => {
    assert.deepEqual(decodeWhole('data: a\r\n\r\ndata: b\r\rdata: c\n\n'), [{ data: 'a' }, { data: 'b' }, { data: 'c' }]);
  });

  it('flushes a last event that lacks its blank line, and a last line that lacks its newline', () => {
    assert.deepEqual(decodeWhole('data: one\n\ndata: two\n'), [{ data: 'one' }, { data: 'two' }]);
    assert.deepEqual(decodeWhole('data: one\n\ndata: two'), [{ data: 'one' }, { data: 'two' }]);
  });

  it('takes a bare JSON line as data (an upstream error body in place of an event)', () => {
    assert.deepEqual(decodeWhole('{"error":{"message":"boom"}}\n\n'), [{ data: '{"error":{"message":"boom"}}' }]);
  });

  it('gives the same events when split at every byte, across UTF-8 characters and CRLF pairs', () => {
    const text = 'event: a\r\ndata: {"t":"ÿ€😀 ñ"}\r\n\r\n: c\r\ndata: 2\r\n\r\ndata: 日本\n\ndata: last';
    const bytes = encoder.encode(text);
    const whole = decodeWhole(text);
    assert.equal(whole.length, 4);
    for (let at = 0; at <= bytes.length; at += 1) assert.deepEqual(decodeSplitAt(bytes, at), whole, `split at ${at}`);
  });

  it('gives the same events when fed one byte at a time', () => {
    const bytes = encoder.encode('data: 😀\r\n\r\ndata: b\r\n\r\n');
    const decoder = createSseEventDecoder();
    const events: SseEvent[] = [];
    for (const byte of bytes) events.push(...decoder.push(Uint8Array.of(byte)));
    events.push(...decoder.end());
    assert.deepEqual(events, [{ data: '😀' }, { data: 'b' }]);
  });

  it('does not take a trailing CR as a blank line before the next chunk arrives', () => {
    const decoder = createSseEventDecoder();
    assert.deepEqual(decoder.push(encoder.encode('data: a\r\n\r')), []);
    assert.deepEqual(decoder.push(encoder.encode('\ndata: b\r\n\r\n')), [{ data: 'a' }, { data: 'b' }]);
  });
});
