/**
 * The seed's provider management API: `GET /v1/providers`, `GET /v1/providers/{name}`,
 * `PUT /v1/providers/{name}/enabled`, `GET /v1/providers/{name}/{models|capabilities|status}`.
 */
import type { GatewayRequest, GatewayResponse } from '../types.ts';
import { GatewayError } from '../../errors.ts';
import type { ProviderEntry } from '../../providers/build.ts';
import { parseJsonObject, readBody, sendJson } from '../http-io.ts';
import type { GatewayContext, Runtime } from '../runtime.ts';
import { providerCapabilities, providerState, providerSummary } from './catalogue.ts';
import { cooldownView } from './cooldowns.ts';
import { redactSecrets } from '../runtime.ts';

function entryOf(runtime: Runtime, name: string): ProviderEntry {
  const entry = runtime.built.entries.get(name);
  if (entry === undefined) throw new GatewayError(404, 'provider_not_found', `provider ${name} not found`, { retryable: false });
  return entry;
}

export function listProvidersRoute(response: GatewayResponse, context: GatewayContext, query: URLSearchParams): void {
  const runtime = context.current();
  const type = query.get('type');
  const enabledOnly = query.get('enabled');
  let providers = type === null ? runtime.built.registry.listAll() : runtime.built.registry.listByType(type as never);
  if (enabledOnly === 'true') providers = providers.filter((provider) => runtime.built.registry.isEnabled(provider.name()));
  const data = providers.map((provider) => providerSummary(runtime, entryOf(runtime, provider.name())));
  sendJson(response, 200, { object: 'list', data });
}

export function getProviderRoute(response: GatewayResponse, context: GatewayContext, name: string): void {
  const runtime = context.current();
  const entry = entryOf(runtime, name);
  const settings = entry.http?.settings;
  sendJson(response, 200, {
    ...providerSummary(runtime, entry),
    features: settings?.features ?? null,
    model_mappings: entry.mappings,
    headers: settings === undefined ? [] : Object.keys(settings.headers),
    limits: runtime.config.providers[name]?.limits ?? null,
    cooldown: runtime.config.providers[name]?.cooldown ?? null,
  });
}

export async function setEnabledRoute(request: GatewayRequest, response: GatewayResponse, context: GatewayContext, name: string): Promise<void> {
  const runtime = context.current();
  runtime.auth.requireManagement(request);
  entryOf(runtime, name);
  const body = parseJsonObject(await readBody(request, 64 * 1024));
  if (typeof body.enabled !== 'boolean') {
    throw new GatewayError(400, 'invalid_request', 'body must be {"enabled": true|false}', { param: 'enabled', retryable: false });
  }
  context.setEnabled(name, body.enabled);
  context.logger.info({ provider: name, enabled: body.enabled }, 'provider switched');
  const current = context.current();
  sendJson(response, 200, providerSummary(current, entryOf(current, name)));
}

export function providerModelsRoute(response: GatewayResponse, context: GatewayContext, name: string): void {
  const runtime = context.current();
  const entry = entryOf(runtime, name);
  const data = entry.provider.listModels().map((model) => ({
    id: model.name,
    object: 'model',
    owned_by: name,
    enabled: model.enabled,
    capabilities: model.capabilities,
    max_output_tokens: model.maxOutputTokens ?? null,
  }));
  const aliases = Object.entries(entry.mappings).map(([alias, upstream]) => ({ alias, upstream_model: upstream }));
  sendJson(response, 200, { object: 'list', provider: name, data, aliases });
}

export function providerCapabilitiesRoute(response: GatewayResponse, context: GatewayContext, name: string): void {
  const runtime = context.current();
  sendJson(response, 200, providerCapabilities(entryOf(runtime, name)));
}

export async function providerStatusRoute(response: GatewayResponse, context: GatewayContext, name: string, query: URLSearchParams): Promise<void> {
  const runtime = context.current();
  const entry = entryOf(runtime, name);
  const figures = context.stats.figures(name);
  const now = context.clock.now();
  const cooldowns = (await context.cooldowns.list()).filter((cooldown) => cooldown.provider === name).map((cooldown) => cooldownView(cooldown, now));
  let state: string = providerState(runtime, entry);
  if (state === 'enabled') {
    const recentFailure = figures.last_error !== null && (figures.last_success_at === null || figures.last_error.at > figures.last_success_at);
    const usable = entry.credentials.length === 0 ? 1 : entry.credentials.length;
    const coolingCredentials = new Set(cooldowns.map((cooldown) => cooldown.credential)).size;
    state = coolingCredentials >= usable && cooldowns.length > 0 ? 'cooling' : figures.requests === 0 ? 'idle' : recentFailure ? 'degraded' : 'healthy';
  }
  const limits: Record<string, unknown> = { provider: await context.limits.usage({ key: `provider:${name}`, limits: entry.limits }) };
  for (const credential of entry.credentials) {
    if (credential.limits !== undefined) limits[credential.id] = await context.limits.usage({ key: `credential:${name}|${credential.fingerprint}`, limits: credential.limits });
  }
  let health: Record<string, unknown> | undefined;
  if (query.get('check') === 'true') {
    const started = performance.now();
    try {
      await entry.provider.healthCheck(AbortSignal.timeout(10_000));
      health = { ok: true, latency_ms: Math.round((performance.now() - started) * 100) / 100 };
    } catch (error) {
      health = { ok: false, error: redactSecrets((error as Error).message, runtime.secrets) };
    }
  }
  sendJson(response, 200, {
    provider: name,
    enabled: runtime.built.registry.isEnabled(name),
    state,
    ...figures,
    cooldowns,
    limits,
    ...(health === undefined ? {} : { health }),
  });
}
