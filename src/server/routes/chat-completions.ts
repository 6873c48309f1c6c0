/** `POST /v1/chat/completions`: OpenAI Chat Completions, streaming and not. */
import type { GatewayRequest, GatewayResponse } from '../types.ts';
import { GatewayError } from '../../errors.ts';
import { parseJsonObject, readBody } from '../http-io.ts';
import { needsOf } from '../needs.ts';
import { proxy } from '../proxy.ts';
import type { GatewayContext } from '../runtime.ts';
import type { ClientIdentity } from '../auth.ts';
import { requestIdOf } from '../request-id.ts';

export async function chatCompletions(request: GatewayRequest, response: GatewayResponse, context: GatewayContext, client: ClientIdentity): Promise<void> {
  const raw = await readBody(request, context.current().config.maxBodySize);
  const body = parseJsonObject(raw);
  const model = body.model;
  if (typeof model !== 'string' || model === '') {
    throw new GatewayError(400, 'missing_model', 'you must provide a model parameter', { param: 'model', retryable: false });
  }
  if (!Array.isArray(body.messages)) {
    throw new GatewayError(400, 'invalid_request', "'messages' must be an array of messages", { param: 'messages', retryable: false });
  }
  const stream = body.stream === true;
  await proxy({ format: 'openai-chat', raw, body, model, stream, geminiSse: true, headers: request.headers, requestId: requestIdOf(request) }, response, context, needsOf('openai-chat', body, stream), client);
}
