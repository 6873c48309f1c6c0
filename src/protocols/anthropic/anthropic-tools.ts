/**
 * Anthropic `tools` and `tool_choice` ⇄ IR.
 *
 * Client tools carry `input_schema`; server tools (`web_search_20250305`, `bash_20250124`, …)
 * carry a versioned `type` and no schema. Both become ToolDefinitions; every key the IR has
 * no field for (`type`, `defer_loading`, `max_uses`, …) stays in the tool's `extra` and goes
 * back only to Anthropic. Other formats skip server tools (they cannot run them).
 */
import type { ToolChoice, ToolDefinition } from '../ir.ts';
import { parseCacheControl, renderCacheControl } from '../shared/cache-control-field.ts';
import { booleanOrUndefined, isRecord, pickUnknownFields, stringOrUndefined } from '../shared/json-value-guards.ts';
import { invalidRequest } from '../shared/invalid-request-error.ts';

const KNOWN_TOOL_FIELDS: ReadonlySet<string> = new Set(['name', 'description', 'input_schema', 'cache_control', 'strict']);

export function parseAnthropicTools(tools: unknown): ToolDefinition[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw invalidRequest('tools', 'must be an array');
  return tools.map((tool, index) => {
    if (!isRecord(tool) || typeof tool['name'] !== 'string') throw invalidRequest(`tools[${index}].name`, 'is required');
    const definition: ToolDefinition = { name: tool['name'], parameters: isRecord(tool['input_schema']) ? tool['input_schema'] : {} };
    const description = stringOrUndefined(tool['description']);
    if (description !== undefined) definition.description = description;
    const strict = booleanOrUndefined(tool['strict']);
    if (strict !== undefined) definition.strict = strict;
    const cacheControl = parseCacheControl(tool['cache_control']);
    if (cacheControl !== undefined) definition.cacheControl = cacheControl;
    const extra = pickUnknownFields(tool, KNOWN_TOOL_FIELDS);
    if (Object.keys(extra).length > 0) definition.extra = extra;
    return definition;
  });
}

function isServerTool(tool: ToolDefinition): boolean {
  const type = tool.extra?.['type'];
  return typeof type === 'string' && type !== 'custom';
}

/** Tools to send; `sameFormat` means the request came from an Anthropic client. */
export function renderAnthropicTools(tools: ToolDefinition[], sameFormat: boolean): Array<Record<string, unknown>> {
  const rendered: Array<Record<string, unknown>> = [];
  for (const tool of tools) {
    const server = isServerTool(tool);
    if (server && !sameFormat) continue;
    const wire: Record<string, unknown> = sameFormat && tool.extra !== undefined ? { ...tool.extra } : {};
    wire['name'] = tool.name;
    if (tool.description !== undefined) wire['description'] = tool.description;
    // Anthropic requires an object schema; a tool declared without parameters takes none.
    if (!server) wire['input_schema'] = Object.keys(tool.parameters).length > 0 ? tool.parameters : { type: 'object', properties: {} };
    if (sameFormat && tool.strict !== undefined) wire['strict'] = tool.strict;
    if (tool.cacheControl !== undefined) wire['cache_control'] = renderCacheControl(tool.cacheControl);
    rendered.push(wire);
  }
  return rendered;
}

export function parseAnthropicToolChoice(value: unknown): { toolChoice?: ToolChoice; parallelToolCalls?: boolean } {
  if (!isRecord(value)) return {};
  const parsed: { toolChoice?: ToolChoice; parallelToolCalls?: boolean } = {};
  const type = value['type'];
  if (type === 'auto' || type === 'none') parsed.toolChoice = { type };
  else if (type === 'any') parsed.toolChoice = { type: 'required' };
  else if (type === 'tool' && typeof value['name'] === 'string') parsed.toolChoice = { type: 'tool', name: value['name'] };
  const disableParallel = booleanOrUndefined(value['disable_parallel_tool_use']);
  if (disableParallel !== undefined) parsed.parallelToolCalls = !disableParallel;
  return parsed;
}

/** `parallel_tool_calls: false` has no home but tool_choice, so it forces an explicit `auto`. */
export function renderAnthropicToolChoice(toolChoice: ToolChoice | undefined, parallelToolCalls: boolean | undefined): Record<string, unknown> | undefined {
  if (toolChoice === undefined && parallelToolCalls === undefined) return undefined;
  const choice = toolChoice ?? { type: 'auto' };
  const wire: Record<string, unknown> =
    choice.type === 'required' ? { type: 'any' } : choice.type === 'tool' ? { type: 'tool', name: choice.name } : { type: choice.type };
  // `none` takes no parallelism flag.
  if (parallelToolCalls !== undefined && choice.type !== 'none') wire['disable_parallel_tool_use'] = !parallelToolCalls;
  return wire;
}
