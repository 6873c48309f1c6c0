/**
 * `@google/genai` as a real client of the gateway's Gemini API (`/v1beta/models…`), served
 * by a Gemini upstream (the fast path), a Claude one and an OpenAI-compatible one
 * (translation): generateContent, generateContentStream, function calling with the
 * functionResponse round trip (ids made up and mapped back by name), countTokens,
 * models.list — and a request shaped like Gemini CLI's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { GoogleGenAI } from '@google/genai';
import type { Content, GenerateContentResponse } from '@google/genai';
import {
  CLIENT_KEY, FACTS, GEMINI_ROUTE, MODELS, TEXT_OF, UPSTREAM_KEYS, UPSTREAM_KINDS, WEATHER_SCHEMA,
  anthropicFixture, enqueueScenario, geminiFixture, lastBody, objectAt, objectsAt, startClientGateway,
} from '../helpers/client-gateway.ts';
import type { ClientGateway, JsonObject } from '../helpers/client-gateway.ts';
import { allStrings, history, systemTexts, toolNames, upstreamModel } from '../helpers/upstream-views.ts';

function genaiClient(gateway: ClientGateway): GoogleGenAI {
  return new GoogleGenAI({
    apiKey: CLIENT_KEY,
    httpOptions: { baseUrl: gateway.url, timeout: 10_000, retryOptions: { attempts: 1 } },
  });
}

async function setup(t: TestContext): Promise<{ gateway: ClientGateway; ai: GoogleGenAI }> {
  const gateway = await startClientGateway(t);
  return { gateway, ai: genaiClient(gateway) };
}

const WEATHER_DECLARATION = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parametersJsonSchema: WEATHER_SCHEMA,
};

async function collect(stream: AsyncGenerator<GenerateContentResponse>): Promise<GenerateContentResponse[]> {
  const chunks: GenerateContentResponse[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

for (const kind of UPSTREAM_KINDS) {
  const model = MODELS[kind];
  describe(`@google/genai → /v1beta served by ${kind}`, () => {
    it('generateContent: text, system instruction delivered upstream', async (t) => {
      const { gateway, ai } = await setup(t);
      await enqueueScenario(gateway, kind, 'text', false);
      const response = await ai.models.generateContent({
        model,
        contents: 'Say hello',
        config: { systemInstruction: 'You are terse.', temperature: 0.3, maxOutputTokens: 200 },
      });
      assert.equal(response.text, TEXT_OF[kind]);
      assert.equal(response.candidates?.[0]?.finishReason, 'STOP');
      assert.ok((response.usageMetadata?.promptTokenCount ?? 0) > 0, 'prompt tokens reported');
      assert.ok((response.usageMetadata?.candidatesTokenCount ?? 0) > 0, 'candidate tokens reported');

      const upstream = gateway.upstream(kind);
      const request = upstream.requests[0];
      assert.ok(request !== undefined);
      assert.equal(upstreamModel(kind, request), model);
      const body = lastBody(upstream);
      assert.deepEqual(systemTexts(kind, body), ['You are terse.']);
      assert.deepEqual(history(kind, body), [{ role: 'user', kind: 'text', text: 'Say hello' }]);
      if (kind === 'gemini') {
        assert.equal(request.headers['x-goog-api-key'], UPSTREAM_KEYS.gemini);
        assert.match(request.path, /:generateContent$/);
      }
      if (kind === 'claude') {
        assert.equal(body.max_tokens, 200);
        assert.equal(body.temperature, 0.3);
      }
      if (kind === 'openai') {
        assert.ok(body.max_tokens === 200 || body.max_completion_tokens === 200);
        assert.equal(body.temperature, 0.3);
      }
      assert.ok(!JSON.stringify(request.headers).includes(CLIENT_KEY), 'the client key is not forwarded');
    });

    it('generateContentStream: the chunks add up to the text (SSE)', async (t) => {
      const { gateway, ai } = await setup(t);
      await enqueueScenario(gateway, kind, 'text', true);
      const chunks = await collect(await ai.models.generateContentStream({ model, contents: 'Say hello' }));
      assert.ok(chunks.length > 1, 'several chunks');
      assert.equal(chunks.map((chunk) => chunk.text ?? '').join(''), TEXT_OF[kind]);
      assert.equal(chunks.at(-1)?.candidates?.[0]?.finishReason, 'STOP');
      assert.ok(chunks.some((chunk) => (chunk.usageMetadata?.candidatesTokenCount ?? 0) > 0), 'usage in the stream');
      const request = gateway.upstream(kind).requests[0];
      assert.ok(request !== undefined);
      if (kind === 'gemini') assert.match(request.url, /:streamGenerateContent\?alt=sse$/);
      else assert.equal(lastBody(gateway.upstream(kind)).stream, true);
    });

    for (const streaming of [false, true]) {
      it(`function calling with thoughts (${streaming ? 'streaming' : 'not streaming'}): call, then functionResponse mapped back by name`, async (t) => {
        const { gateway, ai } = await setup(t);
        await enqueueScenario(gateway, kind, 'tool', streaming);
        const config = {
          tools: [{ functionDeclarations: [WEATHER_DECLARATION] }],
          thinkingConfig: { includeThoughts: true, thinkingBudget: 2048 },
        };
        const userTurn: Content = { role: 'user', parts: [{ text: 'What is the weather in Paris?' }] };
        let modelContent: Content;
        if (streaming) {
          const chunks = await collect(await ai.models.generateContentStream({ model, contents: [userTurn], config }));
          const parts = chunks.flatMap((chunk) => chunk.candidates?.[0]?.content?.parts ?? []);
          modelContent = { role: 'model', parts };
        } else {
          const response = await ai.models.generateContent({ model, contents: [userTurn], config });
          assert.equal(response.functionCalls?.length, 1);
          modelContent = response.candidates?.[0]?.content ?? { role: 'model', parts: [] };
        }
        const parts = modelContent.parts ?? [];
        const calls = parts.filter((part) => part.functionCall !== undefined);
        assert.equal(calls.length, 1, 'one function call');
        const call = calls[0]?.functionCall;
        assert.equal(call?.name, 'get_weather');
        assert.deepEqual(call?.args, FACTS.weatherArgs);
        const thoughts = parts.filter((part) => part.thought === true).map((part) => part.text).join('');
        const expectedThought = kind === 'claude' ? FACTS.claudeThinking : kind === 'gemini' ? FACTS.geminiThought : FACTS.openaiReasoning;
        assert.equal(thoughts, expectedThought);
        if (kind === 'gemini') assert.equal(calls[0]?.thoughtSignature, FACTS.geminiSignature);
        else assert.ok(!allStrings(parts).includes(FACTS.claudeSignature), 'a Claude signature is not handed to a Gemini client as a thought signature');

        const turn1 = lastBody(gateway.upstream(kind));
        assert.deepEqual(toolNames(kind, turn1), ['get_weather']);
        if (kind === 'claude') assert.deepEqual(turn1.thinking, { type: 'enabled', budget_tokens: 2048 });

        // Turn 2: the SDK's model content back, and a functionResponse named, not id'd.
        await enqueueScenario(gateway, kind, 'text', streaming);
        const contents: Content[] = [
          userTurn,
          modelContent,
          { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temperature: 18, sky: 'sunny' } } }] },
        ];
        const answer = streaming
          ? (await collect(await ai.models.generateContentStream({ model, contents, config }))).map((chunk) => chunk.text ?? '').join('')
          : (await ai.models.generateContent({ model, contents, config })).text;
        assert.equal(answer, TEXT_OF[kind]);

        const turn2 = lastBody(gateway.upstream(kind));
        const items = history(kind, turn2);
        const sentCall = items.find((item) => item.kind === 'tool-call');
        const sentResult = items.find((item) => item.kind === 'tool-result');
        assert.ok(sentCall !== undefined && sentCall.kind === 'tool-call');
        assert.ok(sentResult !== undefined && sentResult.kind === 'tool-result');
        assert.equal(sentCall.name, 'get_weather');
        assert.deepEqual(sentCall.args, FACTS.weatherArgs);
        assert.match(sentResult.content, /18/);
        assert.match(sentResult.content, /sunny/);
        if (kind === 'gemini') {
          assert.equal(sentResult.name, 'get_weather');
          assert.equal(sentCall.signature, FACTS.geminiSignature, 'the thought signature went back byte-exact');
        } else {
          assert.ok(sentCall.id !== undefined && sentCall.id !== '', 'the call has an id upstream');
          assert.equal(sentResult.id, sentCall.id, 'the functionResponse was mapped back to the call id by name');
          assert.ok(!allStrings(turn2).includes(FACTS.geminiSignature));
        }
        if (kind === 'claude') {
          assert.equal(sentCall.id, FACTS.claudeToolId, 'Claude gets its own tool_use id back');
          const thinking = items.filter((item) => item.kind === 'thinking');
          // Thinking without its Anthropic signature must not be sent; with thinking on,
          // Claude wants the tool-using turn to open with a signed thinking block.
          for (const item of thinking) assert.ok(item.kind === 'thinking' && item.signature === FACTS.claudeSignature, 'only signed thinking goes to Claude');
          if (turn2.thinking !== undefined) {
            const assistant = objectsAt(turn2.messages, 'messages').filter((message) => message.role === 'assistant').at(-1);
            const first = objectsAt(assistant?.content, 'assistant content')[0];
            assert.equal(first?.type, 'thinking', 'with thinking enabled, the tool-use turn opens with a thinking block');
          }
        }
      });
    }

    it('countTokens: exact where the upstream counts, an estimate otherwise', async (t) => {
      const { gateway, ai } = await setup(t);
      if (kind === 'claude') gateway.claude.enqueue('POST /v1/messages/count_tokens', await anthropicFixture('count-tokens.json'));
      if (kind === 'gemini') gateway.gemini.enqueue(GEMINI_ROUTE, await geminiFixture('count-tokens.json'));
      const result = await ai.models.countTokens({ model, contents: 'What is the weather in Paris?' });
      if (kind === 'openai') {
        assert.ok((result.totalTokens ?? 0) > 0 && (result.totalTokens ?? 0) < 100, `a plausible estimate, got ${result.totalTokens}`);
        assert.equal(gateway.openai.requests.length, 0);
        return;
      }
      assert.equal(result.totalTokens, 1234);
      const request = gateway.upstream(kind).requests[0];
      assert.ok(request !== undefined);
      if (kind === 'claude') {
        assert.equal(request.path, '/v1/messages/count_tokens');
        const body = lastBody(gateway.claude);
        assert.equal(body.model, model);
        assert.equal(body.max_tokens, undefined, 'count_tokens takes no max_tokens');
        assert.deepEqual(history('claude', body), [{ role: 'user', kind: 'text', text: 'What is the weather in Paris?' }]);
      } else {
        assert.equal(request.path, `/v1beta/models/${model}:countTokens`);
      }
    });

    it('models.list: the gateway lists the served models in Gemini\'s shape', async (t) => {
      const { ai } = await setup(t);
      const names: string[] = [];
      const pager = await ai.models.list();
      for await (const entry of pager) names.push(entry.name ?? '');
      assert.ok(names.includes(`models/${model}`), `models/${model} is listed (got ${names.length} names)`);
      const one = await ai.models.get({ model });
      assert.equal(one.name, `models/${model}`);
    });
  });
}

describe('@google/genai: two parallel calls of one tool from a Claude upstream', () => {
  it('the two functionResponses (by name, in order) answer the two tool_use ids in order', async (t) => {
    const { gateway, ai } = await setup(t);
    gateway.claude.enqueue('POST /v1/messages', await anthropicFixture('parallel-tool-use.json'));
    const config = { tools: [{ functionDeclarations: [WEATHER_DECLARATION] }] };
    const userTurn: Content = { role: 'user', parts: [{ text: 'Weather in Paris and London?' }] };
    const first = await ai.models.generateContent({ model: MODELS.claude, contents: [userTurn], config });
    assert.deepEqual(first.functionCalls?.map((call) => call.args), [{ location: 'Paris' }, { location: 'London' }]);
    await enqueueScenario(gateway, 'claude', 'text', false);
    await ai.models.generateContent({
      model: MODELS.claude,
      config,
      contents: [
        userTurn,
        first.candidates?.[0]?.content ?? { role: 'model', parts: [] },
        { role: 'user', parts: [
          { functionResponse: { name: 'get_weather', response: { output: 'Paris: 18°C' } } },
          { functionResponse: { name: 'get_weather', response: { output: 'London: 12°C' } } },
        ] },
      ],
    });
    const items = history('claude', lastBody(gateway.claude));
    const calls = items.filter((item) => item.kind === 'tool-call');
    const results = items.filter((item) => item.kind === 'tool-result');
    assert.deepEqual(calls.map((call) => call.kind === 'tool-call' ? call.id : ''), ['toolu_01FixtureParis00000001', 'toolu_01FixtureLondon0000002']);
    assert.deepEqual(results.map((result) => result.kind === 'tool-result' ? [result.id, /Paris|London/.exec(result.content)?.[0]] : []), [
      ['toolu_01FixtureParis00000001', 'Paris'],
      ['toolu_01FixtureLondon0000002', 'London'],
    ]);
  });
});

describe('Gemini streamGenerateContent without alt=sse (a streamed JSON array)', () => {
  for (const kind of ['claude', 'openai'] as const) {
    it(`served by ${kind}: one JSON array whose chunks add up to the text`, async (t) => {
      const gateway = await startClientGateway(t);
      await enqueueScenario(gateway, kind, 'text', true);
      const response = await fetch(`${gateway.url}/v1beta/models/${MODELS[kind]}:streamGenerateContent?key=${CLIENT_KEY}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Say hello' }] }] }),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      assert.equal(response.status, 200, text.slice(0, 300));
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      const chunks = objectsAt(JSON.parse(text), 'the streamed array');
      const streamed = chunks.flatMap((chunk) => objectsAt(chunk.candidates ?? [], 'candidates'))
        .flatMap((candidate) => objectsAt(objectAt(candidate.content ?? { parts: [] }, 'content').parts ?? [], 'parts'))
        .map((part) => String(part.text ?? '')).join('');
      assert.equal(streamed, TEXT_OF[kind]);
    });
  }
});

// ---------- Gemini CLI ----------

/** A ~23k-character system instruction, like Gemini CLI's. */
const GEMINI_CLI_SYSTEM = Array.from({ length: 280 }, (_, index) => `Rule ${String(index).padStart(3, '0')}: be careful and precise with the user's files and commands, and explain.`).join('\n');

