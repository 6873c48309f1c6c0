/**
 * OpenAI Responses API wire types, as far as cliproxy reads or writes them. Incoming bodies
 * are `unknown` and narrowed field by field; these describe what we render.
 */
import type { IRRequest, ThinkingPart } from '../ir.ts';
import type { JsonRecord } from '../shared/json-value-guards.ts';

export interface ResponsesOutputText {
  type: 'output_text';
  text: string;
  annotations: unknown[];
}

export interface ResponsesRefusal {
  type: 'refusal';
  refusal: string;
}

export interface ResponsesMessageItem {
  id: string;
  type: 'message';
  role: 'assistant';
  status: 'in_progress' | 'completed' | 'incomplete';
  content: Array<ResponsesOutputText | ResponsesRefusal>;
}

export interface ResponsesFunctionCallItem {
  id: string;
  type: 'function_call';
  status: 'in_progress' | 'completed' | 'incomplete';
  call_id: string;
  name: string;
  arguments: string;
  namespace?: string;
}

export interface ResponsesReasoningItem {
  id: string;
  type: 'reasoning';
  summary: Array<{ type: 'summary_text'; text: string }>;
  encrypted_content?: string;
}

export interface ResponsesCustomToolCallItem {
  id: string;
  type: 'custom_tool_call';
  status: 'in_progress' | 'completed' | 'incomplete';
  call_id: string;
  name: string;
  input: string;
  namespace?: string;
}

export type ResponsesOutputItem = ResponsesMessageItem | ResponsesFunctionCallItem | ResponsesCustomToolCallItem | ResponsesReasoningItem;

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/**
 * A ThinkingPart parsed from a Responses reasoning item. The IR has no place for the item's
 * id or for how its summary was split into parts; both ride on the part (optional fields)
 * so that a same-format render gives them back. Other renderers ignore them.
 */
export type ResponsesThinkingPart = ThinkingPart & { responsesItemId?: string; responsesSummary?: string[] };

/** A Codex `namespace` tool: a named group of function tools. */
export interface ResponsesNamespace {
  name: string;
  /** Fields of the namespace object other than `type`, `name` and `tools`. */
  fields: JsonRecord;
  /** Flat IR names of the member function tools, in order. */
  members: string[];
  /** Members that are not function tools (kept verbatim for a same-format render). */
  otherTools: JsonRecord[];
}

/**
 * What a Responses request says that the IR has no field for, kept so that rendering back
 * to the Responses API (the same format) is lossless. Rides on the IRRequest as the
 * optional `openaiResponses` field and is read only when `sourceFormat` is ours.
 */
export interface ResponsesSourceHints {
  /** Hosted tools (web_search, file_search, mcp, …), verbatim and in order. */
  hostedTools?: JsonRecord[];
  /** Custom (freeform) tools as sent, by IR name (see custom-tools.ts). */
  customTools?: Record<string, JsonRecord>;
  namespaces?: ResponsesNamespace[];
  /** The original `tool_choice` when the IR tool choice cannot say it (hosted, allowed_tools). */
  toolChoice?: unknown;
  /** Keys of `reasoning` other than effort and summary. */
  reasoningExtra?: JsonRecord;
  /** Keys of `text` other than format (verbosity, …). */
  textExtra?: JsonRecord;
}

export type ResponsesIRRequest = IRRequest & { openaiResponses?: ResponsesSourceHints };
