import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../errors.ts';
import type { IRRequest } from '../ir.ts';
import { parseGeminiRequest, renderGeminiRequest, SKIP_SIGNATURE_VALIDATION } from './request.ts';

/** A Gemini CLI-like body: thinking history with signatures, a tool round, hosted tools, unknown fields. */
function geminiBody(): Record<string, unknown> {
  return {
    contents: [
      { role: 'user', parts: [{ text: 'What is the weather in Paris?' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }] },
      {
        role: 'model',
        parts: [
          { text: 'Thinking about weather', thought: true, thoughtSignature: 'c2lnLXRob3VnaHQ=' },
          { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'c2lnLWNhbGw=' },
          { functionCall: { name: 'get_time', args: { zone: 'CET' } } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_time', response: { result: '12:00' } } },
          { functionResponse: { name: 'get_weather', response: { temperature: 21, unit: 'C' } } },
        ],
      },
      { role: 'model', parts: [{ text: 'It is 21 C.', thoughtSignature: 'c2lnLXRleHQ=' }] },
      { role: 'user', parts: [{ text: 'Thanks' }] },
    ],
    systemInstruction: { parts: [{ text: 'You are terse.' }, { text: 'Answer in English.' }] },
    tools: [
      {
        functionDeclarations: [
          { name: 'get_weather', description: 'Weather by city', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] } },
          { name: 'get_time', parametersJsonSchema: { type: 'object', properties: { zone: { type: 'string' } }, additionalProperties: false }, behavior: 'NON_BLOCKING' },
        ],
      },
      { googleSearch: {} },
      { codeExecution: {} },
    ],
    toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather', 'get_time'] } },
    generationConfig: {
      maxOutputTokens: 1024,
      temperature: 0.2,
      topP: 0.9,
      topK: 40,
      stopSequences: ['END'],
      candidateCount: 1,
      responseModalities: ['TEXT'],
      thinkingConfig: { thinkingBudget: -1, includeThoughts: true },
    },
    safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }],
    cachedContent: 'cachedContents/abc',
    labels: { team: 'x' },
  };
}

