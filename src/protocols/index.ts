/** Every wire format's adapter, by format: the one entry point the server and providers use. */
import type { ProtocolAdapter } from './adapter.ts';
import type { WireFormat } from './ir.ts';
import { anthropicAdapter } from './anthropic/index.ts';
import { geminiAdapter } from './gemini/index.ts';
import { openAIChatAdapter } from './openai-chat/index.ts';
import { openAIResponsesAdapter } from './openai-responses/index.ts';

export const ADAPTERS: Readonly<Record<WireFormat, ProtocolAdapter>> = {
  'openai-chat': openAIChatAdapter,
  'openai-responses': openAIResponsesAdapter,
  anthropic: anthropicAdapter,
  gemini: geminiAdapter,
};

export { createJsonArrayStreamParser, createJsonArrayStreamRenderer } from './gemini/index.ts';
export type { ProtocolAdapter, StreamParser, StreamRenderer } from './adapter.ts';
