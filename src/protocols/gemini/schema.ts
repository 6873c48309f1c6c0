/**
 * JSON Schema ⇄ the OpenAPI-3.0 subset Gemini accepts in `functionDeclarations[].parameters`
 * and `generationConfig.responseSchema`.
 *
 * Going out, Gemini answers 400 to much of ordinary JSON Schema, so the schema is rewritten:
 * `$ref` is inlined from `$defs`/`definitions` (a cycle becomes a bare `object`), `const`
 * becomes a one-value `enum`, `["string","null"]` becomes `type` + `nullable`, a `null`
 * branch of `anyOf`/`oneOf` becomes `nullable`, `allOf` is merged, non-string enums move
 * into the description, and only the keys Gemini documents survive (`$schema`,
 * `additionalProperties`, `default`, `examples`, `pattern`, … are dropped). Formats other
 * than the few Gemini knows are dropped. An object with no properties loses `properties`
 * (Gemini rejects an empty one).
 *
 * Coming in, Gemini's schema (upper-case types, `nullable`) becomes JSON Schema so that
 * other targets can use it.
 */
import { isRecord } from '../shared/json-value-guards.ts';
import type { JsonRecord } from '../shared/json-value-guards.ts';

const KEPT_KEYS = new Set(['description', 'title', 'minItems', 'maxItems', 'minimum', 'maximum', 'minProperties', 'maxProperties', 'propertyOrdering']);
const STRING_FORMATS = new Set(['enum', 'date-time']);
const NUMBER_FORMATS = new Set(['float', 'double', 'int32', 'int64']);
const MAX_REF_DEPTH = 16;

/**
 * @example
 * toGeminiSchema({ type: 'object', properties: { a: { type: ['string', 'null'] } }, additionalProperties: false })
 * // { type: 'object', properties: { a: { type: 'string', nullable: true } } }
 */
export function toGeminiSchema(schema: unknown): JsonRecord {
  if (!isRecord(schema)) return {};
  const definitions: JsonRecord = {};
  collectDefinitions(schema, definitions);
  return convert(schema, definitions, []);
}

function collectDefinitions(schema: JsonRecord, into: JsonRecord): void {
  for (const key of ['$defs', 'definitions']) {
    const defs = schema[key];
    if (isRecord(defs)) {
      for (const [name, value] of Object.entries(defs)) {
        into[`#/${key}/${name}`] = value;
      }
    }
  }
}

