/** OpenAI Chat streaming: the parser on hand-made upstream streams (whole and split at every byte) and the renderer. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IRRequest, IRStreamEvent } from '../ir.ts';
import { assertSameAtEverySplit as assertSameAtEverySplitWith, parseWhole as parseWholeWith } from '../shared/stream-split.test-helper.ts';
import { createOpenAIChatStreamParser, createOpenAIChatStreamRenderer } from './stream.ts';


const parseWhole = (text: string): IRStreamEvent[] => parseWholeWith(createOpenAIChatStreamParser, text);
const assertSameAtEverySplit = (text: string): void => assertSameAtEverySplitWith(createOpenAIChatStreamParser, text);

function chunk(delta: Record<string, unknown>, finishReason: string | null = null, extra: Record<string, unknown> = {}): string {
  return `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 10, model: 'm', choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra })}\n\n`;
}

const start: IRStreamEvent = { type: 'message-start', id: 'c1', model: 'm', created: 10 };

describe('createOpenAIChatStreamParser', () => {
  it('reads a text stream: role chunk, deltas, finish, include_usage chunk, [DONE]', () => {
    const text = chunk({ role: 'assistant', content: '' }) + chunk({ content: 'Hé' }) + chunk({ content: 'llo' }) + chunk({}, 'stop')
      + `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 10, model: 'm', choices: [], usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11, prompt_tokens_details: { cached_tokens: 4 } } })}\n\ndata: [DONE]\n\n`;
    assert.deepEqual(parseWhole(text), [
      start,
      { type: 'part-start', index: 0, part: { type: 'text' } },
      { type: 'text-delta', index: 0, text: 'Hé' },
      { type: 'text-delta', index: 0, text: 'llo' },
      { type: 'part-end', index: 0 },
      { type: 'usage', usage: { inputTokens: 9, outputTokens: 2, totalTokens: 11, cachedInputTokens: 4 } },
      { type: 'finish', reason: 'stop', rawReason: 'stop' },
    ]);
    assertSameAtEverySplit(text);
    assertSameAtEverySplit(text.replaceAll('\n', '\r\n'));
  });

  it('reads fragmented parallel tool calls (OpenAI, DeepSeek) into dense ordered parts', () => {
    const text = chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'f', arguments: '' } }] })
      + chunk({ tool_calls: [{ index: 0, function: { arguments: '{"x":' } }] })
      + chunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] })
      + chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'g', arguments: '' } }] })
      + chunk({ tool_calls: [{ index: 1, function: { arguments: '{}' } }] })
      + chunk({}, 'tool_calls') + 'data: [DONE]\n\n';
    assert.deepEqual(parseWhole(text), [
      start,
      { type: 'part-start', index: 0, part: { type: 'tool-call', id: 'call_a', name: 'f' } },
      { type: 'tool-arguments-delta', index: 0, text: '{"x":' },
      { type: 'tool-arguments-delta', index: 0, text: '1}' },
      { type: 'part-end', index: 0 },
      { type: 'part-start', index: 1, part: { type: 'tool-call', id: 'call_b', name: 'g' } },
      { type: 'tool-arguments-delta', index: 1, text: '{}' },
      { type: 'part-end', index: 1 },
      { type: 'finish', reason: 'tool-calls', rawReason: 'tool_calls' },
    ]);
    assertSameAtEverySplit(text);
  });

  it('reads whole tool calls without index or type (Mistral), keyed by id', () => {
    const text = chunk({ role: 'assistant', content: '' })
      + chunk({ content: null, tool_calls: [{ id: 'A1', function: { name: 'f', arguments: '{"a":1}' } }, { id: 'B2', function: { name: 'g', arguments: '{"b":2}' } }] }, 'tool_calls', { usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } });
    assert.deepEqual(parseWhole(text), [
      start,
      { type: 'part-start', index: 0, part: { type: 'tool-call', id: 'A1', name: 'f' } },
      { type: 'tool-arguments-delta', index: 0, text: '{"a":1}' },
      { type: 'part-end', index: 0 },
      { type: 'part-start', index: 1, part: { type: 'tool-call', id: 'B2', name: 'g' } },
      { type: 'tool-arguments-delta', index: 1, text: '{"b":2}' },
      { type: 'part-end', index: 1 },
      { type: 'usage', usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7 } },
      { type: 'finish', reason: 'tool-calls', rawReason: 'tool_calls' },
    ]);
  });

  it('renumbers a gateway whose tool indices start at 1, and gives an argument-less call "{}"', () => {
    const text = chunk({ content: 'Reading.' })
      + chunk({ tool_calls: [{ index: 1, id: 't1', type: 'function', function: { name: 'read', arguments: '' } }] })
      + chunk({ tool_calls: [{ index: 1, function: { arguments: '' } }] })
      + chunk({}, 'tool_calls') + 'data: [DONE]\n\n';
    assert.deepEqual(parseWhole(text).slice(1), [
      { type: 'part-start', index: 0, part: { type: 'text' } },
      { type: 'text-delta', index: 0, text: 'Reading.' },
      { type: 'part-end', index: 0 },
      { type: 'part-start', index: 1, part: { type: 'tool-call', id: 't1', name: 'read' } },
      { type: 'tool-arguments-delta', index: 1, text: '{}' },
      { type: 'part-end', index: 1 },
      { type: 'finish', reason: 'tool-calls', rawReason: 'tool_calls' },
    ]);
  });

  it('tells a second call reusing index 0 from a fragment that merely carries a fresh id', () => {
    const reused = chunk({ tool_calls: [{ index: 0, id: 'a', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }] })
      + chunk({ tool_calls: [{ index: 0, id: 'b', type: 'function', function: { name: 'g', arguments: '{}' } }] }) + chunk({}, 'tool_calls');
    const starts = parseWhole(reused).flatMap((item) => (item.type === 'part-start' && item.part.type === 'tool-call' ? [[item.index, item.part.id, item.part.name]] : []));
    assert.deepEqual(starts, [[0, 'a', 'f'], [1, 'b', 'g']]);
    const restamped = chunk({ tool_calls: [{ index: 0, id: 'a', type: 'function', function: { name: 'f', arguments: '{"x":' } }] })
      + chunk({ tool_calls: [{ index: 0, id: 'a2', function: { arguments: '1}' } }] }) + chunk({}, 'tool_calls');
    assert.deepEqual(parseWhole(restamped).slice(1, 5), [
      { type: 'part-start', index: 0, part: { type: 'tool-call', id: 'a', name: 'f' } },
      { type: 'tool-arguments-delta', index: 0, text: '{"x":' },
      { type: 'tool-arguments-delta', index: 0, text: '1}' },
      { type: 'part-end', index: 0 },
    ]);
  });

  it('holds argument text that arrives before the call name', () => {
    const text = chunk({ tool_calls: [{ index: 0, id: 'c', function: { arguments: '{"q"' } }] })
      + chunk({ tool_calls: [{ index: 0, function: { name: 'search', arguments: ':1}' } }] }) + chunk({}, 'tool_calls');
    assert.deepEqual(parseWhole(text).slice(1), [
      { type: 'part-start', index: 0, part: { type: 'tool-call', id: 'c', name: 'search' } },
      { type: 'tool-arguments-delta', index: 0, text: '{"q":1}' },
      { type: 'part-end', index: 0 },
      { type: 'finish', reason: 'tool-calls', rawReason: 'tool_calls' },
    ]);
  });

  it('skips an Azure choices:[] first chunk and reads reasoning_content / reasoning then content', () => {
    const text = 'data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[]}\n\n'
      + chunk({ role: 'assistant', reasoning_content: 'Thi' }) + chunk({ reasoning: 'nk' }) + chunk({ content: 'Answer' }) + chunk({}, 'stop') + 'data: [DONE]\n\n';
    assert.deepEqual(parseWhole(text), [
      start,
      { type: 'part-start', index: 0, part: { type: 'thinking' } },
      { type: 'thinking-delta', index: 0, text: 'Thi' },
      { type: 'thinking-delta', index: 0, text: 'nk' },
      { type: 'part-end', index: 0 },
      { type: 'part-start', index: 1, part: { type: 'text' } },
      { type: 'text-delta', index: 1, text: 'Answer' },
      { type: 'part-end', index: 1 },
      { type: 'finish', reason: 'stop', rawReason: 'stop' },
    ]);
  });

  it('reads refusal deltas as a text part of refusal deltas, finishing as a refusal', () => {
    const text = chunk({ role: 'assistant', content: null, refusal: '' }) + chunk({ refusal: 'No' }) + chunk({ refusal: '.' }) + chunk({}, 'stop') + 'data: [DONE]\n\n';
    assert.deepEqual(parseWhole(text).slice(1), [
      { type: 'part-start', index: 0, part: { type: 'text' } },
      { type: 'refusal-delta', index: 0, text: 'No' },
      { type: 'refusal-delta', index: 0, text: '.' },
      { type: 'part-end', index: 0 },
      { type: 'finish', reason: 'refusal', rawReason: 'stop' },
    ]);
  });

  it('turns an error object inside the stream into an error event and stops there', () => {
    const text = chunk({ content: 'Hi' }) + 'data: {"error":{"message":"Rate limited","type":"rate_limit_error","code":"rate_limit_exceeded"}}\n\ndata: [DONE]\n\n';
    assert.deepEqual(parseWhole(text).slice(1), [
      { type: 'part-start', index: 0, part: { type: 'text' } },
      { type: 'text-delta', index: 0, text: 'Hi' },
      { type: 'part-end', index: 0 },
      { type: 'error', message: 'Rate limited', code: 'rate_limit_exceeded', status: 429 },
    ]);
    assert.deepEqual(parseWhole('data: {"error":{"message":"Overloaded","code":503}}\n\n'), [{ type: 'error', message: 'Overloaded', status: 503 }]);
  });

  it('flushes a stream with no [DONE] and no final blank line, ignoring comments', () => {
    const text = ': OPENROUTER PROCESSING\n\n' + chunk({ content: 'x' }) + `data: ${JSON.stringify({ id: 'c1', created: 10, model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'length' }] })}`;
    assert.deepEqual(parseWhole(text).slice(1), [
      { type: 'part-start', index: 0, part: { type: 'text' } },
      { type: 'text-delta', index: 0, text: 'x' },
      { type: 'part-end', index: 0 },
      { type: 'finish', reason: 'length', rawReason: 'length' },
    ]);
    assertSameAtEverySplit(text);
  });

  it('follows only choice 0 of an n>1 stream', () => {
    const text = `data: ${JSON.stringify({ id: 'c1', created: 10, model: 'm', choices: [{ index: 1, delta: { content: 'B' } }, { index: 0, delta: { content: 'A' } }] })}\n\n` + chunk({}, 'stop');
    const texts = parseWhole(text).flatMap((event) => (event.type === 'text-delta' ? [event.text] : []));
    assert.deepEqual(texts, ['A']);
  });
});

const request: IRRequest = { model: 'asked', system: [], messages: [], tools: [], stream: true, includeUsage: true, extra: {}, sourceFormat: 'openai-chat' };

function renderAll(events: IRStreamEvent[], forRequest: IRRequest = request): string {
  const renderer = createOpenAIChatStreamRenderer(forRequest);
  return events.map((event) => renderer.render(event)).join('') + renderer.end();
}

function payloads(sse: string): unknown[] {
  return sse.split('\n\n').filter((frame) => frame !== '').map((frame) => {
    assert.ok(frame.startsWith('data: '), frame);
    const data = frame.slice('data: '.length);
    return data === '[DONE]' ? data : JSON.parse(data);
  });
}

describe('createOpenAIChatStreamRenderer', () => {
  const events: IRStreamEvent[] = [
    { type: 'message-start', id: 'msg_1', model: 'claude', created: 5 },
    { type: 'part-start', index: 0, part: { type: 'thinking' } },
    { type: 'thinking-delta', index: 0, text: 'hm' },
    { type: 'signature-delta', index: 0, signature: { value: 'sig', origin: 'anthropic' } },
    { type: 'part-end', index: 0 },
    { type: 'part-start', index: 1, part: { type: 'text' } },
    { type: 'text-delta', index: 1, text: 'Hi' },
    { type: 'part-end', index: 1 },
    { type: 'part-start', index: 2, part: { type: 'tool-call', id: 'toolu_1', name: 'f' } },
    { type: 'tool-arguments-delta', index: 2, text: '{"a"' },
    { type: 'tool-arguments-delta', index: 2, text: ':1}' },
    { type: 'part-end', index: 2 },
    { type: 'part-start', index: 3, part: { type: 'tool-call', id: 'toolu_2', name: 'g' } },
    { type: 'tool-arguments-delta', index: 3, text: '{}' },
    { type: 'part-end', index: 3 },
    { type: 'usage', usage: { inputTokens: 20, outputTokens: 7, cachedInputTokens: 8 } },
    { type: 'finish', reason: 'tool-calls', rawReason: 'tool_use' },
  ];

  it('renders the chunks the SDK accumulates, with tool-call indices of its own', () => {
    const head = { id: 'msg_1', object: 'chat.completion.chunk', created: 5, model: 'claude' };
    const choice = (delta: Record<string, unknown>, finishReason: string | null = null) => ({ ...head, choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }] });
    assert.deepEqual(payloads(renderAll(events)), [
      choice({ role: 'assistant', content: '' }),
      choice({ reasoning_content: 'hm' }),
      choice({ content: 'Hi' }),
      choice({ tool_calls: [{ index: 0, id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '' } }] }),
      choice({ tool_calls: [{ index: 0, function: { arguments: '{"a"' } }] }),
      choice({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }),
      choice({ tool_calls: [{ index: 1, id: 'toolu_2', type: 'function', function: { name: 'g', arguments: '' } }] }),
      choice({ tool_calls: [{ index: 1, function: { arguments: '{}' } }] }),
      choice({}, 'tool_calls'),
      { ...head, choices: [], usage: { prompt_tokens: 20, completion_tokens: 7, total_tokens: 27, prompt_tokens_details: { cached_tokens: 8 } } },
      '[DONE]',
    ]);
  });

  it('sends the usage chunk only when the client asked for it', () => {
    const sse = renderAll(events, { ...request, includeUsage: false });
    assert.equal(payloads(sse).some((payload) => typeof payload === 'object' && payload !== null && 'usage' in payload), false);
    assert.ok(sse.endsWith('data: [DONE]\n\n'));
  });

  it('renders an error event as a data: error object, then [DONE]', () => {
    const sse = renderAll([{ type: 'message-start', id: 'x', model: 'm' }, { type: 'error', status: 529, code: 'overloaded_error', message: 'Overloaded' }]);
    assert.deepEqual(payloads(sse).slice(1), [{ error: { message: 'Overloaded', type: 'api_error', param: null, code: 'overloaded_error' } }, '[DONE]']);
  });

  it('parses back to the same events (render → parse round trip)', () => {
    const parsed = parseWhole(renderAll(events));
    const expected = events.filter((event) => event.type !== 'signature-delta');
    assert.deepEqual(parsed, [
      ...expected.slice(0, -2),
      { type: 'usage', usage: { inputTokens: 20, outputTokens: 7, totalTokens: 27, cachedInputTokens: 8 } },
      { type: 'finish', reason: 'tool-calls', rawReason: 'tool_calls' },
    ]);
  });
});

describe('createOpenAIChatStreamRenderer bytes', () => {
  it('writes each chunk exactly as JSON.stringify writes the chunk object, across id, model and time changes', () => {
    const renderer = createOpenAIChatStreamRenderer({ ...request, includeUsage: false });
    const expected = (id: string, created: number, model: string, delta: Record<string, unknown>, finish: string | null = null): string =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })}\n\n`;
    const events: IRStreamEvent[] = [
      { type: 'message-start', id: 'c"1', model: 'm\\x', created: 7 },
      { type: 'part-start', index: 0, part: { type: 'text' } },
      { type: 'text-delta', index: 0, text: 'a "quoted" \n line — ☃' },
      { type: 'message-start', id: 'c2', model: 'other', created: 8 },
      { type: 'thinking-delta', index: 0, text: 'hm' },
      { type: 'finish', reason: 'stop' },
    ];
    const text = events.map((event) => renderer.render(event)).join('');
    assert.equal(text, [
      expected('c"1', 7, 'm\\x', { role: 'assistant', content: '' }),
      expected('c"1', 7, 'm\\x', { content: 'a "quoted" \n line — ☃' }),
      expected('c2', 8, 'other', { reasoning_content: 'hm' }),
      expected('c2', 8, 'other', {}, 'stop'),
    ].join(''));
  });
});
