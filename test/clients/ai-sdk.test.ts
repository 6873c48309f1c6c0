/**
 * The Vercel `ai` package as a real client, through `@ai-sdk/openai-compatible` (chat
 * completions at gateway/v1) and `@ai-sdk/anthropic` (messages at gateway/v1): generateText
 * and streamText with a tool the SDK executes itself (two steps: the call, then the answer
 * after the result), against a Claude and an OpenAI-compatible upstream.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import type { LanguageModel } from 'ai';
import {
  CLIENT_KEY, FACTS, MODELS, TEXT_OF, WEATHER_SCHEMA, enqueueScenario, fetchWithTimeout, lastBody, startClientGateway,
} from '../helpers/client-gateway.ts';
import type { ClientGateway } from '../helpers/client-gateway.ts';
import { history, toolNames } from '../helpers/upstream-views.ts';

type Provider = 'openai-compatible' | 'anthropic';

// The SDK warns on stderr about unknown model names; the tests assert what matters instead.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

function languageModel(provider: Provider, gateway: ClientGateway, model: string): LanguageModel {
  if (provider === 'anthropic') {
    return createAnthropic({ baseURL: `${gateway.url}/v1`, apiKey: CLIENT_KEY, fetch: fetchWithTimeout() })(model);
  }
  return createOpenAICompatible({ name: 'cliproxy', baseURL: `${gateway.url}/v1`, apiKey: CLIENT_KEY, includeUsage: true, fetch: fetchWithTimeout() })(model);
}

interface WeatherInput {
  location: string;
  unit?: string;
}

function weatherTool(calls: WeatherInput[]) {
  return tool({
    description: 'Current weather for a city',
    inputSchema: jsonSchema<WeatherInput>(WEATHER_SCHEMA),
    execute: async (input: WeatherInput) => {
      calls.push(input);
      return { temperature: 18, sky: 'sunny' };
    },
  });
}

for (const provider of ['openai-compatible', 'anthropic'] as const) {
  for (const kind of ['claude', 'openai'] as const) {
    const model = MODELS[kind];
    describe(`ai + @ai-sdk/${provider} served by ${kind}`, () => {
      it('generateText: plain text', async (t) => {
        const gateway = await startClientGateway(t);
        await enqueueScenario(gateway, kind, 'text', false);
        const result = await generateText({ model: languageModel(provider, gateway, model), system: 'You are terse.', prompt: 'Say hello', maxOutputTokens: 1000, maxRetries: 0 });
        assert.equal(result.text, TEXT_OF[kind]);
        assert.equal(result.finishReason, 'stop');
        assert.ok((result.usage.inputTokens ?? 0) > 0 && (result.usage.outputTokens ?? 0) > 0);
      });

      it('generateText with a tool: the call, the SDK runs it, the answer', async (t) => {
        const gateway = await startClientGateway(t);
        await enqueueScenario(gateway, kind, 'tool', false);
        await enqueueScenario(gateway, kind, 'text', false);
        const calls: WeatherInput[] = [];
        const result = await generateText({
          model: languageModel(provider, gateway, model),
          prompt: 'What is the weather in Paris?',
          tools: { get_weather: weatherTool(calls) },
          stopWhen: stepCountIs(3),
          maxOutputTokens: 1000,
          maxRetries: 0,
        });
        assert.deepEqual(calls, [FACTS.weatherArgs]);
        assert.equal(result.steps.length, 2);
        assert.equal(result.steps[0]?.finishReason, 'tool-calls');
        assert.equal(result.text, TEXT_OF[kind]);
        assertToolRoundTrip(gateway, kind);
      });

      it('streamText with a tool: streamed call, then the streamed answer', async (t) => {
        const gateway = await startClientGateway(t);
        await enqueueScenario(gateway, kind, 'tool', true);
        await enqueueScenario(gateway, kind, 'text', true);
        const calls: WeatherInput[] = [];
        const errors: unknown[] = [];
        const result = streamText({
          model: languageModel(provider, gateway, model),
          prompt: 'What is the weather in Paris?',
          tools: { get_weather: weatherTool(calls) },
          stopWhen: stepCountIs(3),
          maxOutputTokens: 1000,
          maxRetries: 0,
          onError: ({ error }) => {
            errors.push(error);
          },
        });
        let text = '';
        for await (const delta of result.textStream) text += delta;
        assert.deepEqual(errors, []);
        const steps = await result.steps;
        assert.deepEqual(calls, [FACTS.weatherArgs]);
        assert.equal(steps.length, 2);
        assert.equal(text, (kind === 'claude' ? 'Let me check.' : '') + TEXT_OF[kind]);
        const usage = await result.totalUsage;
        assert.ok((usage.outputTokens ?? 0) > 0, 'usage reported from the stream');
        assertToolRoundTrip(gateway, kind);
        if (kind === 'openai') {
          const first = gateway.openai.requests[0]?.body as { stream_options?: unknown; stream?: unknown } | undefined;
          assert.equal(first?.stream, true);
        }
      });
    });
  }
}

/** The second upstream request carries the call and its result, matched by id. */
function assertToolRoundTrip(gateway: ClientGateway, kind: 'claude' | 'openai'): void {
  const upstream = gateway.upstream(kind);
  assert.equal(upstream.requests.length, 2);
  const first = upstream.requests[0]?.body;
  assert.ok(typeof first === 'object' && first !== null);
  assert.deepEqual(toolNames(kind, first as Record<string, unknown>), ['get_weather']);
  const items = history(kind, lastBody(upstream));
  const call = items.find((item) => item.kind === 'tool-call');
  const result = items.find((item) => item.kind === 'tool-result');
  assert.ok(call?.kind === 'tool-call' && result?.kind === 'tool-result');
  assert.equal(call.name, 'get_weather');
  assert.deepEqual(call.args, FACTS.weatherArgs);
  assert.equal(result.id, call.id);
  assert.match(result.content, /sunny/);
  if (kind === 'claude') assert.equal(call.id, FACTS.claudeToolId);
}
