/**
 * OpenAI `tools` and `tool_choice` ⇄ IR. Only `function` tools have an IR form; other tool
 * types (`custom`) are dropped. Unknown keys of a function object are kept in the tool's
 * `extra` and rendered back only to OpenAI Chat.
 */
import type { ToolChoice, ToolDefinition } from '../ir.ts';
import { booleanOrUndefined, isRecord, pickUnknownFields, stringOrUndefined } from '../shared/json-value-guards.ts';
import { invalidRequest } from '../shared/invalid-request-error.ts';
import type { OpenAITool, OpenAIToolChoice } from './types.ts';

const KNOWN_FUNCTION_FIELDS: ReadonlySet<string> = new Set(['name', 'description', 'parameters', 'strict']);

export function parseOpenAITools(tools: unknown): ToolDefinition[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw invalidRequest('tools', 'must be an array');
  const definitions: ToolDefinition[] = [];
  tools.forEach((tool, index) => {
    if (!isRecord(tool) || tool['type'] !== 'function') return;
    const fn = tool['function'];
    if (!isRecord(fn) || typeof fn['name'] !== 'string') throw invalidRequest(`tools[${index}].function.name`, 'is required');
    const definition: ToolDefinition = { name: fn['name'], parameters: isRecord(fn['parameters']) ? fn['parameters'] : {} };
    const description = stringOrUndefined(fn['description']);
    if (description !== undefined) definition.description = description;
    const strict = booleanOrUndefined(fn['strict']);
    if (strict !== undefined) definition.strict = strict;
    const extra = pickUnknownFields(fn, KNOWN_FUNCTION_FIELDS);
    if (Object.keys(extra).length > 0) definition.extra = extra;
    definitions.push(definition);
  });
  return definitions;
}

export function renderOpenAITool(tool: ToolDefinition, sameFormat: boolean): OpenAITool {
  const fn: OpenAITool['function'] = sameFormat && tool.extra !== undefined ? { ...tool.extra, name: tool.name } : { name: tool.name };
  if (tool.description !== undefined) fn.description = tool.description;
  // An empty schema means the client sent none; OpenAI accepts a function without parameters.
  if (Object.keys(tool.parameters).length > 0) fn.parameters = tool.parameters;
  if (tool.strict !== undefined) fn.strict = tool.strict;
  return { type: 'function', function: fn };
}

/** Mistral spells `required` as `any`; `allowed_tools` and other newer shapes are left to the upstream default. */
export function parseOpenAIToolChoice(value: unknown): ToolChoice | undefined {
  if (value === 'auto' || value === 'none' || value === 'required') return { type: value };
  if (value === 'any') return { type: 'required' };
  if (isRecord(value) && isRecord(value['function']) && typeof value['function']['name'] === 'string') {
    return { type: 'tool', name: value['function']['name'] };
  }
  return undefined;
}

export function renderOpenAIToolChoice(choice: ToolChoice): OpenAIToolChoice {
  return choice.type === 'tool' ? { type: 'function', function: { name: choice.name } } : choice.type;
}
