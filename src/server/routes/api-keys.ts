/**
 * API keys added at run time, per provider (management key): `GET
 * /v0/management/providers/{name}/api-keys` (ids and masked tails only), `POST` with
 * `{"key": "...", "name"?: "...", "weight"?: 2}`, `DELETE …/api-keys/{id}`. They are kept in
 * `<data_dir>/api-keys.json` and apply to the next request.
 */
import type { GatewayRequest, GatewayResponse } from '../types.ts';
import { GatewayError } from '../../errors.ts';
import { maskSecret } from '../../providers/credentials.ts';
import { parseJsonObject, readBody, sendJson } from '../http-io.ts';
import type { GatewayContext } from '../runtime.ts';

function requireProvider(context: GatewayContext, name: string): void {
  if (!context.current().built.entries.has(name)) throw new GatewayError(404, 'provider_not_found', `provider ${name} not found`, { retryable: false });
}

export function listKeysRoute(request: GatewayRequest, response: GatewayResponse, context: GatewayContext, name: string): void {
  context.current().auth.requireManagement(request);
  requireProvider(context, name);
  const data = context.keys.list(name).map((key) => ({ id: key.id, masked: maskSecret(key.key), weight: key.weight ?? 1, created_at: key.created_at }));
  sendJson(response, 200, { object: 'list', provider: name, data });
}

export async function addKeyRoute(request: GatewayRequest, response: GatewayResponse, context: GatewayContext, name: string): Promise<void> {
  context.current().auth.requireManagement(request);
  requireProvider(context, name);
  const body = parseJsonObject(await readBody(request, 64 * 1024));
  if (typeof body.key !== 'string' || body.key.trim() === '') throw new GatewayError(400, 'invalid_request', 'key must be a non-empty string', { param: 'key', retryable: false });
  if (body.name !== undefined && (typeof body.name !== 'string' || !/^[\w.-]{1,64}$/.test(body.name))) {
    throw new GatewayError(400, 'invalid_request', 'name: letters, digits, ".", "-" and "_", at most 64', { param: 'name', retryable: false });
  }
  if (body.weight !== undefined && (typeof body.weight !== 'number' || !(body.weight > 0))) {
    throw new GatewayError(400, 'invalid_request', 'weight must be a positive number', { param: 'weight', retryable: false });
  }
  const stored = await context.keys.add(name, body.key.trim(), body.name as string | undefined, body.weight as number | undefined, context.clock.now());
  await context.rebuild();
  context.logger.info({ provider: name, key: stored.id }, 'API key added');
  sendJson(response, 201, { id: stored.id, provider: name, masked: maskSecret(stored.key), created_at: stored.created_at });
}

export async function deleteKeyRoute(request: GatewayRequest, response: GatewayResponse, context: GatewayContext, name: string, id: string): Promise<void> {
  context.current().auth.requireManagement(request);
  requireProvider(context, name);
  if (!(await context.keys.remove(name, id))) throw new GatewayError(404, 'not_found', `no added key ${id} for ${name}`, { retryable: false });
  await context.rebuild();
  sendJson(response, 200, { deleted: id });
}
