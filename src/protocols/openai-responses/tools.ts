/**
 * Responses `tools` and `tool_choice` ⇄ IR. Function tools are flat here
 * (`{type:"function", name, description, parameters, strict}`, unlike Chat Completions);
 * `namespace` groups are flattened (see namespace.ts); `custom` (freeform) tools become
 * one-string functions (see custom-tools.ts); hosted tools (web_search, file_search, mcp, …)
 * have no equivalent elsewhere and are kept verbatim for a Responses upstream only. The Responses API treats a function without `strict` as strict,
 * which rejects most schemas written for other vendors, so tools from other formats are sent
 * with `strict: false` unless they asked for strictness.
 */
import type { ToolChoice, ToolDefinition } from '../ir.ts';
import { invalidRequest } from '../shared/invalid-request-error.ts';
import { booleanOrUndefined, isRecord, stringOrUndefined } from '../shared/json-value-guards.ts';
import type { JsonRecord } from '../shared/json-value-guards.ts';
import { CUSTOM_TOOL_PARAMETERS, customToolDescription } from './custom-tools.ts';
import { createNameSplitter, flattenToolName } from './namespace.ts';
import type { ResponsesNamespace, ResponsesSourceHints } from './types.ts';

const FUNCTION_KEYS = new Set(['type', 'name', 'description', 'parameters', 'strict']);

function parseFunctionTool(tool: JsonRecord, path: string, namespace: string | undefined): ToolDefinition {
  const name = stringOrUndefined(tool['name']);
  if (name === undefined || name === '') throw invalidRequest(`${path}.name`, 'is required');
  const parameters = tool['parameters'];
  const definition: ToolDefinition = {
    name: flattenToolName(namespace, name),
    parameters: isRecord(parameters) ? parameters : { type: 'object', properties: {} },
  };
  const description = stringOrUndefined(tool['description']);
  if (description !== undefined) definition.description = description;
  const strict = booleanOrUndefined(tool['strict']);
  if (strict !== undefined) definition.strict = strict;
  const extra: JsonRecord = {};
  for (const [key, value] of Object.entries(tool)) {
    if (!FUNCTION_KEYS.has(key)) extra[key] = value;
  }
  if (Object.keys(extra).length > 0) definition.extra = extra;
  return definition;
}

export function parseResponsesTools(value: unknown, hints: ResponsesSourceHints): ToolDefinition[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidRequest('tools', 'must be an array');
  const tools: ToolDefinition[] = [];
  const hosted: JsonRecord[] = [];
  const namespaces: ResponsesNamespace[] = [];
  value.forEach((tool, index) => {
    const path = `tools[${index}]`;
    if (!isRecord(tool)) throw invalidRequest(path, 'must be an object');
    if (tool['type'] === 'function') {
      tools.push(parseFunctionTool(tool, path, undefined));
      return;
    }
    if (tool['type'] === 'custom') {
      const name = stringOrUndefined(tool['name']);
      if (name === undefined || name === '') throw invalidRequest(`${path}.name`, 'is required');
      const definition: ToolDefinition = { name, parameters: CUSTOM_TOOL_PARAMETERS };
      const description = customToolDescription(tool);
      if (description !== undefined) definition.description = description;
      tools.push(definition);
      hints.customTools = { ...hints.customTools, [name]: tool };
      return;
    }
    if (tool['type'] === 'namespace') {
      const name = stringOrUndefined(tool['name']);
      if (name === undefined || name === '') throw invalidRequest(`${path}.name`, 'is required');
      const { type: _type, name: _name, tools: members, ...fields } = tool;
      const namespace: ResponsesNamespace = { name, fields, members: [], otherTools: [] };
      (Array.isArray(members) ? members : []).forEach((member, memberIndex) => {
        if (isRecord(member) && (member['type'] === 'function' || member['type'] === undefined)) {
          const definition = parseFunctionTool(member, `${path}.tools[${memberIndex}]`, name);
          namespace.members.push(definition.name);
          tools.push(definition);
        } else if (isRecord(member)) namespace.otherTools.push(member);
      });
      namespaces.push(namespace);
      return;
    }
    hosted.push(tool);
  });
  if (hosted.length > 0) hints.hostedTools = hosted;
  if (namespaces.length > 0) hints.namespaces = namespaces;
  return tools;
}

function renderFunction(tool: ToolDefinition, name: string, sameFormat: boolean): JsonRecord {
  const rendered: JsonRecord = { type: 'function', name };
  if (tool.description !== undefined) rendered['description'] = tool.description;
  rendered['parameters'] = tool.parameters;
  if (sameFormat) {
    if (tool.strict !== undefined) rendered['strict'] = tool.strict;
    if (tool.extra !== undefined) Object.assign(rendered, tool.extra);
  } else rendered['strict'] = tool.strict ?? false;
  return rendered;
}

export function renderResponsesTools(tools: ToolDefinition[], hints: ResponsesSourceHints | undefined): JsonRecord[] {
  const sameFormat = hints !== undefined;
  const split = createNameSplitter(hints?.namespaces);
  const rendered: JsonRecord[] = [];
  const groups = new Map<string, JsonRecord[]>();
  for (const tool of tools) {
    const custom = hints?.customTools?.[tool.name];
    if (custom !== undefined) {
      rendered.push(custom);
      continue;
    }
    const name = split(tool.name);
    if (name.namespace === undefined) {
      rendered.push(renderFunction(tool, tool.name, sameFormat));
      continue;
    }
    let group = groups.get(name.namespace);
    if (group === undefined) {
      // The group takes the place of its first member.
      const namespace = hints?.namespaces?.find((entry) => entry.name === name.namespace);
      group = [];
      groups.set(name.namespace, group);
      rendered.push({ type: 'namespace', name: name.namespace, ...namespace?.fields, tools: group });
      if (namespace !== undefined) group.push(...namespace.otherTools);
    }
    group.push(renderFunction(tool, name.name, sameFormat));
  }
  if (hints?.hostedTools !== undefined) rendered.push(...hints.hostedTools);
  return rendered;
}

export function parseResponsesToolChoice(value: unknown, hints: ResponsesSourceHints): ToolChoice | undefined {
  if (value === 'auto' || value === 'none' || value === 'required') return { type: value };
  if (!isRecord(value)) return undefined;
  if ((value['type'] === 'function' || value['type'] === 'custom') && typeof value['name'] === 'string') {
    return { type: 'tool', name: flattenToolName(stringOrUndefined(value['namespace']), value['name']) };
  }
  // allowed_tools, hosted tool types, custom tools: kept as sent.
  hints.toolChoice = value;
  if (value['type'] === 'allowed_tools') return value['mode'] === 'required' ? { type: 'required' } : { type: 'auto' };
  // Forcing a hosted tool means nothing to a target without it: let the model choose.
  return { type: 'auto' };
}

export function renderResponsesToolChoice(choice: ToolChoice, hints: ResponsesSourceHints | undefined): unknown {
  if (hints?.toolChoice !== undefined) return hints.toolChoice;
  if (choice.type !== 'tool') return choice.type;
  if (hints?.customTools?.[choice.name] !== undefined) return { type: 'custom', name: choice.name };
  const name = createNameSplitter(hints?.namespaces)(choice.name);
  return name.namespace === undefined ? { type: 'function', name: name.name } : { type: 'function', name: name.name, namespace: name.namespace };
}
