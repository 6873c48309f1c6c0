/**
 * Anthropic Messages wire types, as far as cliproxy reads or writes them. Incoming bodies are
 * `unknown` and narrowed field by field; these types describe what we render.
 */
import type { IRRequest } from '../ir.ts';

export interface AnthropicCacheControl {
  type: 'ephemeral';
  ttl?: string;
}

export interface AnthropicTextBlock {
  type: 'text';
  text: string;
  cache_control?: AnthropicCacheControl;
}

export type AnthropicImageSource = { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };

export interface AnthropicImageBlock {
  type: 'image';
  source: AnthropicImageSource;
  cache_control?: AnthropicCacheControl;
}

export interface AnthropicDocumentBlock {
  type: 'document';
  source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string } | { type: 'text'; media_type: 'text/plain'; data: string };
  title?: string;
}

export interface AnthropicToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: Record<string, unknown>;
}

export interface AnthropicToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content?: string | Array<AnthropicTextBlock | AnthropicImageBlock>;
  is_error?: boolean;
  cache_control?: AnthropicCacheControl;
}

export interface AnthropicThinkingBlock {
  type: 'thinking';
  thinking: string;
  signature: string;
}

export interface AnthropicRedactedThinkingBlock {
  type: 'redacted_thinking';
  data: string;
}

export type AnthropicContentBlock =
  | AnthropicTextBlock
  | AnthropicImageBlock
  | AnthropicDocumentBlock
  | AnthropicToolUseBlock
  | AnthropicToolResultBlock
  | AnthropicThinkingBlock
  | AnthropicRedactedThinkingBlock;

export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: string | AnthropicContentBlock[];
}

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export interface AnthropicMessageResponse {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicContentBlock[];
  stop_reason: string | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

/**
 * What an Anthropic request says that the IR has no field for, kept so that rendering back
 * to Anthropic (the same format) is lossless. The IR lacks these; they ride on the IRRequest
 * object as the optional `anthropic` field and are read only when `sourceFormat` is ours.
 */
export interface AnthropicSourceHints {
  /** `system` was a plain string rather than text blocks. */
  systemIsString?: boolean;
  /** The `thinking.type` the client sent (`adaptive` has no IR form other than "effort"). */
  thinkingType?: string;
  /** Keys of `thinking` other than `type` and `budget_tokens`. */
  thinkingExtra?: Record<string, unknown>;
  /** Keys of `output_config` other than `effort` (Claude Code's structured-output `format`, …). */
  outputConfigExtra?: Record<string, unknown>;
  /** `output_config.effort` was sent (so it goes back there rather than into a budget). */
  outputConfigEffort?: boolean;
}

export type AnthropicIRRequest = IRRequest & { anthropic?: AnthropicSourceHints };

/**
 * Set on IR messages and tool results parsed from Anthropic whose `content` was a plain
 * string rather than blocks, so a same-format render gives back the same shape.
 */
export interface AnthropicContentShape {
  anthropicContentIsString?: boolean;
}

/**
 * What an Anthropic block or turn held that its IR part cannot: the block's other keys
 * (`citations`, `caller`, `cache_control` on tool_use, an explicit `is_error: false`, …) and
 * whole blocks with no IR form (`server_tool_use`, `web_search_tool_result`, `mcp_tool_use`,
 * …), with the number of IR parts that preceded each. Only the Anthropic parser sets these,
 * so the Anthropic renderers put them back whenever they are present, and no other
 * renderer ever looks at them: nothing of Anthropic's leaks to another provider.
 */
export interface AnthropicPartExtra {
  anthropicBlockExtra?: Record<string, unknown>;
}

export interface AnthropicUnknownBlock {
  before: number;
  block: Record<string, unknown>;
}

export interface AnthropicMessageExtra {
  anthropicUnknownBlocks?: AnthropicUnknownBlock[];
}
