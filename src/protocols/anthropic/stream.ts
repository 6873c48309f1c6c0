/** Anthropic Messages streaming: the incremental parser (upstream SSE → IR) and renderer (IR → client SSE). */
export { createAnthropicStreamParser } from './stream-parser.ts';
export { createAnthropicStreamRenderer } from './stream-renderer.ts';
