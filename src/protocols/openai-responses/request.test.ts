import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../errors.ts';
import type { IRRequest } from '../ir.ts';
import { parseResponsesRequest, renderResponsesRequest } from './request.ts';

/** A Codex CLI-like body in the canonical (typed array) forms. */
function codexBody(): Record<string, unknown> {
  return {
    model: 'gpt-5.1-codex',
    instructions: 'You are Codex.',
    input: [
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Sandbox: read-only.' }] },
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Be concise.' }] },
      {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_text', text: 'List files and spawn a helper.' },
          { type: 'input_image', image_url: 'data:image/png;base64,iVBO', detail: 'high' },
          { type: 'input_file', file_id: 'file-123' },
        ],
      },
      { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Plan A' }, { type: 'summary_text', text: 'Plan B' }], encrypted_content: 'gAAAA-enc' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Running.' }] },
      { type: 'function_call', call_id: 'call_1', name: 'shell', arguments: '{"cmd":["ls"]}' },
      { type: 'function_call', call_id: 'call_2', name: 'spawn_agent', namespace: 'collaboration', arguments: '{"message":"hi"}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'a.txt\nb.txt' },
      { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: 'spawned' }, { type: 'input_image', image_url: 'https://x/y.png' }] },
      { type: 'custom_tool_call', call_id: 'call_3', name: 'apply_patch', input: '*** Begin Patch\n*** End Patch' },
      { type: 'custom_tool_call_output', call_id: 'call_3', output: 'Done' },
    ],
    tools: [
      { type: 'function', name: 'shell', description: 'Run a command', parameters: { type: 'object', properties: { cmd: { type: 'array', items: { type: 'string' } } }, required: ['cmd'] }, strict: false },
      {
        type: 'namespace',
        name: 'collaboration',
        description: 'Agents',
        tools: [
          { type: 'function', name: 'spawn_agent', description: 'Spawns an agent.', parameters: { type: 'object', properties: { message: { type: 'string' } } } },
          { type: 'function', name: 'send_message', parameters: { type: 'object', properties: {} } },
        ],
      },
      { type: 'custom', name: 'apply_patch', description: 'Edit files.', format: { type: 'grammar', syntax: 'lark', definition: 'start: x' } },
      { type: 'web_search' },
    ],
    tool_choice: 'auto',
    parallel_tool_calls: false,
    reasoning: { effort: 'xhigh', summary: 'auto' },
    text: { verbosity: 'low' },
    store: false,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: 'thread-1',
    previous_response_id: 'resp_prev',
    stream: true,
  };
}