describe('parseGeminiRequest', () => {
  it('takes model and stream from the context and maps the body to IR', () => {
    const request = parseGeminiRequest(geminiBody(), { model: 'models/gemini-2.5-pro', stream: true });
    assert.equal(request.model, 'gemini-2.5-pro');
    assert.equal(request.stream, true);
    assert.equal(request.sourceFormat, 'gemini');
    assert.deepEqual(request.system, [
      { type: 'text', text: 'You are terse.' },
      { type: 'text', text: 'Answer in English.' },
    ]);
    assert.deepEqual(request.messages.map((message) => message.role), ['user', 'assistant', 'tool', 'tool', 'assistant', 'user']);
    assert.deepEqual(request.messages[0]?.content[1], { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBORw0KGgo=' } });
    assert.deepEqual(request.messages[1]?.content, [
      { type: 'thinking', text: 'Thinking about weather', signature: { value: 'c2lnLXRob3VnaHQ=', origin: 'gemini' } },
      { type: 'tool-call', id: 'call_gemini_0', name: 'get_weather', arguments: '{"city":"Paris"}', signature: { value: 'c2lnLWNhbGw=', origin: 'gemini' } },
      { type: 'tool-call', id: 'call_gemini_1', name: 'get_time', arguments: '{"zone":"CET"}' },
    ]);
    // Results are matched to the calls by name, whatever their order.
    assert.deepEqual(request.messages[2]?.content, [{ type: 'tool-result', toolCallId: 'call_gemini_1', name: 'get_time', content: [{ type: 'text', text: '12:00' }] }]);
    assert.deepEqual(request.messages[3]?.content, [{ type: 'tool-result', toolCallId: 'call_gemini_0', name: 'get_weather', content: [{ type: 'text', text: '{"temperature":21,"unit":"C"}' }] }]);
    // A signature on a text part becomes a signature-only thinking part after it.
    assert.deepEqual(request.messages[4]?.content, [
      { type: 'text', text: 'It is 21 C.' },
      { type: 'thinking', text: '', signature: { value: 'c2lnLXRleHQ=', origin: 'gemini' } },
    ]);
    assert.deepEqual(request.tools.map((tool) => tool.name), ['get_weather', 'get_time']);
    assert.deepEqual(request.tools[0]?.parameters, { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] });
    assert.deepEqual(request.tools[1]?.extra, { behavior: 'NON_BLOCKING' });
    assert.deepEqual(request.toolChoice, { type: 'required' });
    assert.equal(request.maxTokens, 1024);
    assert.equal(request.topK, 40);
    assert.deepEqual(request.stop, ['END']);
    assert.deepEqual(request.reasoning, { includeThoughts: true });
    assert.deepEqual(request.extra, { safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }], cachedContent: 'cachedContents/abc', labels: { team: 'x' } });
  });

  it('maps toolConfig modes and thinking settings', () => {
    const base = { contents: [{ role: 'user', parts: [{ text: 'x' }] }] };
    const parse = (extra: Record<string, unknown>): IRRequest => parseGeminiRequest({ ...base, ...extra }, { model: 'gemini-3-pro-preview' });
    assert.deepEqual(parse({ toolConfig: { functionCallingConfig: { mode: 'AUTO' } } }).toolChoice, { type: 'auto' });
    assert.deepEqual(parse({ toolConfig: { functionCallingConfig: { mode: 'NONE' } } }).toolChoice, { type: 'none' });
    assert.deepEqual(parse({ toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['f'] } } }).toolChoice, { type: 'tool', name: 'f' });
    assert.deepEqual(parse({ generationConfig: { thinkingConfig: { thinkingBudget: 0 } } }).reasoning, { disabled: true });
    assert.deepEqual(parse({ generationConfig: { thinkingConfig: { thinkingBudget: 2048 } } }).reasoning, { budgetTokens: 2048 });
    assert.deepEqual(parse({ generationConfig: { thinkingConfig: { thinkingLevel: 'HIGH', includeThoughts: true } } }).reasoning, { effort: 'high', includeThoughts: true });
  });

  it('maps responseMimeType and schemas to the IR response format', () => {
    const base = { contents: [{ role: 'user', parts: [{ text: 'x' }] }] };
    const parse = (generationConfig: Record<string, unknown>): IRRequest => parseGeminiRequest({ ...base, generationConfig }, { model: 'm' });
    assert.deepEqual(parse({ responseMimeType: 'application/json' }).responseFormat, { type: 'json-object' });
    assert.deepEqual(parse({ responseMimeType: 'application/json', responseSchema: { type: 'OBJECT', properties: { a: { type: 'STRING' } } } }).responseFormat, {
      type: 'json-schema',
      schema: { type: 'object', properties: { a: { type: 'string' } } },
    });
    assert.deepEqual(parse({ responseMimeType: 'application/json', responseJsonSchema: { type: 'object', additionalProperties: false } }).responseFormat, {
      type: 'json-schema',
      schema: { type: 'object', additionalProperties: false },
    });
  });

  it('accepts snake_case field names and a string system instruction', () => {
    const request = parseGeminiRequest(
      { system_instruction: { parts: { text: 'sys' } }, contents: [{ role: 'user', parts: [{ inline_data: { mime_type: 'application/pdf', data: 'JVBERi0=' } }] }], generation_config: { max_output_tokens: 5 } },
      { model: 'm' },
    );
    assert.deepEqual(request.system, [{ type: 'text', text: 'sys' }]);
    assert.deepEqual(request.messages[0]?.content, [{ type: 'file', source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBERi0=' } }]);
    assert.equal(request.maxTokens, 5);
  });

  it('rejects truly invalid input with a 400 naming the field', () => {
    const expectInvalid = (body: unknown, param: string): void => {
      assert.throws(
        () => parseGeminiRequest(body, { model: 'm' }),
        (error: unknown) => error instanceof GatewayError && error.status === 400 && error.code === 'invalid_request' && error.param === param,
      );
    };
    expectInvalid({ contents: 'hi' }, 'contents');
    expectInvalid({ contents: [{ role: 'assistant', parts: [] }] }, 'contents[0].role');
    expectInvalid({ contents: [{ role: 'user' }] }, 'contents[0].parts');
    expectInvalid({ contents: [], tools: [{ functionDeclarations: [{ description: 'no name' }] }] }, 'tools[0].functionDeclarations[0].name');
    assert.throws(() => parseGeminiRequest({ contents: [] }), (error: unknown) => error instanceof GatewayError && error.code === 'missing_model');
  });
});

describe('renderGeminiRequest', () => {
  it('round-trips a Gemini body losslessly (unknown fields, hosted tools, signatures, lossy originals)', () => {
    const body = geminiBody();
    const expected = structuredClone(body);
    const request = parseGeminiRequest(body, { model: 'gemini-2.5-pro', stream: true });
    assert.deepEqual(renderGeminiRequest(request), expected);
  });

  it('keeps call ids that were on the wire, and only those', () => {
    const body = {
      contents: [
        { role: 'user', parts: [{ text: 'go' }] },
        { role: 'model', parts: [{ functionCall: { id: 'fc-1', name: 'a', args: {} } }] },
        { role: 'user', parts: [{ functionResponse: { id: 'fc-1', name: 'a', response: { result: 'ok' } } }] },
      ],
    };
    const request = parseGeminiRequest(structuredClone(body), { model: 'm' });
    assert.equal(request.messages[2]?.content[0]?.type === 'tool-result' && request.messages[2].content[0].toolCallId, 'fc-1');
    assert.deepEqual(renderGeminiRequest(request), body);
  });

  it('renders an OpenAI-style history as valid Gemini: roles, names looked up by id, merged turns', () => {
    const request: IRRequest = {
      model: 'gemini-2.5-flash',
      system: [{ type: 'text', text: 'Be helpful.' }],
      messages: [
        { role: 'developer', content: [{ type: 'text', text: 'Use tools.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Weather in Oslo and Rome?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', text: 'plan', signature: { value: 'anthropic-sig', origin: 'anthropic' } },
            { type: 'text', text: 'Checking.' },
            { type: 'tool-call', id: 'call_abc', name: 'weather', arguments: '{"city":"Oslo"}' },
            { type: 'tool-call', id: 'call_def', name: 'weather', arguments: '{"city":"Rome"}' },
          ],
        },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_abc', content: [{ type: 'text', text: '{"temp":3}' }] }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_def', content: [{ type: 'text', text: 'sunny' }], isError: true }] },
        { role: 'user', content: [{ type: 'image', source: { kind: 'url', url: 'data:image/jpeg;base64,/9j/' } }, { type: 'text', text: 'And this?' }] },
      ],
      tools: [
        {
          name: 'weather',
          description: 'Weather',
          parameters: { $schema: 'x', type: 'object', properties: { city: { type: 'string', format: 'email' } }, required: ['city'], additionalProperties: false },
          strict: true,
          extra: { cache_control: { type: 'ephemeral' } },
        },
        { name: 'noop', parameters: { type: 'object', properties: {} } },
      ],
      toolChoice: { type: 'tool', name: 'weather' },
      maxTokens: 100,
      temperature: 0.5,
      stop: ['x'],
      reasoning: { effort: 'high', includeThoughts: true },
      responseFormat: { type: 'json-schema', name: 'out', schema: { type: 'object', properties: { a: { type: ['string', 'null'] } } } },
      parallelToolCalls: true,
      user: 'u1',
      stream: true,
      extra: { service_tier: 'flex' },
      sourceFormat: 'openai-chat',
    };
    assert.deepEqual(renderGeminiRequest(request), {
      contents: [
        { role: 'user', parts: [{ text: 'Weather in Oslo and Rome?' }] },
        {
          role: 'model',
          parts: [
            { text: 'plan', thought: true },
            { text: 'Checking.' },
            { functionCall: { name: 'weather', args: { city: 'Oslo' } } },
            { functionCall: { name: 'weather', args: { city: 'Rome' } } },
          ],
        },
        {
          role: 'user',
          parts: [
            { functionResponse: { name: 'weather', response: { temp: 3 } } },
            { functionResponse: { name: 'weather', response: { error: 'sunny' } } },
            { inlineData: { mimeType: 'image/jpeg', data: '/9j/' } },
            { text: 'And this?' },
          ],
        },
      ],
      systemInstruction: { parts: [{ text: 'Be helpful.' }, { text: 'Use tools.' }] },
      tools: [{ functionDeclarations: [{ name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }, { name: 'noop' }] }],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['weather'] } },
      generationConfig: {
        maxOutputTokens: 100,
        temperature: 0.5,
        stopSequences: ['x'],
        responseMimeType: 'application/json',
        responseSchema: { type: 'object', properties: { a: { type: 'string', nullable: true } } },
        thinkingConfig: { thinkingBudget: 24576, includeThoughts: true },
      },
    });
  });

  it('sends Gemini signatures only to Gemini and adds the documented skip value for Gemini 3', () => {
    const request: IRRequest = {
      model: 'gemini-3-pro-preview',
      system: [],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'hi' }] },
        {
          role: 'assistant',
          content: [
            { type: 'tool-call', id: 'toolu_1', name: 'a', arguments: '{}', signature: { value: 'openai-blob', origin: 'openai-responses' } },
            { type: 'tool-call', id: 'toolu_2', name: 'b', arguments: 'not json' },
          ],
        },
        { role: 'user', content: [{ type: 'tool-result', toolCallId: 'toolu_1', content: [{ type: 'text', text: 'one' }] }, { type: 'tool-result', toolCallId: 'toolu_2', name: 'b', content: [] }] },
      ],
      tools: [],
      reasoning: { effort: 'low' },
      stream: false,
      extra: {},
      sourceFormat: 'anthropic',
    };
    const body = renderGeminiRequest(request);
    assert.deepEqual(body['contents'], [
      { role: 'user', parts: [{ text: 'hi' }] },
      { role: 'model', parts: [{ functionCall: { name: 'a', args: {} }, thoughtSignature: SKIP_SIGNATURE_VALIDATION }, { functionCall: { name: 'b', args: {} } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'a', response: { result: 'one' } } }, { functionResponse: { name: 'b', response: { result: '' } } }] },
    ]);
    assert.deepEqual(body['generationConfig'], { thinkingConfig: { thinkingLevel: 'low' } });
  });

  it('refuses a tool result whose function name cannot be known', () => {
    const request: IRRequest = {
      model: 'gemini-2.5-flash',
      system: [],
      messages: [{ role: 'tool', content: [{ type: 'tool-result', toolCallId: 'orphan', content: [{ type: 'text', text: 'x' }] }] }],
      tools: [],
      stream: false,
      extra: {},
      sourceFormat: 'openai-chat',
    };
    assert.throws(() => renderGeminiRequest(request), (error: unknown) => error instanceof GatewayError && error.status === 400 && error.code === 'invalid_request');
  });
});

