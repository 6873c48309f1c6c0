/**
 * The OpenAI Responses API adapter (`POST /v1/responses`): Codex CLI's only format, and the
 * endpoint Copilot uses for models that lack `/chat/completions`.
 */
import type { ProtocolAdapter } from '../adapter.ts';
import { renderResponsesError, renderResponsesStreamError } from './errors.ts';
import { parseResponsesRequest, renderResponsesRequest } from './request.ts';
import { parseResponsesResponse, renderResponsesResponse } from './response.ts';
import { createResponsesStreamParser, createResponsesStreamRenderer } from './stream.ts';

export type { ResponsesIRRequest, ResponsesSourceHints, ResponsesThinkingPart } from './types.ts';

export const openAIResponsesAdapter: ProtocolAdapter = {
  format: 'openai-responses',
  parseRequest: parseResponsesRequest,
  renderRequest: renderResponsesRequest,
  parseResponse: parseResponsesResponse,
  renderResponse: renderResponsesResponse,
  createStreamParser: createResponsesStreamParser,
  createStreamRenderer: createResponsesStreamRenderer,
  renderError: renderResponsesError,
  renderStreamError: renderResponsesStreamError,
};
