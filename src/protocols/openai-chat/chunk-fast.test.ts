import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readChunkChoices } from './chunk-fast.ts';

const choices = [{ index: 0, delta: { content: 'a "b" ] } \\ é 😀' }, logprobs: null, finish_reason: null }];

test('plain chunks give exactly the choices JSON.parse gives', () => {
  const chunks = [
    { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1764000000, model: 'gpt-4o', system_fingerprint: 'fp_1', choices },
    { id: 'x', object: 'chat.completion.chunk', created: 1, model: 'm', service_tier: 'default', choices, usage: null, obfuscation: 'k3A' },
    { id: 'x', choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"a":[1]}' } }] }, finish_reason: null }] },
    { id: 'x', choices: [], usage: null },
    { id: 'with \\"escapes\\" and \\u00e9', created: -1.5e3, flag: true, choices },
  ];
  for (const chunk of chunks) {
    const data = JSON.stringify(chunk);
    assert.deepEqual(readChunkChoices(data), (JSON.parse(data) as { choices: unknown }).choices, data);
  }
});

test('anything that matters outside the choices, or any doubt, is left to JSON.parse', () => {
  const others = [
    JSON.stringify({ id: 'x', choices, usage: { prompt_tokens: 1, completion_tokens: 2 } }),
    JSON.stringify({ usage: null, id: 'x', choices }),
    JSON.stringify({ id: 'x', error: { message: 'boom' }, choices }),
    JSON.stringify({ id: 'x', choices, error: null }),
    JSON.stringify({ id: 'x', nested: { a: 1 }, choices }),
    JSON.stringify({ id: 'x', list: [1], choices }),
    JSON.stringify({ id: 'x', choices, extra: [1] }),
    JSON.stringify({ id: 'x', Model: 'caps', choices }),
    '{"id": "spaced", "choices":[{"index":0}]}',
    '{"id":"x","choices":[{"index":0}],"choices":[]}',
    '{"id":"x","choices":[{"index":0}]',
    '{"id":"x","choices":[{"index":0}]}}',
    '{"id":"x","choices":[{"index":0,}]}',
    '{"id":"bad\u0001control","choices":[]}',
    '{"id":"x","choices":{"index":0}}',
    '[DONE]',
  ];
  for (const data of others) assert.equal(readChunkChoices(data), undefined, data);
});