describe('Gemini media parts', () => {
  it('round-trips inlineData and fileData of images and other files', () => {
    const body = {
      contents: [
        {
          role: 'user',
          parts: [
            { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
            { fileData: { mimeType: 'image/png', fileUri: 'gs://bucket/cat.png' } },
            { fileData: { mimeType: 'video/mp4', fileUri: 'https://www.youtube.com/watch?v=x' } },
            { fileData: { fileUri: 'files/abc' } },
            { text: 'Describe all of these.' },
          ],
        },
      ],
    };
    const request = parseGeminiRequest(structuredClone(body), { model: 'gemini-2.5-flash' });
    assert.deepEqual(request.messages[0]?.content.slice(0, 4), [
      { type: 'file', source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBERi0=' } },
      { type: 'image', source: { kind: 'url', url: 'gs://bucket/cat.png' } },
      { type: 'file', source: { kind: 'url', url: 'https://www.youtube.com/watch?v=x', mediaType: 'video/mp4' } },
      { type: 'file', source: { kind: 'url', url: 'files/abc' } },
    ]);
    // An image URL loses its media type in the IR; it is guessed back from the extension.
    assert.deepEqual(renderGeminiRequest(request), body);
  });

  it('reads images inside a function response and renders them beside it', () => {
    const request = parseGeminiRequest(
      {
        contents: [
          { role: 'model', parts: [{ functionCall: { name: 'shot', args: {} } }] },
          { role: 'user', parts: [{ functionResponse: { name: 'shot', response: { result: 'ok' }, parts: [{ inlineData: { mimeType: 'image/png', data: 'AAAA' } }] } }] },
        ],
      },
      { model: 'gemini-3-pro-preview' },
    );
    assert.deepEqual(request.messages[1]?.content, [
      { type: 'tool-result', toolCallId: 'call_gemini_0', name: 'shot', content: [{ type: 'text', text: 'ok' }, { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AAAA' } }] },
    ]);
    const rendered = renderGeminiRequest({ ...request, sourceFormat: 'openai-chat' });
    assert.deepEqual((rendered['contents'] as unknown[])[1], {
      role: 'user',
      parts: [{ functionResponse: { name: 'shot', response: { result: 'ok' } } }, { inlineData: { mimeType: 'image/png', data: 'AAAA' } }],
    });
  });
});
