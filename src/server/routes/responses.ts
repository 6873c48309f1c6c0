/**
 * `POST /v1/responses`: the OpenAI Responses API (Codex CLI's only format).
 * `previous_response_id` works where the upstream itself keeps responses (OpenAI, on the
 * fast path); translated to any other provider it is refused with a clear 400, since the
 * conversation it names lives at the upstream that answered it, not here.
 */
import type { GatewayRequest, GatewayResponse } from '../types.ts';
import { GatewayError } from '../../errors.ts';
import { parseJsonObject, readBody } from '../http-io.ts';
import { needsOf } from '../needs.ts';
import { proxy } from '../proxy.ts';
import type { GatewayContext } from '../runtime.ts';
import type { ClientIdentity } from '../auth.ts';
import { requestIdOf } from '../request-id.ts';

export async function responses(request: GatewayRequest, response: GatewayResponse, context: GatewayContext, client: ClientIdentity): Promise<void> {
  const raw = await readBody(request, context.current().config.maxBodySize);
  const body = parseJsonObject(raw);
  const model = body.model;
  if (typeof model !== 'string' || model === '') {
    throw new GatewayError(400, 'missing_model', 'you must provide a model parameter', { param: 'model', retryable: false });
  }
  const stream = body.stream === true;
  const needs = needsOf('openai-responses', body, stream);
  if (typeof body.previous_response_id === 'string' && body.previous_response_id !== '') {
    const native = context.current().router.serving(model, needs).some((served) => served.entry.http?.settings.speaks.includes('openai-responses') === true);
    if (!native) {
      throw new GatewayError(400, 'invalid_request',
        `previous_response_id is only supported when ${model} is served by a provider with its own Responses API (such as openai); send the whole conversation in input instead`,
        { param: 'previous_response_id', retryable: false });
    }
  }
  await proxy({ format: 'openai-responses', raw, body, model, stream, geminiSse: true, headers: request.headers, requestId: requestIdOf(request) }, response, context, needs, client);
}
