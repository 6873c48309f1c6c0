import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../errors.ts';
import type { IRRequest, IRResponse } from '../ir.ts';
import { renderGeminiError, renderGeminiStreamError } from './errors.ts';
import { parseGeminiResponse, renderGeminiResponse } from './response.ts';

const request: IRRequest = { model: 'gemini-2.5-flash', system: [], messages: [], tools: [], stream: false, extra: {}, sourceFormat: 'gemini' };

function body(): Record<string, unknown> {
  return {
    candidates: [
      {
        content: {
          role: 'model',
          parts: [
            { text: 'Let me think.', thought: true },
            { text: 'Calling tools.' },
            { functionCall: { name: 'lookup', args: { q: 'a' } }, thoughtSignature: 'U0lH' },
            { functionCall: { name: 'lookup', args: { q: 'b' } } },
          ],
        },
        finishReason: 'STOP',
        index: 0,
      },
    ],
    usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, thoughtsTokenCount: 7, cachedContentTokenCount: 4, totalTokenCount: 22 },
    modelVersion: 'gemini-2.5-flash',
    responseId: 'r1',
  };
}

describe('parseGeminiResponse', () => {
  it('maps parts, makes up call ids per response, and finishes STOP-with-calls as tool-calls', () => {
    const response = parseGeminiResponse(body());
    assert.equal(response.id, 'r1');
    assert.equal(response.model, 'gemini-2.5-flash');
    assert.deepEqual(response.content, [
      { type: 'thinking', text: 'Let me think.' },
      { type: 'text', text: 'Calling tools.' },
      { type: 'tool-call', id: 'call_gemini_r1_0', name: 'lookup', arguments: '{"q":"a"}', signature: { value: 'U0lH', origin: 'gemini' } },
      { type: 'tool-call', id: 'call_gemini_r1_1', name: 'lookup', arguments: '{"q":"b"}' },
    ]);
    assert.equal(response.finishReason, 'tool-calls');
    assert.equal(response.rawFinishReason, 'STOP');
    // IR output tokens include thoughts; Gemini's candidatesTokenCount does not.
    assert.deepEqual(response.usage, { inputTokens: 10, outputTokens: 12, cachedInputTokens: 4, reasoningTokens: 7, totalTokens: 22 });
    // Same body, same ids: the scheme is deterministic.
    assert.deepEqual(parseGeminiResponse(body()).content, response.content);
  });

  it('maps finish reasons and a blocked prompt', () => {
    const finish = (reason: string): string => parseGeminiResponse({ candidates: [{ content: { parts: [{ text: 'x' }] }, finishReason: reason }] }).finishReason;
    assert.equal(finish('STOP'), 'stop');
    assert.equal(finish('MAX_TOKENS'), 'length');
    for (const reason of ['SAFETY', 'RECITATION', 'PROHIBITED_CONTENT', 'BLOCKLIST', 'SPII']) assert.equal(finish(reason), 'content-filter');
    assert.equal(finish('MALFORMED_FUNCTION_CALL'), 'error');
    assert.equal(finish('OTHER'), 'other');
    const blocked = parseGeminiResponse({ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' } });
    assert.deepEqual([blocked.content, blocked.finishReason, blocked.rawFinishReason], [[], 'content-filter', 'PROHIBITED_CONTENT']);
  });

  it('throws the upstream error an error body carries', () => {
    assert.throws(
      () => parseGeminiResponse({ error: { code: 429, message: 'quota', status: 'RESOURCE_EXHAUSTED' } }),
      (error: unknown) => error instanceof GatewayError && error.status === 429 && error.message === 'quota',
    );
  });
});

describe('renderGeminiResponse', () => {
  it('round-trips a Gemini response (made-up ids stay off the wire)', () => {
    const original = body();
    const rendered = renderGeminiResponse(parseGeminiResponse(structuredClone(original)), request);
    assert.deepEqual(rendered, original);
  });

  it('renders a response from another format: ids kept, foreign signatures dropped, usage split', () => {
    const response: IRResponse = {
      id: 'chatcmpl-1',
      model: 'gpt-5',
      content: [
        { type: 'thinking', text: 'hmm', signature: { value: 'sig', origin: 'anthropic' } },
        { type: 'text', text: 'Hello' },
        { type: 'tool-call', id: 'call_xyz', name: 'f', arguments: '{"a":1}' },
      ],
      finishReason: 'tool-calls',
      rawFinishReason: 'tool_calls',
      usage: { inputTokens: 3, outputTokens: 9, reasoningTokens: 4 },
    };
    assert.deepEqual(renderGeminiResponse(response, request), {
      candidates: [
        {
          content: { role: 'model', parts: [{ text: 'hmm', thought: true }, { text: 'Hello' }, { functionCall: { name: 'f', args: { a: 1 }, id: 'call_xyz' } }] },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 5, thoughtsTokenCount: 4, totalTokenCount: 12 },
      modelVersion: 'gpt-5',
      responseId: 'chatcmpl-1',
    });
  });
});

describe('Gemini errors', () => {
  it('renders {error:{code,message,status}} with Google status names and RetryInfo', () => {
    const statuses: Array<[number, string]> = [
      [400, 'INVALID_ARGUMENT'],
      [401, 'UNAUTHENTICATED'],
      [403, 'PERMISSION_DENIED'],
      [404, 'NOT_FOUND'],
      [429, 'RESOURCE_EXHAUSTED'],
      [500, 'INTERNAL'],
      [503, 'UNAVAILABLE'],
      [504, 'DEADLINE_EXCEEDED'],
    ];
    for (const [status, name] of statuses) {
      const rendered = renderGeminiError(new GatewayError(status, 'upstream_error', 'boom'));
      assert.equal(rendered.status, status);
      assert.equal(rendered.body.error.code, status);
      assert.equal(rendered.body.error.status, name);
      assert.equal(rendered.body.error.message, 'boom');
    }
    const limited = renderGeminiError(new GatewayError(429, 'all_candidates_cooling', 'cooling', { headers: { 'retry-after': '30' } }));
    assert.deepEqual(limited.body.error.details?.[1], { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '30s' });
    const streamed = renderGeminiStreamError(new GatewayError(503, 'upstream_unreachable', 'down'));
    assert.ok(streamed.startsWith('data: {"error":{"code":503,"message":"down","status":"UNAVAILABLE"'));
    assert.ok(streamed.endsWith('\r\n\r\n'));
  });
});
