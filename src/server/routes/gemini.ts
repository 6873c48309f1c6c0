/**
 * The Gemini API: `GET /v1beta/models`, `GET /v1beta/models/{model}`, and
 * `POST /v1beta/models/{model}:generateContent | :streamGenerateContent | :countTokens`.
 * Streaming is SSE with `?alt=sse` and a streamed JSON array without it, as Google serves.
 * Keys come as `x-goog-api-key` or `?key=`.
 */
import type { GatewayRequest, GatewayResponse } from '../types.ts';
import { GatewayError } from '../../errors.ts';
import { ADAPTERS } from '../../protocols/index.ts';
import { parseJsonObject, readBody, sendJson } from '../http-io.ts';
import { needsOf } from '../needs.ts';
import { proxy } from '../proxy.ts';
import type { GatewayContext } from '../runtime.ts';
import type { ClientIdentity } from '../auth.ts';
import { requestIdOf } from '../request-id.ts';
import { listModels } from './catalogue.ts';
import { countTokens } from './count-tokens.ts';

const METHODS = ['generateContent', 'streamGenerateContent', 'countTokens'];

export function geminiListModels(response: GatewayResponse, context: GatewayContext): void {
  const seen = new Set<string>();
  const models = [];
  for (const model of listModels(context.current())) {
    if (seen.has(model.id)) continue;
    seen.add(model.id);
    models.push(geminiModel(model.id, model.capabilities?.max_tokens));
  }
  sendJson(response, 200, { models });
}

function geminiModel(id: string, context: number | undefined): Record<string, unknown> {
  return {
    name: `models/${id}`,
    version: '001',
    displayName: id,
    inputTokenLimit: context ?? 0,
    outputTokenLimit: 0,
    supportedGenerationMethods: METHODS,
  };
}

export function geminiGetModel(response: GatewayResponse, context: GatewayContext, model: string): void {
  const served = context.current().router.serving(model);
  sendJson(response, 200, geminiModel(model, served[0]?.capabilities?.max_tokens));
}

/** `{model}:{method}` after `/v1beta/models/`; the model may itself hold slashes. */
export async function geminiAction(request: GatewayRequest, response: GatewayResponse, context: GatewayContext, tail: string, query: URLSearchParams, client: ClientIdentity): Promise<void> {
  const colon = tail.lastIndexOf(':');
  const model = colon > 0 ? tail.slice(0, colon) : '';
  const method = colon > 0 ? tail.slice(colon + 1) : tail;
  if (!METHODS.includes(method)) {
    throw new GatewayError(404, 'not_found', `unknown method "${method}" (use ${METHODS.join(', ')})`, { retryable: false });
  }
  if (model === '') throw new GatewayError(400, 'missing_model', 'the model is missing from the URL', { param: 'model', retryable: false });
  const raw = await readBody(request, context.current().config.maxBodySize);
  const body = parseJsonObject(raw);
  if (method === 'countTokens') {
    // countTokens takes either the contents directly or a whole generateContentRequest.
    const inner = (body.generateContentRequest ?? body) as Record<string, unknown>;
    const ir = ADAPTERS.gemini.parseRequest(inner, { model, stream: false });
    await countTokens({ format: 'gemini', raw, body, model, ir, headers: request.headers }, response, context);
    return;
  }
  if (!Array.isArray(body.contents)) {
    throw new GatewayError(400, 'invalid_request', "'contents' must be an array", { param: 'contents', retryable: false });
  }
  const stream = method === 'streamGenerateContent';
  const geminiSse = query.get('alt') === 'sse';
  await proxy({ format: 'gemini', raw, body, model, stream, geminiSse, headers: request.headers, requestId: requestIdOf(request) }, response, context, needsOf('gemini', body, stream), client);
}
