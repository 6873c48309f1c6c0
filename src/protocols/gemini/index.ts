/**
 * The Gemini (Generative Language API v1beta) adapter. The model and the streaming flag of
 * a Gemini request are in its URL: callers pass them in the RequestContext. The JSON-array
 * streaming form (no `alt=sse`) has its own parser and renderer, exported beside the adapter.
 */
import type { ProtocolAdapter } from '../adapter.ts';
import { renderGeminiError, renderGeminiStreamError } from './errors.ts';
import { parseGeminiRequest, renderGeminiRequest } from './request.ts';
import { parseGeminiResponse, renderGeminiResponse } from './response.ts';
import { createGeminiStreamParser, createGeminiStreamRenderer } from './stream.ts';

export { createJsonArrayStreamParser, createJsonArrayStreamRenderer } from './stream.ts';
export type { GeminiIRRequest, GeminiSourceHints } from './types.ts';

export const geminiAdapter: ProtocolAdapter = {
  format: 'gemini',
  parseRequest: parseGeminiRequest,
  renderRequest: renderGeminiRequest,
  parseResponse: parseGeminiResponse,
  renderResponse: renderGeminiResponse,
  createStreamParser: createGeminiStreamParser,
  createStreamRenderer: createGeminiStreamRenderer,
  renderError: renderGeminiError,
  renderStreamError: renderGeminiStreamError,
};
