/**
 * The official SDKs' stream readers as a second reader of what a client received:
 * `openai` (`chat.completions.stream().finalChatCompletion()`, `responses.stream()
 * .finalResponse()`), `@anthropic-ai/sdk` (`messages.stream().finalMessage()`) and
 * `@google/genai` (`models.generateContentStream()`, SSE), each fed the exact bytes the
 * gateway sent, from memory (no network). What they accumulate is
 * compared with the matrix's own reading, so a stream our parsers accept but an SDK would
 * reject (or read differently) fails the cell.
 */
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import type { ClientCell, Observed } from './matrix-clients.ts';

function replay(body: Buffer): () => Promise<Response> {
  return async () => new Response(new Uint8Array(body), { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

function normalizedArguments(text: string): unknown {
  try {
    return JSON.parse(text === '' ? '{}' : text) as unknown;
  } catch {
    return text;
  }
}

/** What the SDK read, in the same terms as `Observed`, or the error it threw. */
interface SdkReading {
  text: string;
  thinking?: string;
  toolCalls: Array<{ name: string; arguments: unknown }>;
  finish: string | undefined;
  /** The two headline counts, under the format's own names. */
  usage: Record<string, number | undefined> | undefined;
}

async function readWithSdk(cell: ClientCell, body: Buffer): Promise<SdkReading | undefined> {
  if (cell.format === 'openai-chat') {
    const client = new OpenAI({ apiKey: 'replay', baseURL: 'http://replay.invalid/v1', maxRetries: 0, fetch: replay(body) });
    const completion = await client.chat.completions.stream({ model: 'replay', messages: [{ role: 'user', content: 'Hello' }], stream_options: { include_usage: true } }).finalChatCompletion();
    const choice = completion.choices[0];
    return {
      text: (choice?.message.content ?? '') + (choice?.message.refusal ?? ''),
      toolCalls: (choice?.message.tool_calls ?? []).flatMap((call) => (call.type === 'function' ? [{ name: call.function.name, arguments: normalizedArguments(call.function.arguments) }] : [])),
      finish: choice?.finish_reason,
      usage: completion.usage === undefined ? undefined : { prompt_tokens: completion.usage.prompt_tokens, completion_tokens: completion.usage.completion_tokens },
    };
  }
  if (cell.format === 'openai-responses') {
    const client = new OpenAI({ apiKey: 'replay', baseURL: 'http://replay.invalid/v1', maxRetries: 0, fetch: replay(body) });
    const response = await client.responses.stream({ model: 'replay', input: 'Hello' }).finalResponse();
    let text = '';
    let thinking = '';
    const toolCalls: SdkReading['toolCalls'] = [];
    for (const item of response.output) {
      if (item.type === 'message') for (const part of item.content) text += part.type === 'output_text' ? part.text : part.refusal;
      else if (item.type === 'reasoning') thinking += item.summary.map((summary) => summary.text).join('');
      else if (item.type === 'function_call') toolCalls.push({ name: item.name, arguments: normalizedArguments(item.arguments) });
    }
    const reason = response.incomplete_details?.reason;
    const usage = response.usage === null || response.usage === undefined ? undefined : { input_tokens: response.usage.input_tokens, output_tokens: response.usage.output_tokens };
    return { text, thinking, toolCalls, finish: response.status === 'incomplete' && reason !== undefined ? `incomplete:${reason}` : response.status, usage };
  }
  if (cell.format === 'anthropic') {
    const client = new Anthropic({ apiKey: 'replay', baseURL: 'http://replay.invalid', maxRetries: 0, fetch: replay(body) });
    const message = await client.messages.stream({ model: 'replay', max_tokens: 1024, messages: [{ role: 'user', content: 'Hello' }] }).finalMessage();
    let text = '';
    let thinking = '';
    const toolCalls: SdkReading['toolCalls'] = [];
    for (const block of message.content) {
      if (block.type === 'text') text += block.text;
      else if (block.type === 'thinking') thinking += block.thinking;
      else if (block.type === 'tool_use') toolCalls.push({ name: block.name, arguments: block.input });
    }
    return { text, thinking, toolCalls, finish: message.stop_reason ?? undefined, usage: { input_tokens: message.usage.input_tokens, output_tokens: message.usage.output_tokens } };
  }
  if (cell.format === 'gemini' && !cell.geminiArray) {
    const client = new GoogleGenAI({ apiKey: 'replay', httpOptions: { baseUrl: 'http://replay.invalid', fetch: replay(body) } });
    let text = '';
    let thinking = '';
    let finish: string | undefined;
    let usage: SdkReading['usage'];
    const toolCalls: SdkReading['toolCalls'] = [];
    for await (const chunk of await client.models.generateContentStream({ model: 'replay', contents: 'Hello' })) {
      const candidate = chunk.candidates?.[0];
      for (const part of candidate?.content?.parts ?? []) {
        if (part.functionCall !== undefined) toolCalls.push({ name: part.functionCall.name ?? '', arguments: part.functionCall.args ?? {} });
        else if (part.thought === true) thinking += part.text ?? '';
        else text += part.text ?? '';
      }
      if (candidate?.finishReason !== undefined) finish = candidate.finishReason;
      if (chunk.usageMetadata?.promptTokenCount !== undefined) usage = { promptTokenCount: chunk.usageMetadata.promptTokenCount, candidatesTokenCount: chunk.usageMetadata.candidatesTokenCount };
    }
    return { text, thinking, toolCalls, finish, usage };
  }
  return undefined;
}

/**
 * For a streaming cell (but Gemini's JSON array, which the SDK does not read): the SDK reads the same text, thinking,
 * tool calls and finish as the matrix's parser — or, when the stream carries an error,
 * throws instead of returning a result.
 */
export async function assertSdkAgrees(cell: ClientCell, body: Buffer, observed: Observed): Promise<void> {
  if (!cell.stream || cell.geminiArray) return;
  if (observed.error !== undefined) {
    await assert.rejects(readWithSdk(cell, body), `the ${cell.format} SDK reports the in-stream error`);
    return;
  }
  const reading = await readWithSdk(cell, body);
  assert.ok(reading !== undefined);
  const textSeen = observed.text + (cell.format === 'anthropic' ? '' : observed.refusal);
  assert.equal(reading.text, textSeen, 'the SDK reads the same text');
  if (reading.thinking !== undefined) assert.equal(reading.thinking, observed.thinking, 'the SDK reads the same thinking');
  assert.deepEqual(reading.toolCalls, observed.toolCalls.map((call) => ({ name: call.name, arguments: normalizedArguments(call.arguments) })), 'the SDK reads the same tool calls');
  assert.equal(reading.finish, observed.finish, 'the SDK reads the same finish');
  if (reading.usage !== undefined && observed.usage !== undefined) {
    const seen: Record<string, number | undefined> = {};
    for (const key of Object.keys(reading.usage)) seen[key] = observed.usage[key];
    assert.deepEqual(reading.usage, seen, 'the SDK reads the same usage');
  } else {
    assert.equal(reading.usage === undefined, observed.usage === undefined, 'usage seen by both or by neither');
  }
}
