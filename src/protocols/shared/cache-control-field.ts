/**
 * The `cache_control` field: `{type:"ephemeral", ttl?}` in Anthropic blocks and in the
 * OpenAI-compatible bodies that pass it on to Claude (OpenRouter). Same shape in both.
 */
import type { CacheControl } from '../ir.ts';
import { isRecord } from './json-value-guards.ts';

export function parseCacheControl(value: unknown): CacheControl | undefined {
  if (!isRecord(value) || value['type'] !== 'ephemeral') return undefined;
  const cacheControl: CacheControl = { type: 'ephemeral' };
  if (typeof value['ttl'] === 'string') cacheControl.ttl = value['ttl'];
  return cacheControl;
}

export function renderCacheControl(cacheControl: CacheControl): { type: 'ephemeral'; ttl?: string } {
  return cacheControl.ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl: cacheControl.ttl };
}
