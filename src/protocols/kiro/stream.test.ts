/**
 * Kiro stream parsing over SYNTHETIC event streams (encoded here with @smithy/eventstream-codec;
 * there is no public Kiro capture): text, two tools with inputs split across frames,
 * reasoning, usage, exceptions mid-stream, corrupt and truncated frames. Every stream is also
 * fed split at every byte offset, and one byte at a time, and must give identical events.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IRStreamEvent } from '../ir.ts';
import { concatFrames, errorFrame, eventFrame, exceptionFrame } from './event-stream-test-frames.ts';
import { createKiroStreamParser } from './stream.ts';
import type { KiroStreamParserOptions } from './types.ts';

function parseWhole(bytes: Uint8Array, options?: KiroStreamParserOptions): IRStreamEvent[] {
  const parser = createKiroStreamParser(options);
  return [...parser.push(bytes), ...parser.end()];
}

/** The events for `bytes`, after checking every two-chunk split and byte-by-byte feeding agree. */
function parseAtEverySplit(bytes: Uint8Array, options?: KiroStreamParserOptions): IRStreamEvent[] {
  const whole = parseWhole(bytes, options);
  for (let at = 0; at <= bytes.length; at += 1) {
    const parser = createKiroStreamParser(options);
    const events = [...parser.push(bytes.subarray(0, at)), ...parser.push(bytes.subarray(at)), ...parser.end()];
    assert.deepEqual(events, whole, `split at ${at}`);
  }
  const parser = createKiroStreamParser(options);
  const events: IRStreamEvent[] = [];
  for (let at = 0; at < bytes.length; at += 1) events.push(...parser.push(bytes.subarray(at, at + 1)));
  events.push(...parser.end());
  assert.deepEqual(events, whole, 'byte by byte');
  return whole;
}

const start: IRStreamEvent = { type: 'message-start', id: 'msg-1', model: 'claude-sonnet-4.5' };
const named = { messageId: 'msg-1', model: 'claude-sonnet-4.5' };

