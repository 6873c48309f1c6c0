/**
 * Custom (freeform) tools: `{type:"custom", name, description, format}` — Codex CLI's
 * `apply_patch` for GPT-5 models takes raw text shaped by a grammar, not JSON arguments. The
 * model calls one with `{type:"custom_tool_call", call_id, name, input}`.
 *
 * Other formats only know JSON-argument functions, so a custom tool becomes the IR function
 * `name({input: string})`, its grammar appended to the description so that another model
 * can still write valid input, and a call's `input` becomes the arguments `{"input": …}`.
 * Rendering back to the Responses API restores the custom tool (from the client's own tool
 * object) and turns such calls and their outputs into `custom_tool_call(_output)` items.
 */
import { isRecord, parseJsonOrUndefined, stringOrUndefined } from '../shared/json-value-guards.ts';
import type { JsonRecord } from '../shared/json-value-guards.ts';

export const CUSTOM_TOOL_PARAMETERS: JsonRecord = {
  type: 'object',
  properties: { input: { type: 'string', description: 'The raw input of this freeform tool (plain text, not JSON).' } },
  required: ['input'],
  additionalProperties: false,
};

/** The description other models see: the tool's own, plus the grammar its input must follow. */
export function customToolDescription(tool: JsonRecord): string | undefined {
  const description = stringOrUndefined(tool['description']);
  const format = tool['format'];
  if (!isRecord(format) || format['type'] !== 'grammar' || typeof format['definition'] !== 'string') return description;
  const syntax = stringOrUndefined(format['syntax']) ?? 'formal';
  const grammar = `The input must follow this ${syntax} grammar:\n${format['definition']}`;
  return description === undefined || description === '' ? grammar : `${description}\n\n${grammar}`;
}

export function customArguments(input: string): string {
  return JSON.stringify({ input });
}

/** Arguments `{"input": "..."}` → the raw input (the arguments text itself if they are not that shape). */
export function customInput(argumentsText: string): string {
  const parsed = parseJsonOrUndefined(argumentsText);
  return isRecord(parsed) && typeof parsed['input'] === 'string' ? parsed['input'] : argumentsText;
}

/** Start and end of the arguments JSON around a streamed raw input. */
export const CUSTOM_ARGUMENTS_PREFIX = '{"input":"';
export const CUSTOM_ARGUMENTS_SUFFIX = '"}';

/** A piece of raw input as a piece of the JSON string it sits in. */
export function escapeForJsonString(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}
