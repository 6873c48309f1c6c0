/**
 * Narrowing helpers for JSON read off the wire. Bodies arrive as `unknown`; these keep the
 * parsers free of casts and of `any` while tolerating fields a vendor leaves out or nulls.
 */

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function booleanOrUndefined(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

export function recordOrUndefined(value: unknown): JsonRecord | undefined {
  return isRecord(value) ? value : undefined;
}

/** Copies the entries of `source` whose keys are not in `known`: the vendor fields we keep verbatim. */
export function pickUnknownFields(source: JsonRecord, known: ReadonlySet<string>): JsonRecord {
  const rest: JsonRecord = {};
  for (const [key, value] of Object.entries(source)) {
    if (!known.has(key)) rest[key] = value;
  }
  return rest;
}

/** Parses JSON text, answering undefined instead of throwing (upstreams send broken JSON too). */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
