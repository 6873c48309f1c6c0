/** Non-streaming Kiro answers: a whole SYNTHETIC event stream folded into one IRResponse. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../errors.ts';
import { concatFrames, eventFrame, exceptionFrame } from './event-stream-test-frames.ts';
import { parseKiroResponse } from './response.ts';

describe('parseKiroResponse', () => {
  it('folds thinking, text, tool calls and usage into one response', () => {
    const bytes = concatFrames([
      eventFrame('reasoningContentEvent', { text: 'Need the weather.' }),
      eventFrame('assistantResponseEvent', { content: 'Checking ' }),
      eventFrame('assistantResponseEvent', { content: 'now.' }),
      eventFrame('toolUseEvent', { toolUseId: 'tu_1', name: 'get_weather_3f2a', input: '{"city":' }),
      eventFrame('toolUseEvent', { toolUseId: 'tu_1', name: 'get_weather_3f2a', input: '"Oslo"}', stop: true }),
      eventFrame('messageMetadataEvent', { tokenUsage: { uncachedInputTokens: 30, outputTokens: 12 } }),
    ]);
    const response = parseKiroResponse(bytes, { messageId: 'msg-9', model: 'claude-haiku-4.5', toolNames: new Map([['get_weather_3f2a', 'weather.get']]) });
    assert.deepEqual(response, {
      id: 'msg-9',
      model: 'claude-haiku-4.5',
      content: [
        { type: 'thinking', text: 'Need the weather.' },
        { type: 'text', text: 'Checking now.' },
        { type: 'tool-call', id: 'tu_1', name: 'weather.get', arguments: '{"city":"Oslo"}' },
      ],
      finishReason: 'tool-calls',
      usage: { inputTokens: 30, outputTokens: 12, totalTokens: 42 },
    });
  });

  it('throws the exception a 200 stream carried, with its status', () => {
    const bytes = concatFrames([eventFrame('assistantResponseEvent', { content: 'Hi' }), exceptionFrame('ServiceQuotaExceededException', { message: 'Monthly limit reached' })]);
    assert.throws(
      () => parseKiroResponse(bytes),
      (error: unknown) => error instanceof GatewayError && error.status === 429 && error.message === 'Kiro ServiceQuotaExceededException: Monthly limit reached' && error.details?.['upstreamType'] === 'ServiceQuotaExceededException',
    );
  });

  it('throws a 502 for a corrupt body', () => {
    const bytes = eventFrame('assistantResponseEvent', { content: 'Hi' });
    bytes[bytes.length - 1] ^= 0x01;
    assert.throws(() => parseKiroResponse(bytes), (error: unknown) => error instanceof GatewayError && error.status === 502 && /checksum/i.test(error.message));
  });
});
