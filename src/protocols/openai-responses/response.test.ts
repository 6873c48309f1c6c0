import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../errors.ts';
import type { IRResponse } from '../ir.ts';
import { renderResponsesError, renderResponsesStreamError } from './errors.ts';
import { parseResponsesRequest } from './request.ts';
import { parseResponsesResponse, renderResponsesResponse } from './response.ts';

const wireResponse = {
  id: 'resp_1',
  object: 'response',
  created_at: 1700000000,
  status: 'completed',
  model: 'gpt-5',
  output: [
    { id: 'rs_a', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Thinking' }], encrypted_content: 'ENC' },
    { id: 'msg_a', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hi there', annotations: [] }] },
    { id: 'fc_a', type: 'function_call', status: 'completed', call_id: 'call_9', name: 'spawn_agent', namespace: 'collaboration', arguments: '{}' },
    { id: 'ws_a', type: 'web_search_call', status: 'completed' },
  ],
  usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 6 }, output_tokens: 20, output_tokens_details: { reasoning_tokens: 12 }, total_tokens: 30 },
};

describe('parseResponsesResponse', () => {
  it('maps output items, namespaced calls, status and usage', () => {
    const response = parseResponsesResponse(wireResponse);
    assert.equal(response.id, 'resp_1');
    assert.equal(response.created, 1700000000);
    assert.deepEqual(response.content, [
      { type: 'thinking', text: 'Thinking', signature: { value: 'ENC', origin: 'openai-responses' }, responsesItemId: 'rs_a' },
      { type: 'text', text: 'Hi there' },
      { type: 'tool-call', id: 'call_9', name: 'collaboration__spawn_agent', arguments: '{}' },
    ]);
    assert.equal(response.finishReason, 'tool-calls');
    assert.deepEqual(response.usage, { inputTokens: 10, outputTokens: 20, cachedInputTokens: 6, reasoningTokens: 12, totalTokens: 30 });
  });

  it('maps incomplete responses and refusals, and throws for failed ones', () => {
    const incomplete = parseResponsesResponse({ id: 'r', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: [{ type: 'message', role: 'assistant', content: [{ type: 'refusal', refusal: 'No.' }] }] });
    assert.equal(incomplete.finishReason, 'length');
    assert.deepEqual(incomplete.content, [{ type: 'text', text: 'No.', refusal: true }]);
    assert.equal(parseResponsesResponse({ id: 'r', status: 'incomplete', incomplete_details: { reason: 'content_filter' }, output: [] }).finishReason, 'content-filter');
    assert.throws(
      () => parseResponsesResponse({ id: 'r', status: 'failed', output: [], error: { code: 'server_error', message: 'oops' } }),
      (error: unknown) => error instanceof GatewayError && error.message === 'oops' && error.status === 500,
    );
    assert.throws(
      () => parseResponsesResponse({ error: { message: 'quota', type: 'insufficient_quota', code: 'insufficient_quota', param: null } }),
      (error: unknown) => error instanceof GatewayError && error.status === 429,
    );
  });
});