function convert(input: JsonRecord, definitions: JsonRecord, refStack: string[]): JsonRecord {
  let schema = input;
  const ref = schema['$ref'];
  if (typeof ref === 'string') {
    const target = definitions[ref];
    if (!isRecord(target) || refStack.includes(ref) || refStack.length >= MAX_REF_DEPTH) {
      // Gemini has no references: a recursive or dangling one ends as a free-form object.
      const fallback: JsonRecord = { type: 'object' };
      if (typeof schema['description'] === 'string') fallback['description'] = schema['description'];
      return fallback;
    }
    collectDefinitions(target, definitions);
    const { $ref: _ignored, ...siblings } = schema;
    return convert({ ...target, ...siblings }, definitions, [...refStack, ref]);
  }
  collectDefinitions(schema, definitions);

  const allOf = schema['allOf'];
  if (Array.isArray(allOf)) {
    schema = mergeAllOf(schema, allOf);
  }

  const output: JsonRecord = {};
  let nullable = schema['nullable'] === true;

  // type: a list becomes one type (+ nullable) or an anyOf of the types.
  let type = schema['type'];
  if (Array.isArray(type)) {
    const types = type.filter((entry): entry is string => typeof entry === 'string');
    if (types.includes('null')) nullable = true;
    const concrete = types.filter((entry) => entry !== 'null');
    if (concrete.length === 1) type = concrete[0];
    else if (concrete.length > 1) {
      output['anyOf'] = concrete.map((entry) => convert({ ...schema, type: entry, nullable: false }, definitions, refStack));
      type = undefined;
    } else type = undefined;
  }
  if (typeof type === 'string') output['type'] = type.toLowerCase();

  const union = Array.isArray(schema['anyOf']) ? schema['anyOf'] : Array.isArray(schema['oneOf']) ? schema['oneOf'] : undefined;
  if (union !== undefined && output['anyOf'] === undefined) {
    const branches = union.filter(isRecord);
    const nonNull = branches.filter((branch) => branch['type'] !== 'null');
    if (nonNull.length < branches.length) nullable = true;
    if (nonNull.length === 1 && nonNull[0] !== undefined) {
      // A single remaining branch is just the schema itself.
      const merged = convert(nonNull[0], definitions, refStack);
      for (const [key, value] of Object.entries(merged)) {
        if (output[key] === undefined) output[key] = value;
      }
    } else if (nonNull.length > 1) {
      output['anyOf'] = nonNull.map((branch) => convert(branch, definitions, refStack));
    }
  }

  for (const key of KEPT_KEYS) {
    const value = schema[key];
    if (value !== undefined && output[key] === undefined) output[key] = value;
  }

  const format = schema['format'];
  if (typeof format === 'string') {
    const kind = output['type'];
    if ((kind === 'string' && STRING_FORMATS.has(format)) || ((kind === 'number' || kind === 'integer') && NUMBER_FORMATS.has(format))) {
      output['format'] = format;
    }
  }

  const constant = schema['const'];
  const values = Array.isArray(schema['enum']) ? schema['enum'] : constant !== undefined ? [constant] : undefined;
  if (values !== undefined) {
    const nonNullValues = values.filter((value) => value !== null);
    if (nonNullValues.length < values.length) nullable = true;
    if (nonNullValues.every((value) => typeof value === 'string')) {
      output['enum'] = nonNullValues;
      if (output['type'] === undefined) output['type'] = 'string';
    } else {
      // Gemini enums are strings only: keep the constraint for the model in words.
      const allowed = `Allowed values: ${nonNullValues.map((value) => JSON.stringify(value)).join(', ')}`;
      const description = output['description'];
      output['description'] = typeof description === 'string' && description !== '' ? `${description}\n${allowed}` : allowed;
    }
  }

  const properties = schema['properties'];
  if (isRecord(properties)) {
    const converted: JsonRecord = {};
    for (const [name, value] of Object.entries(properties)) {
      converted[name] = isRecord(value) ? convert(value, definitions, refStack) : {};
    }
    if (Object.keys(converted).length > 0) {
      output['properties'] = converted;
      if (output['type'] === undefined) output['type'] = 'object';
      const required = schema['required'];
      if (Array.isArray(required)) {
        const present = required.filter((name): name is string => typeof name === 'string' && name in converted);
        if (present.length > 0) output['required'] = present;
      }
    } else if (output['type'] === undefined) {
      output['type'] = 'object';
    }
  }

  const items = schema['items'];
  const itemSchema = Array.isArray(items) ? items.find(isRecord) : items;
  if (isRecord(itemSchema)) {
    output['items'] = convert(itemSchema, definitions, refStack);
    if (output['type'] === undefined) output['type'] = 'array';
  } else if (output['type'] === 'array') {
    // Gemini requires `items` on an array.
    output['items'] = { type: 'string' };
  }

  if (nullable) output['nullable'] = true;
  return output;
}

function mergeAllOf(schema: JsonRecord, allOf: unknown[]): JsonRecord {
  const { allOf: _ignored, ...base } = schema;
  const merged: JsonRecord = { ...base };
  const properties: JsonRecord = isRecord(base['properties']) ? { ...base['properties'] } : {};
  const required = new Set<string>(Array.isArray(base['required']) ? base['required'].filter((name): name is string => typeof name === 'string') : []);
  for (const branch of allOf) {
    if (!isRecord(branch)) continue;
    for (const [key, value] of Object.entries(branch)) {
      if (key === 'properties' && isRecord(value)) Object.assign(properties, value);
      else if (key === 'required' && Array.isArray(value)) {
        for (const name of value) if (typeof name === 'string') required.add(name);
      } else if (merged[key] === undefined) merged[key] = value;
    }
  }
  if (Object.keys(properties).length > 0) merged['properties'] = properties;
  if (required.size > 0) merged['required'] = [...required];
  return merged;
}

/**
 * Gemini schema → JSON Schema: types lower-cased, `nullable: true` folded into a type list.
 *
 * @example
 * fromGeminiSchema({ type: 'OBJECT', properties: { n: { type: 'NUMBER', nullable: true } } })
 * // { type: 'object', properties: { n: { type: ['number', 'null'] } } }
 */
export function fromGeminiSchema(schema: unknown): JsonRecord {
  if (!isRecord(schema)) return {};
  const output: JsonRecord = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'nullable') continue;
    if (key === 'type' && typeof value === 'string') output['type'] = value.toLowerCase();
    else if (key === 'properties' && isRecord(value)) {
      const properties: JsonRecord = {};
      for (const [name, property] of Object.entries(value)) properties[name] = fromGeminiSchema(property);
      output['properties'] = properties;
    } else if (key === 'items' && isRecord(value)) output['items'] = fromGeminiSchema(value);
    else if (key === 'anyOf' && Array.isArray(value)) output['anyOf'] = value.map((branch) => fromGeminiSchema(branch));
    else output[key] = value;
  }
  if (schema['nullable'] === true) {
    const type = output['type'];
    if (typeof type === 'string') output['type'] = [type, 'null'];
    else if (Array.isArray(output['anyOf'])) output['anyOf'] = [...output['anyOf'], { type: 'null' }];
  }
  return output;
}
