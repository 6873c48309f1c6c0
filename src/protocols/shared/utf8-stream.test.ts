import assert from 'node:assert/strict';
import { test } from 'node:test';
import { completeLength, createUtf8StreamDecoder } from './utf8-stream.ts';

const samples = [
  'plain ascii',
  'é ñ ü — “quotes” ☃ 日本語 😀 𝄞 end',
  '\ufeffbom first, then text',
  '😀',
  '',
];

function viaTextDecoder(parts: Uint8Array[]): string {
  const decoder = new TextDecoder('utf-8');
  return parts.map((part) => decoder.decode(part, { stream: true })).join('') + decoder.decode();
}

function viaOurs(parts: Uint8Array[]): string {
  const decoder = createUtf8StreamDecoder();
  return parts.map((part) => decoder.write(part)).join('') + decoder.end();
}

test('decodes like TextDecoder when the bytes are split at every pair of points', () => {
  for (const sample of samples) {
    const bytes = Buffer.from(sample, 'utf8');
    for (let first = 0; first <= bytes.length; first++) {
      for (let second = first; second <= bytes.length; second++) {
        const parts = [bytes.subarray(0, first), bytes.subarray(first, second), bytes.subarray(second)];
        assert.equal(viaOurs(parts), viaTextDecoder(parts), `${JSON.stringify(sample)} split at ${first}, ${second}`);
      }
    }
  }
});

test('malformed and truncated bytes become U+FFFD as TextDecoder makes them', () => {
  const cases = [
    Buffer.from([0x61, 0xff, 0x62]),
    Buffer.from([0x61, 0xe2, 0x82]),
    Buffer.from([0xf0, 0x9f, 0x98]),
    Buffer.from([0xc0, 0xaf, 0x41]),
    Buffer.from([0xed, 0xa0, 0x80, 0x41]),
  ];
  for (const bytes of cases) {
    for (let cut = 0; cut <= bytes.length; cut++) {
      const parts = [bytes.subarray(0, cut), bytes.subarray(cut)];
      assert.equal(viaOurs(parts), viaTextDecoder(parts), `${bytes.toString('hex')} split at ${cut}`);
    }
  }
});

test('completeLength holds back only an unfinished character', () => {
  assert.equal(completeLength(Buffer.from('abc')), 3);
  assert.equal(completeLength(Buffer.from([0x61, 0xe2, 0x82])), 1);
  assert.equal(completeLength(Buffer.from([0x61, 0xe2, 0x82, 0xac])), 4);
  assert.equal(completeLength(Buffer.from([0xf0, 0x9f])), 0);
});
