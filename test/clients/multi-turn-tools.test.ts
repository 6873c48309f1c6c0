/**
 * A two-turn tool-use conversation with thinking, driven through each official client (OpenAI
 * chat, Anthropic, Gemini, OpenAI Responses) to each kind of upstream (Claude, Gemini,
 * OpenAI-compatible), streaming as coding clients do. Turn 1: the model thinks (signed, for
 * Claude and Gemini) and calls a tool. Turn 2: the client sends the tool result back with
 * the history its SDK keeps. At each turn the test reads what the upstream received:
 * signatures go back byte-exact only to the vendor that made them, call ids map back (Gemini
 * by name), errors in tool results keep their flag. Where a client of another format could
 * carry a signature back (its SDK echoes a signature-shaped field), a separate test asks that
 * it does.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import type { Content, Part } from '@google/genai';
import OpenAI from 'openai';
import {
  CHAT_ONLY_MODEL, CLIENT_KEY, FACTS, MODELS, TEXT_OF, UPSTREAM_KINDS, WEATHER_SCHEMA, bodyOf, enqueueScenario, objectAt, objectsAt, startClientGateway,
} from '../helpers/client-gateway.ts';
import type { ClientGateway, JsonObject, UpstreamKind } from '../helpers/client-gateway.ts';
import { allStrings, history, toolNames } from '../helpers/upstream-views.ts';
import type { HistoryItem } from '../helpers/upstream-views.ts';

type ClientKind = 'openai-chat' | 'anthropic' | 'gemini' | 'openai-responses';

/** What turn 1 left the client holding, and how it sends turn 2. */
interface Conversation {
  /** The tool call as the client saw it. */
  call: { name: string; args: unknown };
  /** Sends the tool result (as an error when `isError`), streaming; resolves to the answer text. */
  reply(result: string, isError: boolean): Promise<string>;
  /** Whether this client format can mark a tool result as an error. */
  canFlagErrors: boolean;
}

const USER_TEXT = 'What is the weather in Paris?';
const TOOL_RESULT = 'No weather station answers for Paris';

async function openaiChatTurn(gateway: ClientGateway, model: string): Promise<Conversation> {
  const client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0, timeout: 10_000 });
  const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', description: 'Current weather for a city', parameters: WEATHER_SCHEMA } }];
  const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'system', content: 'You are a weather bot.' }, { role: 'user', content: USER_TEXT }];
  const final = await client.chat.completions.stream({ model, messages, tools, reasoning_effort: 'medium', stream_options: { include_usage: true } }).finalChatCompletion();
  const message = final.choices[0]?.message;
  const call = message?.tool_calls?.[0];
  assert.ok(message !== undefined && call !== undefined && call.type === 'function', 'a tool call');
  return {
    call: { name: call.function.name, args: JSON.parse(call.function.arguments) as unknown },
    canFlagErrors: false,
    async reply(result) {
      // The SDK's message goes back as it came (opencode and most apps do this).
      const assistant = { ...message } as unknown as OpenAI.ChatCompletionAssistantMessageParam;
      const stream = await client.chat.completions.create({
        model, tools, stream: true, reasoning_effort: 'medium',
        messages: [...messages, assistant, { role: 'tool', tool_call_id: call.id, content: result }],
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      return text;
    },
  };
}

async function anthropicTurn(gateway: ClientGateway, model: string): Promise<Conversation> {
  const client = new Anthropic({ apiKey: CLIENT_KEY, baseURL: gateway.url, maxRetries: 0, timeout: 10_000 });
  const tools: Anthropic.Tool[] = [{ name: 'get_weather', description: 'Current weather for a city', input_schema: WEATHER_SCHEMA as unknown as Anthropic.Tool.InputSchema }];
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: USER_TEXT }];
  const base = { model, max_tokens: 8192, system: 'You are a weather bot.', thinking: { type: 'enabled', budget_tokens: 4096 }, tools } as const;
  const first = await client.messages.stream({ ...base, messages }).finalMessage();
  const toolUse = first.content.find((block) => block.type === 'tool_use');
  assert.ok(toolUse !== undefined && toolUse.type === 'tool_use', 'a tool_use block');
  return {
    call: { name: toolUse.name, args: toolUse.input },
    canFlagErrors: true,
    async reply(result, isError) {
      const second = await client.messages.stream({
        ...base,
        messages: [
          ...messages,
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: result, is_error: isError }] },
        ],
      }).finalMessage();
      return second.content.filter((block) => block.type === 'text').map((block) => block.text).join('');
    },
  };
}

