/** The OpenAI Chat Completions adapter: everything the server and providers need for this format. */
import type { ProtocolAdapter } from '../adapter.ts';
import { renderOpenAIError, renderOpenAIStreamError } from './errors.ts';
import { parseOpenAIChatRequest, renderOpenAIChatRequest } from './request.ts';
import { parseOpenAIChatResponse, renderOpenAIChatResponse } from './response.ts';
import { createOpenAIChatStreamParser, createOpenAIChatStreamRenderer } from './stream.ts';

export const openAIChatAdapter: ProtocolAdapter = {
  format: 'openai-chat',
  parseRequest: parseOpenAIChatRequest,
  renderRequest: renderOpenAIChatRequest,
  parseResponse: parseOpenAIChatResponse,
  renderResponse: renderOpenAIChatResponse,
  createStreamParser: createOpenAIChatStreamParser,
  createStreamRenderer: createOpenAIChatStreamRenderer,
  renderError(error) {
    const { status, body } = renderOpenAIError(error);
    return { status, body: { ...body } };
  },
  renderStreamError: renderOpenAIStreamError,
};
