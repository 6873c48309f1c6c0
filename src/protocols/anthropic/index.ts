/** The Anthropic Messages adapter: everything the server and providers need for this format. */
import type { ProtocolAdapter } from '../adapter.ts';
import { renderAnthropicError, renderAnthropicStreamError } from './errors.ts';
import { parseAnthropicRequest, renderAnthropicRequest } from './request.ts';
import { parseAnthropicResponse, renderAnthropicResponse } from './response.ts';
import { createAnthropicStreamParser, createAnthropicStreamRenderer } from './stream.ts';

export const anthropicAdapter: ProtocolAdapter = {
  format: 'anthropic',
  parseRequest: parseAnthropicRequest,
  renderRequest: renderAnthropicRequest,
  parseResponse: parseAnthropicResponse,
  renderResponse: renderAnthropicResponse,
  createStreamParser: createAnthropicStreamParser,
  createStreamRenderer: createAnthropicStreamRenderer,
  renderError(error) {
    const { status, body } = renderAnthropicError(error);
    return { status, body: { ...body } };
  },
  renderStreamError: renderAnthropicStreamError,
};
