/**
 * Upstream streams cut into 3-byte writes (through SSE framing, `\r\n` pairs and multi-byte
 * characters) read by every official client through translation: the text, the thinking and
 * the tool call must come out exactly as from the same stream written event by event.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import type { Part } from '@google/genai';
import OpenAI from 'openai';
import { CHAT_ONLY_MODEL, CLIENT_KEY, MODELS, UPSTREAM_KINDS, WEATHER_SCHEMA, enqueueScenario, startClientGateway } from '../helpers/client-gateway.ts';
import type { ClientGateway } from '../helpers/client-gateway.ts';

type ClientKind = 'openai-chat' | 'openai-responses' | 'anthropic' | 'gemini';

/** What a client made of a streamed answer: text, thinking, and the tool calls. */
interface Reading {
  text: string;
  thinking: string;
  calls: Array<{ name: string; args: unknown }>;
}

async function read(gateway: ClientGateway, client: ClientKind, model: string): Promise<Reading> {
  const prompt = 'What is the weather in Paris?';
  if (client === 'openai-chat') {
    const sdk = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0, timeout: 10_000 });
    const stream = await sdk.chat.completions.create({
      model, stream: true, reasoning_effort: 'medium', messages: [{ role: 'user', content: prompt }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: WEATHER_SCHEMA } }],
    });
    const reading: Reading = { text: '', thinking: '', calls: [] };
    const args: string[] = [];
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as (OpenAI.ChatCompletionChunk.Choice.Delta & { reasoning_content?: string }) | undefined;
      reading.text += delta?.content ?? '';
      reading.thinking += delta?.reasoning_content ?? '';
      for (const call of delta?.tool_calls ?? []) {
        if (call.function?.name !== undefined) reading.calls[call.index] = { name: call.function.name, args: undefined };
        args[call.index] = (args[call.index] ?? '') + (call.function?.arguments ?? '');
      }
    }
    reading.calls.forEach((call, index) => { call.args = JSON.parse(args[index] ?? '{}'); });
    return reading;
  }
  if (client === 'openai-responses') {
    const sdk = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0, timeout: 10_000 });
    const final = await sdk.responses.stream({
      model, input: prompt, reasoning: { effort: 'medium', summary: 'auto' },
      tools: [{ type: 'function', name: 'get_weather', parameters: WEATHER_SCHEMA, strict: false }],
    }).finalResponse();
    return {
      text: final.output_text,
      thinking: final.output.flatMap((item) => (item.type === 'reasoning' ? [...item.summary.map((part) => part.text), ...(item.content ?? []).map((part) => part.text)] : [])).join(''),
      calls: final.output.flatMap((item) => (item.type === 'function_call' ? [{ name: item.name, args: JSON.parse(item.arguments) as unknown }] : [])),
    };
  }
  if (client === 'anthropic') {
    const sdk = new Anthropic({ apiKey: CLIENT_KEY, baseURL: gateway.url, maxRetries: 0, timeout: 10_000 });
    const message = await sdk.messages.stream({
      model, max_tokens: 8192, thinking: { type: 'enabled', budget_tokens: 4096 }, messages: [{ role: 'user', content: prompt }],
      tools: [{ name: 'get_weather', input_schema: WEATHER_SCHEMA }],
    }).finalMessage();
    return {
      text: message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join(''),
      thinking: message.content.flatMap((block) => (block.type === 'thinking' ? [block.thinking] : [])).join(''),
      calls: message.content.flatMap((block) => (block.type === 'tool_use' ? [{ name: block.name, args: block.input }] : [])),
    };
  }
  const sdk = new GoogleGenAI({ apiKey: CLIENT_KEY, httpOptions: { baseUrl: gateway.url, timeout: 10_000, retryOptions: { attempts: 1 } } });
  const parts: Part[] = [];
  const stream = await sdk.models.generateContentStream({
    model, contents: prompt,
    config: { thinkingConfig: { includeThoughts: true }, tools: [{ functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: WEATHER_SCHEMA }] }] },
  });
  for await (const chunk of stream) parts.push(...(chunk.candidates?.[0]?.content?.parts ?? []));
  return {
    text: parts.filter((part) => part.thought !== true).map((part) => part.text ?? '').join(''),
    thinking: parts.filter((part) => part.thought === true).map((part) => part.text ?? '').join(''),
    calls: parts.flatMap((part) => (part.functionCall === undefined ? [] : [{ name: part.functionCall.name ?? '', args: part.functionCall.args }])),
  };
}

const CLIENTS: readonly ClientKind[] = ['openai-chat', 'openai-responses', 'anthropic', 'gemini'];

for (const client of CLIENTS) {
  describe(`streams cut into 3-byte pieces → ${client} client`, () => {
    for (const kind of UPSTREAM_KINDS) {
      it(`${kind} upstream: the same reading as the stream written event by event`, async (t) => {
        const gateway = await startClientGateway(t);
        const model = kind === 'openai' ? CHAT_ONLY_MODEL : MODELS[kind];
        await enqueueScenario(gateway, kind, 'tool', true);
        const whole = await read(gateway, client, model);
        await enqueueScenario(gateway, kind, 'tool', true, 3);
        const split = await read(gateway, client, model);
        assert.deepEqual(split, whole);
        assert.equal(whole.calls.length, 1, 'the tool call was read');
        assert.ok(whole.thinking.length > 20, 'the thinking was read');
      });
    }
  });
}
