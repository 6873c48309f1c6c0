/**
 * Responses API streaming: the SSE parser (upstream → IR) and renderer (IR → client). Each
 * lives in its own module; this one is the format's stream entry point.
 */
export { createResponsesStreamParser } from './stream-parser.ts';
export { createResponsesStreamRenderer } from './stream-renderer.ts';