describe('parseResponsesRequest', () => {
  it('maps a Codex body to IR', () => {
    const request = parseResponsesRequest(codexBody());
    assert.equal(request.model, 'gpt-5.1-codex');
    assert.equal(request.stream, true);
    assert.deepEqual(request.system, [{ type: 'text', text: 'You are Codex.' }]);
    assert.deepEqual(request.messages.map((message) => message.role), ['developer', 'developer', 'user', 'assistant', 'tool', 'tool', 'assistant', 'tool']);
    assert.deepEqual(request.messages[2]?.content, [
      { type: 'text', text: 'List files and spawn a helper.' },
      { type: 'image', source: { kind: 'url', url: 'data:image/png;base64,iVBO' }, detail: 'high' },
      { type: 'file', source: { kind: 'url', url: 'openai-file:file-123' } },
    ]);
    // One assistant turn: reasoning (encrypted content as an openai-responses signature), text, two calls.
    assert.deepEqual(request.messages[3]?.content, [
      { type: 'thinking', text: 'Plan A\n\nPlan B', signature: { value: 'gAAAA-enc', origin: 'openai-responses' }, responsesItemId: 'rs_1', responsesSummary: ['Plan A', 'Plan B'] },
      { type: 'text', text: 'Running.' },
      { type: 'tool-call', id: 'call_1', name: 'shell', arguments: '{"cmd":["ls"]}' },
      { type: 'tool-call', id: 'call_2', name: 'collaboration__spawn_agent', arguments: '{"message":"hi"}' },
    ]);
    assert.deepEqual(request.messages[4]?.content, [{ type: 'tool-result', toolCallId: 'call_1', name: 'shell', content: [{ type: 'text', text: 'a.txt\nb.txt' }] }]);
    assert.deepEqual(request.messages[5]?.content, [
      { type: 'tool-result', toolCallId: 'call_2', name: 'collaboration__spawn_agent', content: [{ type: 'text', text: 'spawned' }, { type: 'image', source: { kind: 'url', url: 'https://x/y.png' } }] },
    ]);
    // A custom (freeform) tool is a function of one string, its call's input the arguments {input}.
    assert.deepEqual(request.messages[6]?.content, [{ type: 'tool-call', id: 'call_3', name: 'apply_patch', arguments: '{"input":"*** Begin Patch\\n*** End Patch"}' }]);
    assert.deepEqual(request.messages[7]?.content, [{ type: 'tool-result', toolCallId: 'call_3', name: 'apply_patch', content: [{ type: 'text', text: 'Done' }] }]);
    // Namespace members are flattened to `<namespace>__<name>`; hosted tools are not IR tools.
    assert.deepEqual(request.tools.map((tool) => tool.name), ['shell', 'collaboration__spawn_agent', 'collaboration__send_message', 'apply_patch']);
    assert.deepEqual(request.tools[3], {
      name: 'apply_patch',
      description: 'Edit files.\n\nThe input must follow this lark grammar:\nstart: x',
      parameters: { type: 'object', properties: { input: { type: 'string', description: 'The raw input of this freeform tool (plain text, not JSON).' } }, required: ['input'], additionalProperties: false },
    });
    assert.deepEqual(request.toolChoice, { type: 'auto' });
    assert.equal(request.parallelToolCalls, false);
    assert.deepEqual(request.reasoning, { effort: 'max', summary: 'auto', includeThoughts: true });
    assert.deepEqual(request.extra, { store: false, include: ['reasoning.encrypted_content'], prompt_cache_key: 'thread-1', previous_response_id: 'resp_prev' });
  });

  it('accepts string input, string content and items without a type', () => {
    const simple = parseResponsesRequest({ model: 'gpt-4.1', input: 'Hello' });
    assert.deepEqual(simple.messages, [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }]);
    assert.equal(simple.stream, false);
    const typeless = parseResponsesRequest({ model: 'm', input: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Yo' }] });
    assert.deepEqual(typeless.messages, [
      { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Yo' }] },
    ]);
  });

  it('maps text.format, tool_choice objects and reasoning effort none', () => {
    const request = parseResponsesRequest({
      model: 'm',
      input: 'x',
      text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true } },
      tool_choice: { type: 'function', name: 'f' },
      reasoning: { effort: 'none' },
      max_output_tokens: 50,
      temperature: 0.3,
      top_p: 0.8,
      user: 'u',
      metadata: { k: 'v' },
    });
    assert.deepEqual(request.responseFormat, { type: 'json-schema', name: 'out', schema: { type: 'object' }, strict: true });
    assert.deepEqual(request.toolChoice, { type: 'tool', name: 'f' });
    assert.deepEqual(request.reasoning, { disabled: true });
    assert.deepEqual([request.maxTokens, request.temperature, request.topP, request.user, request.metadata], [50, 0.3, 0.8, 'u', { k: 'v' }]);
    assert.deepEqual(parseResponsesRequest({ model: 'm', input: 'x', text: { format: { type: 'json_object' } } }).responseFormat, { type: 'json-object' });
    assert.deepEqual(parseResponsesRequest({ model: 'm', input: 'x', tool_choice: { type: 'web_search' } }).toolChoice, { type: 'auto' });
  });

  it('rejects truly invalid input with a 400 naming the field', () => {
    const expectInvalid = (body: unknown, param: string): void => {
      assert.throws(
        () => parseResponsesRequest(body),
        (error: unknown) => error instanceof GatewayError && error.status === 400 && error.param === param,
      );
    };
    expectInvalid({ input: 'x' }, 'model');
    expectInvalid({ model: 'm', input: 42 }, 'input');
    expectInvalid({ model: 'm', input: [{ type: 'message', role: 'robot', content: 'x' }] }, 'input[0].role');
    expectInvalid({ model: 'm', input: [{ type: 'function_call_output', output: 'x' }] }, 'input[0].call_id');
    expectInvalid({ model: 'm', input: 'x', tools: [{ type: 'function' }] }, 'tools[0].name');
  });
});

