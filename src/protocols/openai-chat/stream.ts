/** OpenAI Chat Completions streaming: the incremental parser (upstream SSE → IR) and renderer (IR → client SSE). */
export { createOpenAIChatStreamParser } from './stream-parser.ts';
export { createOpenAIChatStreamRenderer } from './stream-renderer.ts';
