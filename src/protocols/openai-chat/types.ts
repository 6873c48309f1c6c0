/**
 * OpenAI Chat Completions wire types, as far as cliproxy reads or writes them. Incoming
 * bodies are `unknown` and narrowed field by field; these types describe what we render.
 */
import type { IRRequest } from '../ir.ts';

export type OpenAIRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export interface OpenAITextContentPart {
  type: 'text';
  text: string;
}

export interface OpenAIImageContentPart {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
}

export interface OpenAIFileContentPart {
  type: 'file';
  file: { file_data?: string; filename?: string };
}

export interface OpenAIRefusalContentPart {
  type: 'refusal';
  refusal: string;
}

export type OpenAIContentPart = OpenAITextContentPart | OpenAIImageContentPart | OpenAIFileContentPart | OpenAIRefusalContentPart;

export interface OpenAIToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface OpenAIMessage {
  role: OpenAIRole;
  content?: string | OpenAIContentPart[] | null;
  name?: string;
  refusal?: string | null;
  tool_calls?: OpenAIToolCall[];
  tool_call_id?: string;
  /** DeepSeek's reasoning text; its reasoner wants it back within a tool-calling turn. */
  reasoning_content?: string;
  /** OpenRouter's name for the same. */
  reasoning?: string;
}

export interface OpenAITool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean; [key: string]: unknown };
}

export type OpenAIToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number };
  completion_tokens_details?: { reasoning_tokens: number };
}

export interface OpenAIResponseMessage {
  role: 'assistant';
  content: string | null;
  refusal: string | null;
  tool_calls?: OpenAIToolCall[];
  reasoning_content?: string;
}

export interface OpenAIChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{ index: number; message: OpenAIResponseMessage; finish_reason: string; logprobs: null }>;
  usage?: OpenAIUsage;
}

export interface OpenAIChunkToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
}

export interface OpenAIChunkDelta {
  role?: 'assistant';
  content?: string;
  refusal?: string;
  reasoning_content?: string;
  tool_calls?: OpenAIChunkToolCallDelta[];
}

export interface OpenAIChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{ index: number; delta: OpenAIChunkDelta; finish_reason: string | null; logprobs: null }>;
  usage?: OpenAIUsage;
}

/**
 * What an OpenAI request says that the IR has no field for, kept so that rendering back to
 * OpenAI Chat (the same format) is lossless. The IR lacks these; they ride on the IRRequest
 * object as the optional `openaiChat` field and are read only when `sourceFormat` is ours.
 */
export interface OpenAIChatSourceHints {
  /** Which of the two names carried the token limit. */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** The leading system/developer messages folded into `IRRequest.system`: role and part count each. */
  systemMessages?: Array<{ role: 'system' | 'developer'; parts: number; name?: string; contentIsString?: boolean }>;
  /** Keys of `stream_options` other than `include_usage`. */
  streamOptionsExtra?: Record<string, unknown>;
}

export type OpenAIChatIRRequest = IRRequest & { openaiChat?: OpenAIChatSourceHints };

/**
 * Set on IR messages parsed from OpenAI Chat whose `content` was an array of parts rather
 * than a string, so a same-format render gives back the same shape.
 */
export interface OpenAIContentShape {
  openaiContentIsArray?: boolean;
}

/**
 * What an OpenAI message held that its IR message cannot: unknown message keys (DeepSeek's
 * `prefix`, OpenRouter's `reasoning_details`, …), content parts with no IR form
 * (`input_audio`, `file` by `file_id`) with the number of IR parts before each, and the name
 * the reasoning text came under. Only the OpenAI Chat parser sets these, and only the OpenAI
 * Chat renderer reads them, for a request whose source format is OpenAI Chat.
 */
export interface OpenAIMessageExtra {
  openaiMessageExtra?: Record<string, unknown>;
  openaiUnknownParts?: Array<{ before: number; part: Record<string, unknown> }>;
  openaiReasoningField?: 'reasoning';
}
