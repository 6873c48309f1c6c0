/**
 * `GET /v0/management/cooldowns` lists live cooldowns (provider, credential id, model,
 * reason, status, message, since, until, seconds left); `DELETE` clears them all, or those
 * matching `?provider=`, `?credential=`, `?model=`, `?key=`. Both need the management key.
 */
import type { GatewayRequest, GatewayResponse } from '../types.ts';
import { sendJson } from '../http-io.ts';
import type { GatewayContext } from '../runtime.ts';
import type { Cooldown } from '../../state/types.ts';

export function cooldownView(cooldown: Cooldown, now: number): Record<string, unknown> {
  return {
    key: cooldown.key,
    provider: cooldown.provider,
    credential: cooldown.credential,
    model: cooldown.model,
    reason: cooldown.reason,
    status: cooldown.status,
    message: cooldown.message,
    strikes: cooldown.strikes,
    since: new Date(cooldown.since).toISOString(),
    until: new Date(cooldown.until).toISOString(),
    remaining_seconds: Math.max(0, Math.ceil((cooldown.until - now) / 1000)),
  };
}

export async function listCooldownsRoute(request: GatewayRequest, response: GatewayResponse, context: GatewayContext, query: URLSearchParams): Promise<void> {
  context.current().auth.requireManagement(request);
  const now = context.clock.now();
  const provider = query.get('provider');
  const list = (await context.cooldowns.list()).filter((cooldown) => provider === null || cooldown.provider === provider);
  list.sort((a, b) => a.until - b.until);
  sendJson(response, 200, { object: 'list', data: list.map((cooldown) => cooldownView(cooldown, now)) });
}

export async function clearCooldownsRoute(request: GatewayRequest, response: GatewayResponse, context: GatewayContext, query: URLSearchParams): Promise<void> {
  context.current().auth.requireManagement(request);
  const filter: { key?: string; provider?: string; credential?: string; model?: string } = {};
  for (const name of ['key', 'provider', 'credential', 'model'] as const) {
    const value = query.get(name);
    if (value !== null && value !== '') filter[name] = value;
  }
  const cleared = await context.cooldowns.clear(filter);
  context.logger.info({ filter, cleared }, 'cooldowns cleared');
  sendJson(response, 200, { cleared });
}