async function geminiTurn(gateway: ClientGateway, model: string): Promise<Conversation> {
  const ai = new GoogleGenAI({ apiKey: CLIENT_KEY, httpOptions: { baseUrl: gateway.url, timeout: 10_000, retryOptions: { attempts: 1 } } });
  const config = {
    systemInstruction: 'You are a weather bot.',
    tools: [{ functionDeclarations: [{ name: 'get_weather', description: 'Current weather for a city', parametersJsonSchema: WEATHER_SCHEMA }] }],
    thinkingConfig: { includeThoughts: true, thinkingBudget: 4096 },
  };
  const userTurn: Content = { role: 'user', parts: [{ text: USER_TEXT }] };
  const parts: Part[] = [];
  for await (const chunk of await ai.models.generateContentStream({ model, contents: [userTurn], config })) parts.push(...(chunk.candidates?.[0]?.content?.parts ?? []));
  const call = parts.find((part) => part.functionCall !== undefined)?.functionCall;
  assert.ok(call !== undefined, 'a function call');
  return {
    call: { name: call.name ?? '', args: call.args },
    canFlagErrors: true,
    async reply(result, isError) {
      const contents: Content[] = [
        userTurn,
        { role: 'model', parts },
        { role: 'user', parts: [{ functionResponse: { name: call.name ?? '', ...(call.id === undefined ? {} : { id: call.id }), response: isError ? { error: result } : { output: result } } }] },
      ];
      let text = '';
      for await (const chunk of await ai.models.generateContentStream({ model, contents, config })) text += chunk.text ?? '';
      return text;
    },
  };
}

async function openaiResponsesTurn(gateway: ClientGateway, model: string): Promise<Conversation> {
  const client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0, timeout: 10_000 });
  const tools: OpenAI.Responses.Tool[] = [{ type: 'function', name: 'get_weather', description: 'Current weather for a city', parameters: WEATHER_SCHEMA, strict: false }];
  const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'developer', content: 'You are a weather bot.' }, { role: 'user', content: USER_TEXT }];
  const base = {
    model, tools, store: false,
    reasoning: { effort: 'medium', summary: 'auto' } satisfies OpenAI.Reasoning,
    include: ['reasoning.encrypted_content'] satisfies OpenAI.Responses.ResponseIncludable[],
  };
  const first = await client.responses.stream({ ...base, input }).finalResponse();
  const call = first.output.find((item) => item.type === 'function_call');
  assert.ok(call !== undefined && call.type === 'function_call', 'a function_call item');
  return {
    call: { name: call.name, args: JSON.parse(call.arguments) as unknown },
    canFlagErrors: false,
    async reply(result) {
      // Codex keeps the output items (reasoning with encrypted_content included) and sends them back.
      const history = first.output.map((item) => ({ ...item })) as OpenAI.Responses.ResponseInputItem[];
      const second = await client.responses.stream({ ...base, input: [...input, ...history, { type: 'function_call_output', call_id: call.call_id, output: result }] }).finalResponse();
      return second.output_text;
    },
  };
}

const CLIENTS: Record<ClientKind, (gateway: ClientGateway, model: string) => Promise<Conversation>> = {
  'openai-chat': openaiChatTurn,
  anthropic: anthropicTurn,
  gemini: geminiTurn,
  'openai-responses': openaiResponsesTurn,
};

/**
 * Client formats with a field their SDKs echo back byte for byte and that can hold an opaque
 * signature: Anthropic's thinking `signature`, Gemini's `thoughtSignature`, the Responses
 * reasoning item's `encrypted_content` (asked for with `include`). OpenAI chat has none.
 */
const CARRIES_SIGNATURES: ReadonlySet<ClientKind> = new Set(['anthropic', 'gemini', 'openai-responses']);

function only<T extends HistoryItem['kind']>(items: HistoryItem[], kind: T): Array<Extract<HistoryItem, { kind: T }>> {
  return items.filter((item): item is Extract<HistoryItem, { kind: T }> => item.kind === kind);
}

