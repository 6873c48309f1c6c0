/**
 * `GET /v1/models` (OpenAI's shape, or Anthropic's when `anthropic-version` is sent;
 * `?provider=NAME` narrows to one provider), `GET /v1/models/{model}` and
 * `GET /v1/capabilities?model=M&feature=F`.
 */
import type { GatewayRequest, GatewayResponse } from '../types.ts';
import { GatewayError } from '../../errors.ts';
import type { Capabilities } from '../../providers/types.ts';
import { sendJson } from '../http-io.ts';
import type { GatewayContext } from '../runtime.ts';
import { FEATURE_ALIASES, FEATURES, listModels, type ListedModel } from './catalogue.ts';

export function listModelsRoute(request: GatewayRequest, response: GatewayResponse, context: GatewayContext, query: URLSearchParams): void {
  const runtime = context.current();
  const provider = query.get('provider') ?? undefined;
  if (provider !== undefined && !runtime.built.registry.has(provider)) {
    throw new GatewayError(404, 'provider_not_found', `provider ${provider} not found`, { param: 'provider', retryable: false });
  }
  const models = listModels(runtime, provider);
  // One entry per id: the first provider in registry order owns it.
  const unique = new Map<string, ListedModel>();
  for (const model of models) if (!unique.has(model.id)) unique.set(model.id, model);
  const created = context.startedAt;
  if (request.headers['anthropic-version'] !== undefined) {
    const data = [...unique.values()].map((model) => ({
      type: 'model',
      id: model.id,
      display_name: model.id,
      created_at: new Date(created * 1000).toISOString(),
    }));
    sendJson(response, 200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
    return;
  }
  const data = [...unique.values()].map((model) => ({ id: model.id, object: 'model', created, owned_by: model.provider }));
  sendJson(response, 200, { object: 'list', data });
}

export function getModelRoute(response: GatewayResponse, context: GatewayContext, model: string): void {
  const runtime = context.current();
  const served = runtime.router.serving(model);
  const providers = served.map(({ entry, upstreamModel, capabilities }) => ({
    provider: entry.provider.name(),
    upstream_model: upstreamModel,
    capabilities: capabilities ?? null,
  }));
  sendJson(response, 200, {
    id: model,
    object: 'model',
    created: context.startedAt,
    owned_by: providers[0]?.provider ?? null,
    providers,
    capabilities: unionCapabilities(providers.map((item) => item.capabilities)),
  });
}

export function capabilitiesRoute(response: GatewayResponse, context: GatewayContext, query: URLSearchParams): void {
  const model = query.get('model');
  if (model === null || model === '') {
    throw new GatewayError(400, 'missing_model', 'the model query parameter is required', { param: 'model', retryable: false });
  }
  const featureName = query.get('feature');
  const runtime = context.current();
  const served = runtime.router.serving(model);
  if (featureName === null || featureName === '') {
    sendJson(response, 200, {
      model,
      capabilities: unionCapabilities(served.map((item) => item.capabilities ?? null)),
      providers: served.map(({ entry, upstreamModel, capabilities }) => ({ provider: entry.provider.name(), upstream_model: upstreamModel, capabilities: capabilities ?? null })),
    });
    return;
  }
  const feature = FEATURE_ALIASES[featureName.toLowerCase()];
  if (feature === undefined) {
    throw new GatewayError(400, 'invalid_request', `unknown feature "${featureName}" (known: ${FEATURES.join(', ')})`, { param: 'feature', retryable: false });
  }
  const providers = served
    .filter(({ capabilities }) => capabilities?.[feature] === true)
    .map(({ entry, upstreamModel }) => ({ provider: entry.provider.name(), upstream_model: upstreamModel }));
  sendJson(response, 200, { model, feature, supported: providers.length > 0, providers });
}

function unionCapabilities(list: Array<Capabilities | null>): Record<string, unknown> | null {
  const known = list.filter((item): item is Capabilities => item !== null);
  if (known.length === 0) return null;
  const out: Record<string, unknown> = {};
  for (const feature of FEATURES) out[feature] = known.some((item) => item[feature] === true);
  out.max_tokens = Math.max(...known.map((item) => item.max_tokens));
  return out;
}
