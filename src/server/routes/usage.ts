/**
 * Usage statistics (management key): `GET /v0/management/usage` with filters `from`, `to`
 * (ISO time or unix ms), `model`, `provider`, `key` (a client key's hash, as recorded),
 * `group_by` (`hour`, `day`, `model`, `provider`, `key`) and `limit`; without `group_by`, the
 * records newest first. `GET /v0/management/usage/export` returns every record in range as
 * JSON; `POST /v0/management/usage/import` takes that JSON back (idempotent).
 */
import type { GatewayRequest, GatewayResponse } from '../types.ts';
import { GatewayError } from '../../errors.ts';
import type { UsageGroup, UsageQuery, UsageRecord } from '../../state/types.ts';
import { parseJsonObject, readBody, sendJson } from '../http-io.ts';
import type { GatewayContext } from '../runtime.ts';

const GROUPS: Record<string, UsageGroup> = { hour: 'hour', day: 'day', model: 'model', provider: 'provider', key: 'client', client: 'client' };

function time(value: string | null, name: string): number | undefined {
  if (value === null || value === '') return undefined;
  const parsed = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(parsed)) throw new GatewayError(400, 'invalid_request', `${name}: not a time (ISO 8601 or unix ms): ${value}`, { param: name, retryable: false });
  return parsed;
}

function queryFrom(search: URLSearchParams): UsageQuery {
  const groupName = search.get('group_by');
  const group = groupName === null ? undefined : GROUPS[groupName];
  if (groupName !== null && group === undefined) {
    throw new GatewayError(400, 'invalid_request', `group_by must be one of hour, day, model, provider, key`, { param: 'group_by', retryable: false });
  }
  const limit = search.get('limit');
  return {
    from: time(search.get('from'), 'from'),
    to: time(search.get('to'), 'to'),
    model: search.get('model') ?? undefined,
    provider: search.get('provider') ?? undefined,
    client: search.get('key') ?? undefined,
    groupBy: group,
    limit: limit === null ? undefined : Math.max(1, Math.min(100_000, Number(limit) || 1000)),
  };
}

export async function usageRoute(request: GatewayRequest, response: GatewayResponse, context: GatewayContext, search: URLSearchParams): Promise<void> {
  context.current().auth.requireManagement(request);
  const query = queryFrom(search);
  const data = await context.state.queryUsage(query);
  sendJson(response, 200, { object: 'list', group_by: search.get('group_by'), data });
}

export async function exportUsageRoute(request: GatewayRequest, response: GatewayResponse, context: GatewayContext, search: URLSearchParams): Promise<void> {
  context.current().auth.requireManagement(request);
  const query = { ...queryFrom(search), groupBy: undefined, limit: Number.MAX_SAFE_INTEGER };
  const records = (await context.state.queryUsage(query)) as UsageRecord[];
  sendJson(response, 200, { version: 1, exported_at: new Date(context.clock.now()).toISOString(), records }, {
    'content-disposition': 'attachment; filename="cliproxy-usage.json"',
  });
}

const FIELDS: Array<[keyof UsageRecord, 'number' | 'string']> = [
  ['time', 'number'], ['client', 'string'], ['provider', 'string'], ['credential', 'string'], ['model', 'string'],
  ['inputTokens', 'number'], ['outputTokens', 'number'], ['cachedTokens', 'number'], ['reasoningTokens', 'number'],
  ['latencyMs', 'number'], ['status', 'number'],
];

export async function importUsageRoute(request: GatewayRequest, response: GatewayResponse, context: GatewayContext): Promise<void> {
  context.current().auth.requireManagement(request);
  const body = parseJsonObject(await readBody(request, context.current().config.maxBodySize));
  if (!Array.isArray(body.records)) throw new GatewayError(400, 'invalid_request', 'body must be an export: {"records": [...]}', { param: 'records', retryable: false });
  const records: UsageRecord[] = [];
  body.records.forEach((item: unknown, index: number) => {
    const record = item as Record<string, unknown>;
    for (const [field, type] of FIELDS) {
      if (typeof record?.[field] !== type) {
        throw new GatewayError(400, 'invalid_request', `records[${index}].${field} must be a ${type}`, { param: `records[${index}].${field}`, retryable: false });
      }
    }
    records.push(Object.fromEntries(FIELDS.map(([field]) => [field, record[field]])) as unknown as UsageRecord);
  });
  const imported = await context.state.importUsage(records);
  sendJson(response, 200, { received: records.length, imported });
}