function assertTurn1(upstream: UpstreamKind, body: JsonObject): void {
  assert.deepEqual(toolNames(upstream, body), ['get_weather'], 'turn 1 offers the tool');
  assert.ok(history(upstream, body).some((item) => item.kind === 'text' && item.text === USER_TEXT), 'turn 1 carries the question');
  if (upstream === 'claude') assert.equal(objectAt(body.thinking, 'thinking').type, 'enabled', 'Claude is asked to think');
  if (upstream === 'gemini') {
    const generation = objectAt(body.generationConfig, 'generationConfig');
    assert.ok(generation.thinkingConfig !== undefined, 'Gemini is given a thinking config');
  }
}

function assertTurn2(client: ClientKind, upstream: UpstreamKind, body: JsonObject, isError: boolean): void {
  const items = history(upstream, body);
  const calls = only(items, 'tool-call');
  const results = only(items, 'tool-result');
  assert.equal(calls.length, 1, 'the tool call is in the history');
  assert.equal(results.length, 1, 'the tool result is sent');
  const [call] = calls;
  const [result] = results;
  assert.ok(call !== undefined && result !== undefined);
  assert.equal(call.name, 'get_weather');
  assert.deepEqual(call.args, FACTS.weatherArgs);
  assert.match(result.content, /No weather station answers for Paris/);
  assert.ok(items.some((item) => item.kind === 'text' && item.text === USER_TEXT), 'turn 2 keeps the question');
  const strings = allStrings(body);

  if (upstream === 'claude') {
    assert.equal(result.id, call.id, 'tool_result answers the tool_use by id');
    assert.equal(call.id, FACTS.claudeToolId, 'Claude gets its own tool_use id back');
    const thinking = only(items, 'thinking');
    for (const block of thinking) assert.equal(block.signature, FACTS.claudeSignature, 'no unsigned or foreign-signed thinking goes to Claude');
    if (client === 'anthropic') {
      assert.equal(thinking.length, 1, 'the signed thinking block goes back to Claude');
      assert.equal(thinking[0]?.text, FACTS.claudeThinking);
    }
    if (body.thinking !== undefined) {
      const assistant = objectsAt(body.messages, 'messages').filter((message) => message.role === 'assistant').at(-1);
      assert.equal(objectsAt(assistant?.content, 'assistant content')[0]?.type, 'thinking', 'with thinking on, the tool-use turn opens with its signed thinking block');
    }
    if (isError) assert.equal(result.isError, true, 'is_error reaches Claude');
    else assert.notEqual(result.isError, true);
  } else {
    assert.ok(!strings.includes(FACTS.claudeSignature), 'a Claude signature goes to Claude only');
  }

  if (upstream === 'gemini') {
    assert.equal(result.name, 'get_weather', 'the functionResponse names the function');
    const response = objectsAt(body.contents, 'contents')
      .flatMap((content) => objectsAt(content.parts, 'parts'))
      .map((part) => part.functionResponse)
      .filter((value) => value !== undefined)[0];
    const payload = objectAt(objectAt(response, 'functionResponse').response, 'functionResponse.response');
    if (isError) assert.ok('error' in payload, 'an error result is sent as {error}');
    else assert.ok(!('error' in payload));
    if (client === 'gemini') assert.equal(call.signature, FACTS.geminiSignature, 'the thoughtSignature goes back to Gemini byte-exact with its function call');
  } else {
    assert.ok(!strings.includes(FACTS.geminiSignature), 'a Gemini thought signature goes to Gemini only');
  }

  if (upstream === 'openai') {
    assert.equal(result.id, call.id, 'the tool message answers the call by id');
    // DeepSeek's reasoner wants its reasoning_content back within a tool-use loop. (An OpenAI
    // chat client is on the fast path and sends what its SDK kept: the openai SDK's stream
    // helper keeps only the last reasoning_content delta, which is not the gateway's doing.)
    if (client !== 'openai-chat') {
      const thinking = only(items, 'thinking');
      assert.deepEqual(thinking.map((item) => item.text), [FACTS.openaiReasoning], 'the reasoning goes back as reasoning_content');
    }
    for (const word of ['signature', 'thoughtSignature', 'thinking', 'redacted_thinking']) assert.ok(!strings.includes(word), `no ${word} field goes to an OpenAI-compatible upstream`);
  }
}