const GEMINI_CLI_TOOLS = ['list_directory', 'read_file', 'search_file_content', 'glob', 'replace', 'write_file', 'web_fetch', 'read_many_files', 'run_shell_command', 'save_memory', 'google_web_search'];

function geminiCliBody(): JsonObject {
  return {
    contents: [
      { role: 'user', parts: [{ text: 'This is the Gemini CLI. We are setting up the context for our chat.\nToday\'s date is Tuesday.' }] },
      { role: 'model', parts: [{ text: 'Got it. Thanks for the context!' }] },
      { role: 'user', parts: [{ text: 'List the files here.' }] },
    ],
    systemInstruction: { role: 'user', parts: [{ text: GEMINI_CLI_SYSTEM }] },
    tools: [{
      functionDeclarations: GEMINI_CLI_TOOLS.map((name) => ({
        name,
        description: `The ${name} tool.`,
        parametersJsonSchema: {
          type: 'object',
          properties: { path: { type: 'string', description: 'An absolute path' }, limit: { type: 'number', minimum: 1 } },
          required: ['path'],
        },
      })),
    }],
    generationConfig: { temperature: 0, topP: 1, thinkingConfig: { includeThoughts: true, thinkingBudget: -1 } },
  };
}

for (const kind of UPSTREAM_KINDS) {
  describe(`Gemini-CLI-shaped request → ${kind} upstream`, () => {
    it('streams SSE back (no 400), and the upstream gets the whole system prompt and every tool', async (t) => {
      const gateway = await startClientGateway(t);
      await enqueueScenario(gateway, kind, 'text', true);
      const sent = JSON.stringify(geminiCliBody());
      assert.ok(GEMINI_CLI_SYSTEM.length > 22_000 && GEMINI_CLI_SYSTEM.length < 24_000);
      const response = await fetch(`${gateway.url}/v1beta/models/${MODELS[kind]}:streamGenerateContent?alt=sse`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': CLIENT_KEY, 'user-agent': 'GeminiCLI/0.18.0 (linux; x64)', 'x-goog-api-client': 'google-genai-sdk/1.30.0 gl-node/v24.0.0' },
        body: sent,
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      assert.equal(response.status, 200, text.slice(0, 500));
      assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
      const chunks = text.split(/\r?\n\r?\n/).filter((block) => block.startsWith('data: ')).map((block) => JSON.parse(block.slice(6)) as JsonObject);
      const streamed = chunks.flatMap((chunk) => objectsAt(chunk.candidates ?? [], 'candidates'))
        .flatMap((candidate) => objectsAt(objectAt(candidate.content ?? { parts: [] }, 'content').parts ?? [], 'parts'))
        .map((part) => (part.thought === true ? '' : String(part.text ?? ''))).join('');
      assert.equal(streamed, TEXT_OF[kind]);

      const upstream = gateway.upstream(kind);
      const request = upstream.requests[0];
      assert.ok(request !== undefined);
      if (kind === 'gemini') {
        assert.equal(request.rawBody.toString('utf8'), sent, 'the fast path forwards the body untouched');
        assert.equal(request.url, `/v1beta/models/${MODELS.gemini}:streamGenerateContent?alt=sse`);
        assert.equal(request.headers['x-goog-api-key'], UPSTREAM_KEYS.gemini);
        return;
      }
      const body = lastBody(upstream);
      assert.equal(systemTexts(kind, body).join(''), GEMINI_CLI_SYSTEM, 'the whole system instruction arrives');
      assert.deepEqual(toolNames(kind, body), GEMINI_CLI_TOOLS);
      assert.deepEqual(history(kind, body).map((item) => item.kind === 'text' ? `${item.role}: ${item.text}` : item.kind), [
        'user: This is the Gemini CLI. We are setting up the context for our chat.\nToday\'s date is Tuesday.',
        'assistant: Got it. Thanks for the context!',
        'user: List the files here.',
      ]);
      assert.equal(body.stream, true);
      const leaked = ['thinkingConfig', 'includeThoughts', 'parametersJsonSchema', 'functionDeclarations', 'systemInstruction'].filter((word) => allStrings(body).includes(word));
      assert.deepEqual(leaked, [], 'no Gemini-only field reaches the upstream');
      if (kind === 'claude') {
        // Anthropic refuses a temperature other than 1 alongside extended thinking.
        if (body.thinking !== undefined) assert.ok(body.temperature === undefined || body.temperature === 1, `temperature ${String(body.temperature)} with thinking`);
        assert.ok(body.thinking !== undefined, 'includeThoughts asks Claude to think');
        assert.ok(typeof body.max_tokens === 'number' && body.max_tokens > 0, 'Claude gets the max_tokens it requires');
      }
    });
  });
}

