/** Anthropic streaming: the parser on hand-made upstream streams (whole and split at every byte) and the renderer. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IRRequest, IRStreamEvent } from '../ir.ts';
import { assertSameAtEverySplit as assertSameAtEverySplitWith, parseWhole as parseWholeWith } from '../shared/stream-split.test-helper.ts';
import { createAnthropicStreamParser, createAnthropicStreamRenderer } from './stream.ts';


const parseWhole = (text: string): IRStreamEvent[] => parseWholeWith(createAnthropicStreamParser, text);
const assertSameAtEverySplit = (text: string): void => assertSameAtEverySplitWith(createAnthropicStreamParser, text);

function event(payload: Record<string, unknown>, padding = ''): string {
  return `event: ${String(payload['type'])}\ndata: ${JSON.stringify(payload)}${padding}\n\n`;
}

const messageStart = event({ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 10, cache_read_input_tokens: 90, cache_creation_input_tokens: 0, output_tokens: 1 } } });
const startEvent: IRStreamEvent = { type: 'message-start', id: 'msg_1', model: 'claude-x', usage: { inputTokens: 100, outputTokens: 1, totalTokens: 101, cachedInputTokens: 90, cacheCreationInputTokens: 0 } };

const thinkingAndTool = messageStart
  + event({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } })
  + 'event: ping\ndata: {"type": "ping"}\n\n'
  + event({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Check ünïcode 😀' } })
  + event({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQB+/=' } })
  + event({ type: 'content_block_stop', index: 0 })
  + event({ type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }, '   ')
  + event({ type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Sure.' } }, '      ')
  + event({ type: 'content_block_stop', index: 1 })
  + event({ type: 'content_block_start', index: 2, content_block: { type: 'server_tool_use', id: 'srv', name: 'web_search', input: {} } })
  + event({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"q":1}' } })
  + event({ type: 'content_block_stop', index: 2 })
  + event({ type: 'content_block_start', index: 3, content_block: { type: 'tool_use', id: 'toolu_9', name: 'get', input: {} } })
  + event({ type: 'content_block_delta', index: 3, delta: { type: 'input_json_delta', partial_json: '' } })
  + event({ type: 'content_block_delta', index: 3, delta: { type: 'input_json_delta', partial_json: '{"id":' } })
  + event({ type: 'content_block_delta', index: 3, delta: { type: 'input_json_delta', partial_json: '7}' } })
  + event({ type: 'content_block_stop', index: 3 })
  + event({ type: 'some_future_event', index: 0 })
  + event({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 42 } })
  + event({ type: 'message_stop' });

const thinkingAndToolEvents: IRStreamEvent[] = [
  startEvent,
  { type: 'part-start', index: 0, part: { type: 'thinking' } },
  { type: 'thinking-delta', index: 0, text: 'Check ünïcode 😀' },
  { type: 'signature-delta', index: 0, signature: { value: 'EqQB+/=', origin: 'anthropic' } },
  { type: 'part-end', index: 0 },
  { type: 'part-start', index: 1, part: { type: 'text' } },
  { type: 'text-delta', index: 1, text: 'Sure.' },
  { type: 'part-end', index: 1 },
  { type: 'part-start', index: 2, part: { type: 'tool-call', id: 'toolu_9', name: 'get' } },
  { type: 'tool-arguments-delta', index: 2, text: '{"id":' },
  { type: 'tool-arguments-delta', index: 2, text: '7}' },
  { type: 'part-end', index: 2 },
  { type: 'usage', usage: { inputTokens: 100, outputTokens: 42, totalTokens: 142, cachedInputTokens: 90, cacheCreationInputTokens: 0 } },
  { type: 'finish', reason: 'tool-calls', rawReason: 'tool_use' },
];

describe('createAnthropicStreamParser', () => {
  it('reads thinking with signature, text and tool input, skipping pings, server-tool blocks and unknown events', () => {
    assert.deepEqual(parseWhole(thinkingAndTool), thinkingAndToolEvents);
  });

  it('gives the same events when split at every byte, with LF or CRLF line endings', () => {
    assertSameAtEverySplit(thinkingAndTool);
    assertSameAtEverySplit(thinkingAndTool.replaceAll('\n', '\r\n'));
  });

  it('reads events from the payload type alone (no event: lines) and without a final blank line', () => {
    const text = thinkingAndTool.split('\n').filter((line) => !line.startsWith('event:')).join('\n').trimEnd();
    assert.deepEqual(parseWhole(text), thinkingAndToolEvents);
  });

  it('gives a tool call with no input text "{}", and takes message_delta input usage over message_start', () => {
    const text = messageStart
      + event({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 't', name: 'noargs', input: {} } })
      + event({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '' } })
      + event({ type: 'content_block_stop', index: 0 })
      + event({ type: 'message_delta', delta: { stop_reason: 'max_tokens', stop_sequence: null }, usage: { input_tokens: 12, output_tokens: 3 } });
    assert.deepEqual(parseWhole(text).slice(1), [
      { type: 'part-start', index: 0, part: { type: 'tool-call', id: 't', name: 'noargs' } },
      { type: 'tool-arguments-delta', index: 0, text: '{}' },
      { type: 'part-end', index: 0 },
      { type: 'usage', usage: { inputTokens: 102, outputTokens: 3, totalTokens: 105, cachedInputTokens: 90, cacheCreationInputTokens: 0 } },
      { type: 'finish', reason: 'length', rawReason: 'max_tokens' },
    ]);
  });

  it('reads redacted thinking, a stop sequence and a refusal', () => {
    const text = messageStart
      + event({ type: 'content_block_start', index: 0, content_block: { type: 'redacted_thinking', data: 'ENCRYPTED' } })
      + event({ type: 'content_block_stop', index: 0 })
      + event({ type: 'message_delta', delta: { stop_reason: 'stop_sequence', stop_sequence: '###' }, usage: { output_tokens: 3 } });
    assert.deepEqual(parseWhole(text).slice(1), [
      { type: 'part-start', index: 0, part: { type: 'redacted-thinking', data: 'ENCRYPTED', origin: 'anthropic' } },
      { type: 'part-end', index: 0 },
      { type: 'usage', usage: { inputTokens: 100, outputTokens: 3, totalTokens: 103, cachedInputTokens: 90, cacheCreationInputTokens: 0 } },
      { type: 'finish', reason: 'stop', rawReason: 'stop_sequence', stopSequence: '###' },
    ]);
  });

  it('turns an error event into an IR error event, closing open parts', () => {
    const text = messageStart
      + event({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })
      + event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hal' } })
      + event({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    assert.deepEqual(parseWhole(text).slice(1), [
      { type: 'part-start', index: 0, part: { type: 'text' } },
      { type: 'text-delta', index: 0, text: 'Hal' },
      { type: 'part-end', index: 0 },
      { type: 'error', message: 'Overloaded', code: 'overloaded_error', status: 529 },
    ]);
  });
});

const request: IRRequest = { model: 'asked', system: [], messages: [], tools: [], stream: true, extra: {}, sourceFormat: 'anthropic' };

function renderAll(events: IRStreamEvent[]): string {
  const renderer = createAnthropicStreamRenderer(request);
  return events.map((item) => renderer.render(item)).join('') + renderer.end();
}

function frames(sse: string): Array<{ event: string; data: unknown }> {
  return sse.split('\n\n').filter((frame) => frame !== '').map((frame) => {
    const [eventLine, dataLine] = frame.split('\n');
    assert.ok(eventLine?.startsWith('event: ') && dataLine?.startsWith('data: '), frame);
    const data: unknown = JSON.parse(dataLine.slice('data: '.length));
    assert.equal((data as { type: string }).type, eventLine.slice('event: '.length));
    return { event: eventLine.slice('event: '.length), data };
  });
}

describe('createAnthropicStreamRenderer', () => {
  it('renders the events the SDK accumulates, from another format\'s IR', () => {
    const sse = renderAll([
      { type: 'message-start', id: 'chatcmpl-1', model: 'gpt-4o', created: 1 },
      { type: 'part-start', index: 0, part: { type: 'thinking' } },
      { type: 'thinking-delta', index: 0, text: 'hm' },
      { type: 'signature-delta', index: 0, signature: { value: 'gemini-sig', origin: 'gemini' } },
      { type: 'part-end', index: 0 },
      { type: 'part-start', index: 1, part: { type: 'text' } },
      { type: 'text-delta', index: 1, text: 'Hi' },
      { type: 'part-end', index: 1 },
      { type: 'part-start', index: 2, part: { type: 'tool-call', id: 'call.1', name: 'f' } },
      { type: 'tool-arguments-delta', index: 2, text: '{"a":1}' },
      { type: 'part-end', index: 2 },
      { type: 'finish', reason: 'tool-calls', rawReason: 'tool_calls' },
      { type: 'usage', usage: { inputTokens: 50, outputTokens: 7, cachedInputTokens: 20 } },
    ]);
    assert.deepEqual(frames(sse).map((frame) => frame.data), [
      { type: 'message_start', message: { id: 'chatcmpl-1', type: 'message', role: 'assistant', model: 'gpt-4o', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hm' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Hi' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'call_1', name: 'f', input: {} } },
      { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"a":1}' } },
      { type: 'content_block_stop', index: 2 },
      { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 7, input_tokens: 30, cache_creation_input_tokens: 0, cache_read_input_tokens: 20 } },
      { type: 'message_stop' },
    ]);
  });

  it('parses back to the same events (render → parse round trip, signature byte-exact)', () => {
    assert.deepEqual(parseWhole(renderAll(thinkingAndToolEvents)), thinkingAndToolEvents);
  });

  it('renders an error as an error event and nothing after it', () => {
    const renderer = createAnthropicStreamRenderer(request);
    const text = renderer.render({ type: 'message-start', id: 'm', model: 'x' }) + renderer.render({ type: 'error', status: 429, message: 'Slow' }) + renderer.render({ type: 'finish', reason: 'stop' }) + renderer.end();
    assert.deepEqual(frames(text).slice(1).map((frame) => frame.data), [{ type: 'error', error: { type: 'rate_limit_error', message: 'Slow' } }]);
  });

  it('opens the message itself when the upstream sent parts before any start', () => {
    const text = renderAll([{ type: 'part-start', index: 0, part: { type: 'text' } }, { type: 'text-delta', index: 0, text: 'x' }, { type: 'finish', reason: 'stop' }]);
    assert.deepEqual(frames(text).map((frame) => frame.event), ['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
  });
});

describe('createAnthropicStreamRenderer bytes', () => {
  it('writes each content_block_delta exactly as JSON.stringify writes the event object', () => {
    const renderer = createAnthropicStreamRenderer(request);
    renderer.render({ type: 'message-start', id: 'msg_1', model: 'm' });
    renderer.render({ type: 'part-start', index: 0, part: { type: 'text' } });
    const text = renderer.render({ type: 'text-delta', index: 0, text: 'a "quoted" \n line — ☃' });
    assert.equal(text, `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'a "quoted" \n line — ☃' } })}\n\n`);
    renderer.render({ type: 'part-start', index: 1, part: { type: 'thinking' } });
    const thinking = renderer.render({ type: 'thinking-delta', index: 1, text: 'hm' });
    assert.equal(thinking, `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 1, delta: { type: 'thinking_delta', thinking: 'hm' } })}\n\n`);
  });
});
