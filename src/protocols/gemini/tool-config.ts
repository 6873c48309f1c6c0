/**
 * Gemini `tools` and `toolConfig.functionCallingConfig` ⇄ IR tools and tool choice.
 *
 * Function declarations become IR tools; Gemini's own tools (googleSearch, codeExecution,
 * urlContext, …) have no equivalent elsewhere and are kept verbatim for a Gemini upstream
 * only. Modes: AUTO ⇄ auto, NONE ⇄ none, ANY ⇄ required, ANY with exactly one allowed name
 * ⇄ a named tool. What the IR cannot say (several allowed names, VALIDATED) is kept as the
 * original `toolConfig` for a same-format render.
 */
import type { ToolChoice, ToolDefinition } from '../ir.ts';
import { invalidRequest } from '../shared/invalid-request-error.ts';
import { isRecord, stringOrUndefined } from '../shared/json-value-guards.ts';
import type { JsonRecord } from '../shared/json-value-guards.ts';
import { camelizeKeys } from './camelize.ts';
import { fromGeminiSchema, toGeminiSchema } from './schema.ts';
import type { GeminiFunctionDeclaration, GeminiSourceHints } from './types.ts';

const DECLARATION_KEYS = new Set(['name', 'description', 'parameters', 'parametersJsonSchema']);

export interface ParsedGeminiTools {
  tools: ToolDefinition[];
  hostedTools: JsonRecord[];
  toolParameters: NonNullable<GeminiSourceHints['toolParameters']>;
}

export function parseGeminiTools(value: unknown): ParsedGeminiTools {
  const parsed: ParsedGeminiTools = { tools: [], hostedTools: [], toolParameters: {} };
  if (value === undefined) return parsed;
  if (!Array.isArray(value)) throw invalidRequest('tools', 'must be an array');
  value.forEach((rawEntry, entryIndex) => {
    if (!isRecord(rawEntry)) throw invalidRequest(`tools[${entryIndex}]`, 'must be an object');
    const entry = camelizeKeys(rawEntry);
    const { functionDeclarations, ...hosted } = entry;
    if (Object.keys(hosted).length > 0) parsed.hostedTools.push(hosted);
    if (functionDeclarations === undefined) return;
    if (!Array.isArray(functionDeclarations)) throw invalidRequest(`tools[${entryIndex}].functionDeclarations`, 'must be an array');
    functionDeclarations.forEach((rawDeclaration, index) => {
      const path = `tools[${entryIndex}].functionDeclarations[${index}]`;
      if (!isRecord(rawDeclaration)) throw invalidRequest(path, 'must be an object');
      const declaration = camelizeKeys(rawDeclaration);
      const name = stringOrUndefined(declaration['name']);
      if (name === undefined || name === '') throw invalidRequest(`${path}.name`, 'is required');
      const tool: ToolDefinition = { name, parameters: { type: 'object', properties: {} } };
      const description = stringOrUndefined(declaration['description']);
      if (description !== undefined) tool.description = description;
      if (isRecord(declaration['parametersJsonSchema'])) {
        tool.parameters = declaration['parametersJsonSchema'];
        parsed.toolParameters[name] = { key: 'parametersJsonSchema', schema: declaration['parametersJsonSchema'] };
      } else if (isRecord(declaration['parameters'])) {
        tool.parameters = fromGeminiSchema(declaration['parameters']);
        parsed.toolParameters[name] = { key: 'parameters', schema: declaration['parameters'] };
      }
      const extra: JsonRecord = {};
      for (const [key, field] of Object.entries(declaration)) {
        if (!DECLARATION_KEYS.has(key)) extra[key] = field;
      }
      if (Object.keys(extra).length > 0) tool.extra = extra;
      parsed.tools.push(tool);
    });
  });
  return parsed;
}

/** Renders one IR tool as a function declaration; `hints` restore a Gemini client's own schema. */
export function renderFunctionDeclaration(tool: ToolDefinition, hints: GeminiSourceHints | undefined): GeminiFunctionDeclaration {
  const declaration: GeminiFunctionDeclaration = { name: tool.name };
  if (tool.description !== undefined) declaration.description = tool.description;
  const original = hints?.toolParameters?.[tool.name];
  if (original !== undefined && isRecord(original.schema)) {
    declaration[original.key] = original.schema;
  } else {
    const schema = toGeminiSchema(tool.parameters);
    // Gemini rejects an OBJECT whose properties are empty: a tool without arguments sends none.
    if (!(schema['type'] === 'object' && schema['properties'] === undefined)) declaration.parameters = schema;
  }
  if (hints !== undefined && tool.extra !== undefined) Object.assign(declaration, tool.extra);
  return declaration;
}

export interface ParsedToolConfig {
  toolChoice?: ToolChoice;
  /** Set when the IR tool choice cannot say everything the original did. */
  lossy: boolean;
}

export function parseToolConfig(value: unknown): ParsedToolConfig {
  if (!isRecord(value)) return { lossy: false };
  const config = camelizeKeys(value);
  const otherKeys = Object.keys(config).filter((key) => key !== 'functionCallingConfig');
  const calling = isRecord(config['functionCallingConfig']) ? camelizeKeys(config['functionCallingConfig']) : undefined;
  if (calling === undefined) return { lossy: otherKeys.length > 0 };
  const mode = stringOrUndefined(calling['mode'])?.toUpperCase();
  const names = Array.isArray(calling['allowedFunctionNames']) ? calling['allowedFunctionNames'].filter((name): name is string => typeof name === 'string') : [];
  const extraCallingKeys = Object.keys(calling).some((key) => key !== 'mode' && key !== 'allowedFunctionNames');
  let toolChoice: ToolChoice | undefined;
  let lossy = otherKeys.length > 0 || extraCallingKeys;
  if (mode === 'AUTO') {
    toolChoice = { type: 'auto' };
    lossy ||= names.length > 0;
  } else if (mode === 'NONE') {
    toolChoice = { type: 'none' };
  } else if (mode === 'ANY') {
    const only = names.length === 1 ? names[0] : undefined;
    toolChoice = only === undefined ? { type: 'required' } : { type: 'tool', name: only };
    lossy ||= names.length > 1;
  } else {
    // VALIDATED behaves like AUTO with schema adherence; MODE_UNSPECIFIED is AUTO.
    toolChoice = { type: 'auto' };
    lossy = true;
  }
  return { toolChoice, lossy };
}

export function renderToolConfig(choice: ToolChoice): Record<string, unknown> {
  switch (choice.type) {
    case 'none':
      return { functionCallingConfig: { mode: 'NONE' } };
    case 'required':
      return { functionCallingConfig: { mode: 'ANY' } };
    case 'tool':
      return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.name] } };
    default:
      return { functionCallingConfig: { mode: 'AUTO' } };
  }
}