describe('createKiroStreamParser: text', () => {
  it('turns assistantResponseEvents into one text part, ignoring metering and follow-up prompts', () => {
    const bytes = concatFrames([
      eventFrame('assistantResponseEvent', { content: 'Hello' }),
      eventFrame('assistantResponseEvent', { content: ', wörld 😀' }),
      eventFrame('meteringEvent', { unit: 'credit', unitPlural: 'credits', usage: 0.25 }),
      eventFrame('followupPromptEvent', { followupPrompt: { content: 'More?' } }),
      eventFrame('contextUsageEvent', { contextUsagePercentage: 1.5 }),
    ]);
    assert.deepEqual(parseAtEverySplit(bytes, named), [
      start,
      { type: 'part-start', index: 0, part: { type: 'text' } },
      { type: 'text-delta', index: 0, text: 'Hello' },
      { type: 'text-delta', index: 0, text: ', wörld 😀' },
      { type: 'part-end', index: 0 },
      // Input from the context percentage (1.5 % of 200 000), output from 15 characters / 4.
      { type: 'usage', usage: { inputTokens: 3000, outputTokens: 4, totalTokens: 3004 } },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('tolerates a payload wrapped in its event name, skips empty content and unknown events, reads codeEvent as text', () => {
    const bytes = concatFrames([
      eventFrame('assistantResponseEvent', { content: '' }),
      eventFrame('assistantResponseEvent', { assistantResponseEvent: { content: 'wrapped' } }),
      eventFrame('someFutureEvent', { anything: true }),
      eventFrame('codeEvent', { content: ' code' }),
    ]);
    assert.deepEqual(parseAtEverySplit(bytes), [
      { type: 'message-start', id: '', model: '' },
      { type: 'part-start', index: 0, part: { type: 'text' } },
      { type: 'text-delta', index: 0, text: 'wrapped' },
      { type: 'text-delta', index: 0, text: ' code' },
      { type: 'part-end', index: 0 },
      { type: 'finish', reason: 'stop' },
    ]);
  });
});

describe('createKiroStreamParser: tools', () => {
  const twoTools = concatFrames([
    eventFrame('assistantResponseEvent', { content: 'Let me check.' }),
    eventFrame('toolUseEvent', { toolUseId: 'tooluse_A', name: 'get_weather', input: '' }),
    eventFrame('toolUseEvent', { toolUseId: 'tooluse_A', name: 'get_weather', input: '{"ci' }),
    eventFrame('toolUseEvent', { toolUseId: 'tooluse_A', name: 'get_weather', input: 'ty":"Par' }),
    eventFrame('toolUseEvent', { toolUseId: 'tooluse_A', name: 'get_weather', input: 'is"}' }),
    eventFrame('toolUseEvent', { toolUseId: 'tooluse_A', name: 'get_weather', stop: true }),
    eventFrame('toolUseEvent', { toolUseId: 'tooluse_B', name: 'get_time', input: '{"zone":' }),
    eventFrame('toolUseEvent', { toolUseId: 'tooluse_B', name: 'get_time', input: '"CET"}', stop: true }),
    // A repeated event for a finished call: ignored (it must not run twice).
    eventFrame('toolUseEvent', { toolUseId: 'tooluse_A', name: 'get_weather', input: { city: 'Paris' }, stop: true }),
    eventFrame('messageMetadataEvent', { tokenUsage: { uncachedInputTokens: 20, cacheReadInputTokens: 100, cacheWriteInputTokens: 5, outputTokens: 42, totalTokens: 167 } }),
  ]);

  it('streams two tool calls with fragmented inputs and finishes with tool-calls', () => {
    assert.deepEqual(parseAtEverySplit(twoTools, named), [
      start,
      { type: 'part-start', index: 0, part: { type: 'text' } },
      { type: 'text-delta', index: 0, text: 'Let me check.' },
      { type: 'part-end', index: 0 },
      { type: 'part-start', index: 1, part: { type: 'tool-call', id: 'tooluse_A', name: 'get_weather' } },
      { type: 'tool-arguments-delta', index: 1, text: '{"ci' },
      { type: 'tool-arguments-delta', index: 1, text: 'ty":"Par' },
      { type: 'tool-arguments-delta', index: 1, text: 'is"}' },
      { type: 'part-end', index: 1 },
      { type: 'part-start', index: 2, part: { type: 'tool-call', id: 'tooluse_B', name: 'get_time' } },
      { type: 'tool-arguments-delta', index: 2, text: '{"zone":' },
      { type: 'tool-arguments-delta', index: 2, text: '"CET"}' },
      { type: 'part-end', index: 2 },
      { type: 'usage', usage: { inputTokens: 125, outputTokens: 42, totalTokens: 167, cachedInputTokens: 100, cacheCreationInputTokens: 5 } },
      { type: 'finish', reason: 'tool-calls' },
    ]);
  });

  it('maps shortened tool names back to the client\'s own', () => {
    const events = parseWhole(twoTools, { toolNames: new Map([['get_time', 'clock.get_time']]) });
    assert.deepEqual(events.filter((event) => event.type === 'part-start').map((event) => event.part), [
      { type: 'text' },
      { type: 'tool-call', id: 'tooluse_A', name: 'get_weather' },
      { type: 'tool-call', id: 'tooluse_B', name: 'clock.get_time' },
    ]);
  });

  it('takes an object input whole, gives a call without input {}, and closes a call the stream leaves open', () => {
    const bytes = concatFrames([
      eventFrame('toolUseEvent', { toolUseId: 't1', name: 'search', input: { q: 'kiro' }, stop: true }),
      eventFrame('toolUseEvent', { toolUseId: 't2', name: 'list', stop: true }),
      eventFrame('toolUseEvent', { toolUseId: 't3', name: 'read', input: '{"path":"a"}' }),
    ]);
    assert.deepEqual(parseAtEverySplit(bytes), [
      { type: 'message-start', id: '', model: '' },
      { type: 'part-start', index: 0, part: { type: 'tool-call', id: 't1', name: 'search' } },
      { type: 'tool-arguments-delta', index: 0, text: '{"q":"kiro"}' },
      { type: 'part-end', index: 0 },
      { type: 'part-start', index: 1, part: { type: 'tool-call', id: 't2', name: 'list' } },
      { type: 'tool-arguments-delta', index: 1, text: '{}' },
      { type: 'part-end', index: 1 },
      { type: 'part-start', index: 2, part: { type: 'tool-call', id: 't3', name: 'read' } },
      { type: 'tool-arguments-delta', index: 2, text: '{"path":"a"}' },
      { type: 'part-end', index: 2 },
      { type: 'finish', reason: 'tool-calls' },
    ]);
  });

  it('ends with an error, not a finish, when the stream stops inside a tool call\'s JSON', () => {
    const bytes = concatFrames([eventFrame('toolUseEvent', { toolUseId: 't', name: 'read', input: '{"path":' })]);
    const events = parseAtEverySplit(bytes);
    assert.deepEqual(events.slice(0, 4), [
      { type: 'message-start', id: '', model: '' },
      { type: 'part-start', index: 0, part: { type: 'tool-call', id: 't', name: 'read' } },
      { type: 'tool-arguments-delta', index: 0, text: '{"path":' },
      { type: 'part-end', index: 0 },
    ]);
    assert.equal(events.length, 5);
    assert.deepEqual({ ...events[4], message: '' }, { type: 'error', status: 502, code: 'upstream_protocol_error', message: '' });
  });
});

describe('createKiroStreamParser: reasoning and usage', () => {
  it('turns reasoningContentEvents into a thinking part (signature dropped) before the text', () => {
    const bytes = concatFrames([
      eventFrame('reasoningContentEvent', { text: 'The user wants ' }),
      eventFrame('reasoningContentEvent', { text: 'a greeting.' }),
      eventFrame('reasoningContentEvent', { signature: 'EqQBCkYIBxgC' }),
      eventFrame('assistantResponseEvent', { content: 'Hi!' }),
      eventFrame('metadataEvent', { tokenUsage: { inputTokens: 11, outputTokens: 9 }, stopReason: 'end_turn' }),
    ]);
    assert.deepEqual(parseAtEverySplit(bytes, named), [
      start,
      { type: 'part-start', index: 0, part: { type: 'thinking' } },
      { type: 'thinking-delta', index: 0, text: 'The user wants ' },
      { type: 'thinking-delta', index: 0, text: 'a greeting.' },
      { type: 'part-end', index: 0 },
      { type: 'part-start', index: 1, part: { type: 'text' } },
      { type: 'text-delta', index: 1, text: 'Hi!' },
      { type: 'part-end', index: 1 },
      { type: 'usage', usage: { inputTokens: 11, outputTokens: 9, totalTokens: 20 } },
      { type: 'finish', reason: 'stop', rawReason: 'end_turn' },
    ]);
  });

  it('finishes with length when the metadata says the output hit its limit', () => {
    const bytes = concatFrames([
      eventFrame('assistantResponseEvent', { content: 'Once upon a' }),
      eventFrame('messageMetadataEvent', { stopReason: 'MAX_TOKENS' }),
      eventFrame('messageMetadataEvent', { tokenUsage: { uncachedInputTokens: 7, outputTokens: 3 } }),
    ]);
    assert.deepEqual(parseAtEverySplit(bytes).slice(-2), [
      { type: 'usage', usage: { inputTokens: 7, outputTokens: 3, totalTokens: 10 } },
      { type: 'finish', reason: 'length', rawReason: 'MAX_TOKENS' },
    ]);
  });
});

describe('createKiroStreamParser: failures', () => {
  it('turns an exception frame mid-stream into an error event and stops there', () => {
    const bytes = concatFrames([
      eventFrame('assistantResponseEvent', { content: 'Partial' }),
      exceptionFrame('ThrottlingException', { message: 'Rate exceeded' }),
      eventFrame('assistantResponseEvent', { content: 'never seen' }),
    ]);
    assert.deepEqual(parseAtEverySplit(bytes, named), [
      start,
      { type: 'part-start', index: 0, part: { type: 'text' } },
      { type: 'text-delta', index: 0, text: 'Partial' },
      { type: 'part-end', index: 0 },
      { type: 'error', status: 429, code: 'ThrottlingException', message: 'Kiro ThrottlingException: Rate exceeded' },
    ]);
  });

  it('reads error frames (type and message in headers) and unknown exceptions', () => {
    assert.deepEqual(parseAtEverySplit(errorFrame('InternalServerException', 'Encountered an unexpected error')), [
      { type: 'message-start', id: '', model: '' },
      { type: 'error', status: 500, code: 'InternalServerException', message: 'Kiro InternalServerException: Encountered an unexpected error' },
    ]);
    assert.deepEqual(parseWhole(exceptionFrame('SomethingNewException', { message: 'odd' })).at(-1), { type: 'error', status: 502, code: 'SomethingNewException', message: 'Kiro SomethingNewException: odd' });
    assert.deepEqual(parseWhole(exceptionFrame('ValidationException', { message: 'Improperly formed request.' })).at(-1), { type: 'error', status: 400, code: 'ValidationException', message: 'Kiro ValidationException: Improperly formed request.' });
    assert.deepEqual(parseWhole(eventFrame('throttlingError', { message: 'Slow down' })).at(-1), { type: 'error', status: 429, code: 'ThrottlingError', message: 'Kiro ThrottlingError: Slow down' });
  });

  it('reports a corrupt message CRC as an error event after the good frames before it', () => {
    const good = eventFrame('assistantResponseEvent', { content: 'ok' });
    const bad = eventFrame('assistantResponseEvent', { content: 'corrupt me' });
    bad[bad.length - 8] ^= 0xff;
    const events = parseAtEverySplit(concatFrames([good, bad, good]));
    assert.deepEqual(events.slice(0, 4), [
      { type: 'message-start', id: '', model: '' },
      { type: 'part-start', index: 0, part: { type: 'text' } },
      { type: 'text-delta', index: 0, text: 'ok' },
      { type: 'part-end', index: 0 },
    ]);
    assert.equal(events.length, 5);
    const error = events[4];
    assert.ok(error?.type === 'error' && error.status === 502 && error.code === 'upstream_protocol_error' && /checksum/i.test(error.message), JSON.stringify(error));
  });

  it('reports a corrupt prelude at once, without waiting for the length it claims', () => {
    const bad = eventFrame('assistantResponseEvent', { content: 'x' });
    bad[2] = 0x7f;
    const parser = createKiroStreamParser();
    const events = parser.push(bad.subarray(0, 12));
    const last = events.at(-1);
    assert.equal(last?.type, 'error');
    assert.match(last?.type === 'error' ? last.message : '', /prelude checksum/);
    assert.deepEqual(parser.push(bad.subarray(12)), []);
    assert.deepEqual(parser.end(), []);
  });

  it('reports a stream cut inside a frame, and an empty stream, as errors', () => {
    const frame = eventFrame('assistantResponseEvent', { content: 'cut' });
    const cut = parseWhole(frame.subarray(0, frame.length - 1));
    assert.deepEqual(cut.map((event) => event.type), ['message-start', 'error']);
    assert.match(cut[1]?.type === 'error' ? cut[1].message : '', /ended inside a frame/);
    const empty = parseWhole(new Uint8Array(0));
    assert.deepEqual(empty.map((event) => event.type), ['message-start', 'error']);
  });
});
