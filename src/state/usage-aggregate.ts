/** Filtering and grouping usage records: shared by drivers that keep records in process. */
import type { UsageAggregate, UsageGroup, UsageQuery, UsageRecord } from './types.ts';

export function filterUsage(records: readonly UsageRecord[], query: UsageQuery): UsageRecord[] {
  return records.filter((record) =>
    (query.from === undefined || record.time >= query.from) &&
    (query.to === undefined || record.time < query.to) &&
    (query.model === undefined || record.model === query.model) &&
    (query.provider === undefined || record.provider === query.provider) &&
    (query.client === undefined || record.client === query.client));
}

export function groupKey(record: UsageRecord, group: UsageGroup): string {
  switch (group) {
    case 'hour':
      return new Date(Math.floor(record.time / 3_600_000) * 3_600_000).toISOString();
    case 'day':
      return new Date(Math.floor(record.time / 86_400_000) * 86_400_000).toISOString();
    case 'model':
      return record.model;
    case 'provider':
      return record.provider;
    case 'client':
      return record.client;
  }
}

export function aggregateUsage(records: readonly UsageRecord[], group: UsageGroup): UsageAggregate[] {
  const groups = new Map<string, UsageAggregate & { latencyTotal: number }>();
  for (const record of records) {
    const key = groupKey(record, group);
    let entry = groups.get(key);
    if (entry === undefined) {
      entry = { key, requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, reasoningTokens: 0, latencyMs: 0, latencyTotal: 0 };
      groups.set(key, entry);
    }
    entry.requests++;
    if (record.status >= 400) entry.errors++;
    entry.inputTokens += record.inputTokens;
    entry.outputTokens += record.outputTokens;
    entry.cachedTokens += record.cachedTokens;
    entry.reasoningTokens += record.reasoningTokens;
    entry.latencyTotal += record.latencyMs;
  }
  return [...groups.values()]
    .map(({ latencyTotal, ...entry }) => ({ ...entry, latencyMs: entry.requests === 0 ? 0 : Math.round((latencyTotal / entry.requests) * 100) / 100 }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

/** Identifies a record for idempotent imports. */
export function usageIdentity(record: UsageRecord): string {
  return [record.time, record.client, record.provider, record.credential, record.model, record.inputTokens, record.outputTokens, record.latencyMs, record.status].join('|');
}
