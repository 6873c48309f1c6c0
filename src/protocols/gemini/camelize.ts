/**
 * Gemini's REST API accepts snake_case field names as well as camelCase (proto JSON), and
 * Google's own curl examples use `system_instruction`, `generation_config`, `inline_data`.
 * Structural objects are camelized one level at a time, never user data (args, schemas).
 */
import type { JsonRecord } from '../shared/json-value-guards.ts';

export function camelizeKeys(record: JsonRecord): JsonRecord {
  let changed = false;
  for (const key of Object.keys(record)) {
    if (key.includes('_')) changed = true;
  }
  if (!changed) return record;
  const output: JsonRecord = {};
  for (const [key, value] of Object.entries(record)) {
    const camel = key.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
    if (output[camel] === undefined) output[camel] = value;
  }
  return output;
}
