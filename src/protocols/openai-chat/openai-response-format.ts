/** OpenAI `response_format` ⇄ IR response format (`text`, `json_object`, `json_schema`). */
import type { ResponseFormat } from '../ir.ts';
import { booleanOrUndefined, isRecord, stringOrUndefined } from '../shared/json-value-guards.ts';

export function parseOpenAIResponseFormat(value: unknown): ResponseFormat | undefined {
  if (!isRecord(value)) return undefined;
  if (value['type'] === 'text') return { type: 'text' };
  if (value['type'] === 'json_object') return { type: 'json-object' };
  if (value['type'] !== 'json_schema' || !isRecord(value['json_schema'])) return undefined;
  const jsonSchema = value['json_schema'];
  const format: ResponseFormat = { type: 'json-schema', schema: isRecord(jsonSchema['schema']) ? jsonSchema['schema'] : {} };
  const name = stringOrUndefined(jsonSchema['name']);
  if (name !== undefined) format.name = name;
  const strict = booleanOrUndefined(jsonSchema['strict']);
  if (strict !== undefined) format.strict = strict;
  const description = stringOrUndefined(jsonSchema['description']);
  if (description !== undefined) format.description = description;
  return format;
}

export function renderOpenAIResponseFormat(format: ResponseFormat): Record<string, unknown> {
  if (format.type === 'text') return { type: 'text' };
  if (format.type === 'json-object') return { type: 'json_object' };
  // OpenAI requires a name; other formats may not carry one.
  const jsonSchema: Record<string, unknown> = { name: format.name ?? 'response', schema: format.schema };
  if (format.strict !== undefined) jsonSchema['strict'] = format.strict;
  if (format.description !== undefined) jsonSchema['description'] = format.description;
  return { type: 'json_schema', json_schema: jsonSchema };
}
