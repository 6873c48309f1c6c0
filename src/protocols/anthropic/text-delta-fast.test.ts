import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readTextDelta } from './text-delta-fast.ts';

const texts = ['hello', '', 'a "quoted" word', 'back\\slash', 'line\nbreak\ttab', 'unicode é ☃ 😀', '\u0001control', 'ends with \\', '"', '\\u0041 literal', '</script>'];

test('reads exactly what JSON.parse reads from the canonical layout', () => {
  for (const text of texts) {
    for (const index of [0, 1, 7, 12, 999]) {
      const data = JSON.stringify({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
      const parsed = JSON.parse(data) as { index: number; delta: { text: string } };
      assert.deepEqual(readTextDelta(data), { index: parsed.index, text: parsed.delta.text }, data);
    }
  }
});

test('escape sequences written by hand decode like JSON.parse', () => {
  for (const literal of ['\\u00e9\\ud83d\\ude00', '\\"\\\\\\/\\b\\f\\n\\r\\t', 'plain\\u0000nul']) {
    const data = `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${literal}"}}`;
    assert.deepEqual(readTextDelta(data), { index: 0, text: (JSON.parse(data) as { delta: { text: string } }).delta.text }, literal);
  }
});

test('any other shape is left to JSON.parse', () => {
  const others = [
    '{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"x"}}',
    '{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{}"}}',
    '{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "x"}}',
    '{"index":0,"type":"content_block_delta","delta":{"type":"text_delta","text":"x"}}',
    '{"type":"content_block_delta","index":01,"delta":{"type":"text_delta","text":"x"}}',
    '{"type":"content_block_delta","index":-1,"delta":{"type":"text_delta","text":"x"}}',
    '{"type":"content_block_delta","index":1.5,"delta":{"type":"text_delta","text":"x"}}',
    '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a","extra":"b"}}',
    '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"},"x":{"text":"b"}}',
    '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"raw\nnewline"}}',
    '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"bad \\q escape"}}',
    '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"}}',
    '{"type":"message_stop"}',
  ];
  for (const data of others) assert.equal(readTextDelta(data), undefined, data);
});