/** Runs both turns; returns the two request bodies the upstream received. */
async function converse(gateway: ClientGateway, client: ClientKind, upstream: UpstreamKind): Promise<{ turn1: JsonObject; turn2: JsonObject; isError: boolean }> {
  const fake = gateway.upstream(upstream);
  await enqueueScenario(gateway, upstream, 'tool', true);
  await enqueueScenario(gateway, upstream, 'text', true);
  // The OpenAI-compatible upstream is DeepSeek here: it has no Responses API, so every
  // client but OpenAI chat goes through translation.
  const model = upstream === 'openai' ? CHAT_ONLY_MODEL : MODELS[upstream];
  const conversation = await CLIENTS[client](gateway, model);
  assert.equal(conversation.call.name, 'get_weather');
  assert.deepEqual(conversation.call.args, FACTS.weatherArgs);
  assert.equal(fake.requests.length, 1);
  const isError = conversation.canFlagErrors;
  const answer = await conversation.reply(TOOL_RESULT, isError);
  assert.equal(answer, TEXT_OF[upstream]);
  assert.equal(fake.requests.length, 2);
  return { turn1: bodyOf(fake.requests[0]), turn2: bodyOf(fake.requests[1]), isError };
}

for (const client of Object.keys(CLIENTS) as ClientKind[]) {
  describe(`multi-turn tool use with thinking: ${client} client`, () => {
    for (const upstream of UPSTREAM_KINDS) {
      it(`→ ${upstream} upstream: what the upstream receives at each turn`, async (t) => {
        const gateway = await startClientGateway(t);
        const { turn1, turn2, isError } = await converse(gateway, client, upstream);
        assertTurn1(upstream, turn1);
        assertTurn2(client, upstream, turn2, isError);
      });

      // Through a client of another format a signature does not travel: the gateway does not
      // hand a vendor's signature to a client of another vendor's format (README,
      // "Translation"), so the next turn reaches the vendor without it — never with a
      // mangled one, which it would refuse.
      const foreign = (upstream === 'claude' && client !== 'anthropic') || (upstream === 'gemini' && client !== 'gemini');
      if (foreign && CARRIES_SIGNATURES.has(client)) {
        const what = upstream === 'claude' ? 'Claude thinking signature' : 'Gemini thoughtSignature';
        it(`→ ${upstream} upstream: the ${what} does not cross the ${client} client, and nothing mangled goes back`, async (t) => {
          const gateway = await startClientGateway(t);
          const { turn2 } = await converse(gateway, client, upstream);
          const items = history(upstream, turn2);
          if (upstream === 'claude') {
            const signed = only(items, 'thinking').filter((item) => item.signature !== undefined && item.signature !== '');
            assert.deepEqual(signed.map((item) => item.signature), [], 'no thinking block with a signature Claude did not make for this history');
          } else {
            const signatures = only(items, 'tool-call').map((item) => item.signature);
            assert.ok(!signatures.includes(FACTS.claudeSignature), 'no foreign signature reaches Gemini');
            assert.ok(signatures.every((signature) => signature === undefined || signature === FACTS.geminiSignature || signature === 'skip_thought_signature_validator'));
          }
        });
      }
    }
  });
}

describe('multi-turn tool use → a Gemini 3 upstream, from a client that cannot carry the signature', () => {
  it('OpenAI chat: turn 2 marks the function call with Gemini\'s documented skip-validator signature', async (t) => {
    const gateway = await startClientGateway(t);
    await enqueueScenario(gateway, 'gemini', 'tool', true);
    await enqueueScenario(gateway, 'gemini', 'text', true);
    // Gemini 3 answers 400 to a function call in history without a thought signature.
    const conversation = await CLIENTS['openai-chat'](gateway, 'gemini-3-pro-preview');
    assert.equal(await conversation.reply(TOOL_RESULT, false), TEXT_OF.gemini);
    const turn2 = bodyOf(gateway.gemini.requests[1]);
    const call = only(history('gemini', turn2), 'tool-call')[0];
    assert.equal(call?.signature, 'skip_thought_signature_validator');
    assert.equal(gateway.gemini.requests[1]?.path, '/v1beta/models/gemini-3-pro-preview:streamGenerateContent');
  });
});
