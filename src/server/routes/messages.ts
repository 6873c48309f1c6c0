/**
 * Anthropic Messages: `POST /v1/messages` (Claude Code adds `?beta=true`) and
 * `POST /v1/messages/count_tokens`. Both `x-api-key` and `Authorization: Bearer` are
 * accepted, with any `anthropic-version`.
 */
import type { GatewayRequest, GatewayResponse } from '../types.ts';
import { GatewayError } from '../../errors.ts';
import { ADAPTERS } from '../../protocols/index.ts';
import { parseJsonObject, readBody } from '../http-io.ts';
import { needsOf } from '../needs.ts';
import { proxy } from '../proxy.ts';
import type { GatewayContext } from '../runtime.ts';
import type { ClientIdentity } from '../auth.ts';
import { requestIdOf } from '../request-id.ts';
import { countTokens } from './count-tokens.ts';

async function readAnthropicBody(request: GatewayRequest, context: GatewayContext): Promise<{ raw: Buffer; body: Record<string, unknown>; model: string }> {
  const raw = await readBody(request, context.current().config.maxBodySize);
  const body = parseJsonObject(raw);
  const model = body.model;
  if (typeof model !== 'string' || model === '') {
    throw new GatewayError(400, 'missing_model', 'model: Field required', { param: 'model', retryable: false });
  }
  if (!Array.isArray(body.messages)) {
    throw new GatewayError(400, 'invalid_request', 'messages: Field required (an array of messages)', { param: 'messages', retryable: false });
  }
  return { raw, body, model };
}

export async function messages(request: GatewayRequest, response: GatewayResponse, context: GatewayContext, client: ClientIdentity): Promise<void> {
  const { raw, body, model } = await readAnthropicBody(request, context);
  const stream = body.stream === true;
  await proxy({ format: 'anthropic', raw, body, model, stream, geminiSse: true, headers: request.headers, requestId: requestIdOf(request) }, response, context, needsOf('anthropic', body, stream), client);
}

export async function messagesCountTokens(request: GatewayRequest, response: GatewayResponse, context: GatewayContext): Promise<void> {
  const { raw, body, model } = await readAnthropicBody(request, context);
  const ir = ADAPTERS.anthropic.parseRequest(body, { model, stream: false });
  await countTokens({ format: 'anthropic', raw, body, model, ir, headers: request.headers }, response, context);
}
