/**
 * IR tools → Kiro `toolSpecification`s, under Kiro's rules: names as `kiroToolName` makes
 * them, a non-empty description of at most 10 KB, and a declaration for every tool the
 * history calls (Kiro rejects history tool turns naming an undeclared tool).
 *
 * A description over the limit is not cut: its full text moves into the system prompt
 * under a heading, and the declaration points there, so the model loses nothing (Claude
 * Code's own tool descriptions run past 10 KB).
 */
import type { ToolDefinition } from '../ir.ts';
import { kiroToolName } from './tool-names.ts';
import type { KiroToolSpecification } from './types.ts';

export const KIRO_TOOL_DESCRIPTION_MAX_BYTES = 10_240;

const EMPTY_OBJECT_SCHEMA: Readonly<Record<string, unknown>> = { type: 'object', properties: {} };

export interface RenderedKiroTools {
  tools: KiroToolSpecification[];
  /** Full descriptions too long for a declaration, to append to the system prompt. */
  systemSections: string[];
}

/**
 * @param declared the client's tools (already filtered by tool choice)
 * @param calledInHistory wire names of tools the history calls, declared or not
 */
export function renderKiroTools(declared: ToolDefinition[], calledInHistory: Iterable<string>): RenderedKiroTools {
  const rendered: RenderedKiroTools = { tools: [], systemSections: [] };
  const seen = new Set<string>();
  for (const tool of declared) {
    // Anthropic's server tools (web search, …) run at Anthropic; Kiro cannot run them.
    if (isServerTool(tool)) continue;
    const name = kiroToolName(tool.name);
    // Two tools of one name would be ambiguous to Kiro as to any model: the first wins.
    if (seen.has(name)) continue;
    seen.add(name);
    rendered.tools.push(specification(name, describe(tool, name, rendered.systemSections), Object.keys(tool.parameters).length > 0 ? tool.parameters : { ...EMPTY_OBJECT_SCHEMA }));
  }
  for (const name of calledInHistory) {
    if (seen.has(name)) continue;
    seen.add(name);
    // The client no longer offers this tool, but its calls in the history still need a declaration.
    rendered.tools.push(specification(name, `Tool ${name}, used earlier in this conversation.`, { ...EMPTY_OBJECT_SCHEMA }));
  }
  return rendered;
}

function isServerTool(tool: ToolDefinition): boolean {
  const type = tool.extra?.['type'];
  return typeof type === 'string' && type !== 'custom';
}

function describe(tool: ToolDefinition, name: string, systemSections: string[]): string {
  const description = tool.description?.trim() ?? '';
  if (description === '') return `Tool ${name}.`;
  if (Buffer.byteLength(description, 'utf8') <= KIRO_TOOL_DESCRIPTION_MAX_BYTES) return description;
  const heading = `Tool documentation: ${name}`;
  systemSections.push(`# ${heading}\n\n${description}`);
  return `The full description of this tool is in the system prompt, in the section "${heading}".`;
}

function specification(name: string, description: string, schema: Record<string, unknown>): KiroToolSpecification {
  return { toolSpecification: { name, description, inputSchema: { json: schema } } };
}