describe('renderResponsesRequest', () => {
  it('round-trips a Codex body losslessly (unknown fields, namespaces, hosted tools, reasoning)', () => {
    const body = codexBody();
    const expected = structuredClone(body);
    assert.deepEqual(renderResponsesRequest(parseResponsesRequest(body)), expected);
  });

  it('renders an Anthropic-style history for the Responses API', () => {
    const request: IRRequest = {
      model: 'gpt-5',
      system: [{ type: 'text', text: 'Part one.' }, { type: 'text', text: 'Part two.' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Read the file.' }, { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AAA' } }] },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', text: 'claude thoughts', signature: { value: 'anthropic-sig', origin: 'anthropic' } },
            { type: 'redacted-thinking', data: 'xx', origin: 'anthropic' },
            { type: 'thinking', text: 'earlier openai reasoning', signature: { value: 'gAAAA', origin: 'openai-responses' } },
            { type: 'text', text: 'Reading.' },
            { type: 'tool-call', id: 'toolu_1', name: 'read', arguments: '{"path":"a"}' },
          ],
        },
        { role: 'user', content: [{ type: 'tool-result', toolCallId: 'toolu_1', content: [{ type: 'text', text: 'contents' }], isError: false }, { type: 'text', text: 'Now summarise.' }] },
      ],
      tools: [{ name: 'read', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } } }, extra: { cache_control: { type: 'ephemeral' } } }],
      toolChoice: { type: 'required' },
      maxTokens: 2000,
      reasoning: { budgetTokens: 10000, includeThoughts: true },
      metadata: { user_id: 'abc' },
      stream: true,
      extra: { anthropic_beta: ['x'] },
      sourceFormat: 'anthropic',
    };
    assert.deepEqual(renderResponsesRequest(request), {
      model: 'gpt-5',
      instructions: 'Part one.\n\nPart two.',
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Read the file.' }, { type: 'input_image', image_url: 'data:image/png;base64,AAA' }] },
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'earlier openai reasoning' }], encrypted_content: 'gAAAA' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Reading.' }] },
        { type: 'function_call', call_id: 'toolu_1', name: 'read', arguments: '{"path":"a"}' },
        { type: 'function_call_output', call_id: 'toolu_1', output: 'contents' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Now summarise.' }] },
      ],
      tools: [{ type: 'function', name: 'read', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } } }, strict: false }],
      tool_choice: 'required',
      max_output_tokens: 2000,
      metadata: { user_id: 'abc' },
      reasoning: { effort: 'high', summary: 'auto' },
      stream: true,
      store: false,
      include: ['reasoning.encrypted_content'],
    });
  });
});

describe('Responses content parts', () => {
  it('round-trips files, images by file id, refusals and output text', () => {
    const body = {
      model: 'gpt-5',
      input: [
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_file', file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' },
            { type: 'input_file', file_url: 'https://example.com/b.pdf' },
            { type: 'input_image', file_id: 'file-img', detail: 'low' },
            { type: 'input_text', text: 'Compare.' },
          ],
        },
        { type: 'message', role: 'assistant', content: [{ type: 'refusal', refusal: 'I cannot.' }] },
        { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'Stay calm.' }] },
      ],
    };
    const request = parseResponsesRequest(structuredClone(body));
    assert.deepEqual(request.messages[0]?.content.slice(0, 3), [
      { type: 'file', source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBERi0=', filename: 'a.pdf' } },
      { type: 'file', source: { kind: 'url', url: 'https://example.com/b.pdf' } },
      { type: 'image', source: { kind: 'url', url: 'openai-file:file-img' }, detail: 'low' },
    ]);
    assert.deepEqual(request.messages[1]?.content, [{ type: 'text', text: 'I cannot.', refusal: true }]);
    assert.deepEqual(renderResponsesRequest(request), body);
  });
});

describe('reasoning for other formats', () => {
  const base: IRRequest = { model: 'gpt-4.1', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }], tools: [], stream: false, extra: {}, sourceFormat: 'gemini' };
  it('asks a non-reasoning model for nothing when the client only wants to see thoughts', () => {
    const body = renderResponsesRequest({ ...base, reasoning: { includeThoughts: true } });
    assert.equal(body['reasoning'], undefined);
    assert.equal(body['include'], undefined);
    assert.equal(body['store'], false);
  });
  it('asks a reasoning model for summaries and encrypted reasoning', () => {
    const body = renderResponsesRequest({ ...base, model: 'gpt-5-mini', reasoning: { includeThoughts: true } });
    assert.deepEqual(body['reasoning'], { summary: 'auto' });
    assert.deepEqual(body['include'], ['reasoning.encrypted_content']);
  });
  it('follows an explicit budget whatever the model', () => {
    assert.deepEqual(renderResponsesRequest({ ...base, reasoning: { budgetTokens: 500 } })['reasoning'], { effort: 'low' });
  });
});
