/**
 * The request dispatcher: the hot inference route first, then the catalogue and
 * management routes. Every error thrown below ends here and is rendered once, in the
 * client's format.
 */
import type { GatewayRequest, GatewayResponse } from './types.ts';
import { GatewayError, toGatewayError } from '../errors.ts';
import { sendJson } from './http-io.ts';
import { sendError } from './render-error.ts';
import { assignRequestId, REQUEST_ID_HEADER } from './request-id.ts';
import type { GatewayContext } from './runtime.ts';
import { chatCompletions } from './routes/chat-completions.ts';
import { geminiAction, geminiGetModel, geminiListModels } from './routes/gemini.ts';
import { messages, messagesCountTokens } from './routes/messages.ts';
import { responses } from './routes/responses.ts';
import { clearCooldownsRoute, listCooldownsRoute } from './routes/cooldowns.ts';
import { exportUsageRoute, importUsageRoute, usageRoute } from './routes/usage.ts';
import { addKeyRoute, deleteKeyRoute, listKeysRoute } from './routes/api-keys.ts';
import { dashboardRoute } from './routes/dashboard.ts';
import { deleteCredentialRoute, listCredentialsRoute, loginPageRoute, loginStatusRoute, startLoginRoute } from './routes/oauth.ts';
import type { WireFormat } from '../protocols/ir.ts';
import { capabilitiesRoute, getModelRoute, listModelsRoute } from './routes/models.ts';
import {
  getProviderRoute, listProvidersRoute, providerCapabilitiesRoute, providerModelsRoute, providerStatusRoute, setEnabledRoute,
} from './routes/providers.ts';

const EMPTY_QUERY = new URLSearchParams();

/**
 * Routes whose every response head is written with the request id among its headers
 * (proxy.ts, render-error.ts), not through `setHeader` first: a header set beforehand makes
 * Node merge the head's headers one `setHeader` at a time, which showed in the fast path's
 * profile. They are also dispatched first, without an async frame (`dispatch`). Exact paths
 * only: a query string takes the general road.
 */
const INFERENCE_ROUTES = new Map([
  ['/v1/chat/completions', chatCompletions],
  ['/v1/messages', messages],
  ['/v1/responses', responses],
]);

export function createHandler(context: GatewayContext): (request: GatewayRequest, response: GatewayResponse) => void {
  return (request, response) => {
    const requestId = assignRequestId(request);
    const url = request.url ?? '/';
    // The inference routes write the id with their head (see INFERENCE_ROUTES); every other
    // route gets it here.
    if (!INFERENCE_ROUTES.has(url)) response.setHeader(REQUEST_ID_HEADER, requestId);
    dispatch(request, response, context).catch((error: unknown) => {
      const failure = toGatewayError(error);
      if (failure.status >= 500 && failure.code === 'internal_error') {
        context.logger.error({ request_id: requestId, err: failure.cause, path: (request.url ?? '/').split('?')[0] }, 'request failed');
      } else {
        context.logger.debug({ request_id: requestId, status: failure.status, code: failure.code }, failure.message);
      }
      sendError(response, failure, formatOf(url), requestId);
    });
  };
}

/** The wire format a route's clients speak, so errors reach them in their own shape. */
function formatOf(url: string): WireFormat {
  if (url.startsWith('/v1/messages')) return 'anthropic';
  if (url.startsWith('/v1beta/')) return 'gemini';
  if (url.startsWith('/v1/responses')) return 'openai-responses';
  return 'openai-chat';
}

function methodNotAllowed(allowed: string): GatewayError {
  return new GatewayError(405, 'method_not_allowed', `method not allowed; use ${allowed}`, { headers: { allow: allowed }, retryable: false });
}

/**
 * The three inference routes at their exact paths, without an async frame of their own (an
 * async function returning the handler's promise costs extra microtask turns per request);
 * everything else goes through `dispatchOther`.
 */