describe('renderResponsesResponse', () => {
  it('renders a response object a Responses client reads, splitting namespaced names', () => {
    const request = parseResponsesRequest({
      model: 'gpt-5',
      input: 'x',
      tools: [{ type: 'namespace', name: 'collaboration', tools: [{ type: 'function', name: 'spawn_agent', parameters: { type: 'object' } }] }],
    });
    const response: IRResponse = {
      id: 'resp_42',
      model: 'claude-sonnet-4.5',
      created: 1700000001,
      content: [
        { type: 'thinking', text: 'I should spawn.', signature: { value: 'anthropic', origin: 'anthropic' } },
        { type: 'text', text: 'Spawning' },
        { type: 'text', text: 'Cannot do that part.', refusal: true },
        { type: 'tool-call', id: 'toolu_7', name: 'collaboration__spawn_agent', arguments: '{"message":"go"}' },
      ],
      finishReason: 'tool-calls',
      usage: { inputTokens: 5, outputTokens: 7 },
    };
    const body = renderResponsesResponse(response, request);
    assert.equal(body['object'], 'response');
    assert.equal(body['status'], 'completed');
    assert.equal(body['created_at'], 1700000001);
    assert.equal(body['incomplete_details'], null);
    assert.deepEqual(body['output'], [
      { id: 'rs_42_0', type: 'reasoning', summary: [{ type: 'summary_text', text: 'I should spawn.' }] },
      {
        id: 'msg_42_1',
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [
          { type: 'output_text', text: 'Spawning', annotations: [] },
          { type: 'refusal', refusal: 'Cannot do that part.' },
        ],
      },
      { id: 'fc_42_2', type: 'function_call', status: 'completed', call_id: 'toolu_7', name: 'spawn_agent', arguments: '{"message":"go"}', namespace: 'collaboration' },
    ]);
    assert.deepEqual(body['usage'], { input_tokens: 5, input_tokens_details: { cached_tokens: 0 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 12 });
    const truncated = renderResponsesResponse({ ...response, content: [{ type: 'text', text: 'cut' }], finishReason: 'length' }, request);
    assert.equal(truncated['status'], 'incomplete');
    assert.deepEqual(truncated['incomplete_details'], { reason: 'max_output_tokens' });
  });

  it('round-trips a Responses response through the IR', () => {
    const request = parseResponsesRequest({ model: 'gpt-5', input: 'x', tools: [{ type: 'namespace', name: 'collaboration', tools: [{ type: 'function', name: 'spawn_agent' }] }] });
    const rendered = renderResponsesResponse(parseResponsesResponse(wireResponse), request);
    const reparsed = parseResponsesResponse(rendered);
    assert.deepEqual(reparsed, { ...parseResponsesResponse(wireResponse), content: reparsed.content });
    assert.deepEqual(reparsed.content, parseResponsesResponse(wireResponse).content);
  });
});

describe('Responses errors', () => {
  it('renders OpenAI-shaped bodies and an in-stream error event', () => {
    const rendered = renderResponsesError(new GatewayError(400, 'invalid_request', 'input: bad', { param: 'input' }));
    assert.deepEqual(rendered, { status: 400, body: { error: { message: 'input: bad', type: 'invalid_request_error', param: 'input', code: 'invalid_request' } } });
    const streamed = renderResponsesStreamError(new GatewayError(429, 'rate_limited', 'slow'));
    assert.ok(streamed.startsWith('event: error\ndata: '));
    const payload = JSON.parse(streamed.slice('event: error\ndata: '.length)) as Record<string, unknown>;
    assert.deepEqual(payload, { type: 'error', code: 'rate_limited', message: 'slow', param: null, error: { type: 'rate_limit_error', code: 'rate_limited', message: 'slow', param: null } });
  });
});

describe('custom tool calls in responses', () => {
  it('parses custom_tool_call output items and renders them back for a client that declared the tool', () => {
    const wire = {
      id: 'resp_c',
      status: 'completed',
      model: 'gpt-5',
      output: [{ id: 'ctc_9', type: 'custom_tool_call', status: 'completed', call_id: 'call_c', name: 'apply_patch', input: '*** Begin Patch' }],
    };
    const response = parseResponsesResponse(wire);
    assert.deepEqual(response.content, [{ type: 'tool-call', id: 'call_c', name: 'apply_patch', arguments: '{"input":"*** Begin Patch"}' }]);
    assert.equal(response.finishReason, 'tool-calls');
    const codex = parseResponsesRequest({ model: 'gpt-5', input: 'x', tools: [{ type: 'custom', name: 'apply_patch' }] });
    assert.deepEqual(renderResponsesResponse(response, codex)['output'], [
      { id: 'ctc_c_0', type: 'custom_tool_call', status: 'completed', call_id: 'call_c', name: 'apply_patch', input: '*** Begin Patch' },
    ]);
  });
});