function dispatch(request: GatewayRequest, response: GatewayResponse, context: GatewayContext): Promise<void> {
  const handler = INFERENCE_ROUTES.get(request.url ?? '/');
  if (handler === undefined) return dispatchOther(request, response, context);
  try {
    if (request.method !== 'POST') throw methodNotAllowed('POST');
    return handler(request, response, context, context.current().auth.requireClient(request, EMPTY_QUERY));
  } catch (error) {
    return Promise.reject(error);
  }
}

async function dispatchOther(request: GatewayRequest, response: GatewayResponse, context: GatewayContext): Promise<void> {
  const url = request.url ?? '/';
  const mark = url.indexOf('?');
  const path = mark < 0 ? url : url.slice(0, mark);
  const query = mark < 0 ? EMPTY_QUERY : new URLSearchParams(url.slice(mark + 1));
  const method = request.method ?? 'GET';
  const runtime = context.current();

  if (path === '/v1/chat/completions') {
    if (method !== 'POST') throw methodNotAllowed('POST');
    return chatCompletions(request, response, context, runtime.auth.requireClient(request, query));
  }

  if (path === '/v1/messages') {
    if (method !== 'POST') throw methodNotAllowed('POST');
    return messages(request, response, context, runtime.auth.requireClient(request, query));
  }
  if (path === '/v1/responses') {
    if (method !== 'POST') throw methodNotAllowed('POST');
    return responses(request, response, context, runtime.auth.requireClient(request, query));
  }
  if (path.startsWith('/v1beta/models')) {
    const client = runtime.auth.requireClient(request, query);
    if (path === '/v1beta/models') {
      if (method !== 'GET') throw methodNotAllowed('GET');
      return geminiListModels(response, context);
    }
    const tail = decodeURIComponent(path.slice('/v1beta/models/'.length));
    if (method === 'POST') return geminiAction(request, response, context, tail, query, client);
    if (method !== 'GET') throw methodNotAllowed('GET, POST');
    return geminiGetModel(response, context, tail.replace(/^models\//, ''));
  }

  if (path === '/' || path === '/health') {
    if (method === 'HEAD') return void response.writeHead(200).end();
    return sendJson(response, 200, { status: 'ok', service: 'cliproxy' });
  }
  if (path === '/ready') {
    const usable = runtime.built.registry.listEnabled().filter((provider) => runtime.built.entries.get(provider.name())?.notServedYet === undefined);
    // A state driver serving from its fallback is degraded, not down: still ready.
    return sendJson(response, usable.length > 0 ? 200 : 503, {
      ready: usable.length > 0,
      config: runtime.config.source ?? null,
      providers_usable: usable.map((provider) => provider.name()),
      state: context.state.health(),
    });
  }

  if (path === '/metrics' && runtime.config.metrics.enabled) {
    if (method !== 'GET') throw methodNotAllowed('GET');
    runtime.auth.requireManagement(request);
    const text = await context.metrics.registry.metrics();
    response.writeHead(200, { 'content-type': context.metrics.registry.contentType });
    return void response.end(text);
  }
  if (path === '/v0/management/usage') {
    if (method !== 'GET') throw methodNotAllowed('GET');
    return usageRoute(request, response, context, query);
  }
  if (path === '/v0/management/usage/export') {
    if (method !== 'GET') throw methodNotAllowed('GET');
    return exportUsageRoute(request, response, context, query);
  }
  if (path === '/v0/management/usage/import') {
    if (method !== 'POST') throw methodNotAllowed('POST');
    return importUsageRoute(request, response, context);
  }
  if (path === '/dashboard' || path.startsWith('/dashboard/')) {
    if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed('GET');
    return dashboardRoute(request, response, context, path);
  }
  if (path.startsWith('/v0/oauth/')) {
    if (method !== 'GET') throw methodNotAllowed('GET');
    return loginPageRoute(request, response, context, path.slice('/v0/oauth/'.length));
  }
  if (path.startsWith('/v0/management/oauth/')) {
    const [provider = '', action] = path.slice('/v0/management/oauth/'.length).split('/');
    if (action === 'start') {
      if (method !== 'POST') throw methodNotAllowed('POST');
      return startLoginRoute(request, response, context, provider);
    }
    if (action === 'status') {
      if (method !== 'GET') throw methodNotAllowed('GET');
      return loginStatusRoute(request, response, context, provider, query);
    }
  }
  if (path.startsWith('/v0/management/providers/')) {
    const [provider = '', section, id, ...rest] = path.slice('/v0/management/providers/'.length).split('/').map(decodeURIComponent);
    if (section === 'api-keys' && rest.length === 0) {
      if (id === undefined || id === '') {
        if (method === 'GET') return listKeysRoute(request, response, context, provider);
        if (method === 'POST') return addKeyRoute(request, response, context, provider);
        throw methodNotAllowed('GET, POST');
      }
      if (method !== 'DELETE') throw methodNotAllowed('DELETE');
      return deleteKeyRoute(request, response, context, provider, id);
    }
  }
  if (path === '/v0/management/credentials') {
    if (method !== 'GET') throw methodNotAllowed('GET');
    return listCredentialsRoute(request, response, context);
  }
  if (path.startsWith('/v0/management/credentials/')) {
    if (method !== 'DELETE') throw methodNotAllowed('DELETE');
    return deleteCredentialRoute(request, response, context, decodeURIComponent(path.slice('/v0/management/credentials/'.length)));
  }
  if (path === '/v0/management/cooldowns') {
    if (method === 'GET') return listCooldownsRoute(request, response, context, query);
    if (method === 'DELETE') return clearCooldownsRoute(request, response, context, query);
    throw methodNotAllowed('GET, DELETE');
  }

  if (!path.startsWith('/v1/')) throw new GatewayError(404, 'not_found', `no route for ${method} ${path}`, { retryable: false });
  // A management write is guarded by the management key (loopback without one), not a client key.
  const managementWrite = method === 'PUT' && path.startsWith('/v1/providers/') && path.endsWith('/enabled');
  if (!managementWrite) runtime.auth.requireClient(request, query);

  if (path === '/v1/messages/count_tokens') {
    if (method !== 'POST') throw methodNotAllowed('POST');
    return messagesCountTokens(request, response, context);
  }
  if (path === '/v1/models') {
    if (method !== 'GET') throw methodNotAllowed('GET');
    return listModelsRoute(request, response, context, query);
  }
  if (path.startsWith('/v1/models/')) {
    if (method !== 'GET') throw methodNotAllowed('GET');
    return getModelRoute(response, context, decodeURIComponent(path.slice('/v1/models/'.length)));
  }
  if (path === '/v1/capabilities') {
    if (method !== 'GET') throw methodNotAllowed('GET');
    return capabilitiesRoute(response, context, query);
  }
  if (path === '/v1/providers') {
    if (method !== 'GET') throw methodNotAllowed('GET');
    return listProvidersRoute(response, context, query);
  }
  if (path.startsWith('/v1/providers/')) {
    const [name = '', action, ...rest] = path.slice('/v1/providers/'.length).split('/').map(decodeURIComponent);
    if (rest.length === 0 && name !== '') {
      if (action === undefined) {
        if (method !== 'GET') throw methodNotAllowed('GET');
        return getProviderRoute(response, context, name);
      }
      if (action === 'enabled') {
        if (method !== 'PUT') throw methodNotAllowed('PUT');
        return setEnabledRoute(request, response, context, name);
      }
      if (method !== 'GET' && (action === 'models' || action === 'capabilities' || action === 'status')) throw methodNotAllowed('GET');
      if (action === 'models') return providerModelsRoute(response, context, name);
      if (action === 'capabilities') return providerCapabilitiesRoute(response, context, name);
      if (action === 'status') return providerStatusRoute(response, context, name, query);
    }
  }
  throw new GatewayError(404, 'not_found', `no route for ${method} ${path}`, { retryable: false });
}
