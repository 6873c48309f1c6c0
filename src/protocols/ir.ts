/**
 * The canonical intermediate representation (IR). Every wire format converts to and from
 * these types, so N formats need N adapters. The IR is deliberately richer than any one
 * format: fields a target cannot express are dropped only when rendering for that target.
 *
 * Conventions:
 * - Field names are camelCase here; wire names live only in `src/protocols/<format>/`.
 * - `extra` bags keep unknown wire fields of the same format, so a request parsed from a
 *   format and rendered back to that same format loses nothing.
 * - Signatures (Anthropic thinking, Gemini thought signatures) carry `origin`, the wire
 *   format that produced them: renderers forward a signature only to its own origin.
 */

export type WireFormat = 'openai-chat' | 'openai-responses' | 'anthropic' | 'gemini';

export type Role = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export interface CacheControl {
  type: 'ephemeral';
  ttl?: string;
}

export interface TextPart {
  type: 'text';
  text: string;
  cacheControl?: CacheControl;
  /** OpenAI-style refusal text carried as its own part. */
  refusal?: boolean;
}

export interface ImagePart {
  type: 'image';
  /** Either inline base64 data with a media type, or a URL (http(s) or data:). */
  source: { kind: 'base64'; mediaType: string; data: string } | { kind: 'url'; url: string };
  detail?: 'auto' | 'low' | 'high';
  cacheControl?: CacheControl;
}

export interface FilePart {
  type: 'file';
  source: { kind: 'base64'; mediaType: string; data: string; filename?: string } | { kind: 'url'; url: string; mediaType?: string };
}

export interface ToolCallPart {
  type: 'tool-call';
  id: string;
  name: string;
  /** The arguments as a JSON text, exactly as the model produced them. */
  arguments: string;
  /** Gemini's thoughtSignature attached to a function call part. */
  signature?: Signature;
}

export interface ToolResultPart {
  type: 'tool-result';
  toolCallId: string;
  /** Name of the tool, when known (Gemini needs it; OpenAI does not carry it). */
  name?: string;
  content: Array<TextPart | ImagePart>;
  isError?: boolean;
  cacheControl?: CacheControl;
}

export interface Signature {
  value: string;
  origin: WireFormat;
}

export interface ThinkingPart {
  type: 'thinking';
  text: string;
  signature?: Signature;
}

export interface RedactedThinkingPart {
  type: 'redacted-thinking';
  data: string;
  origin: WireFormat;
}

export type ContentPart = TextPart | ImagePart | FilePart | ToolCallPart | ToolResultPart | ThinkingPart | RedactedThinkingPart;

export interface Message {
  role: Role;
  content: ContentPart[];
  /** OpenAI's optional participant name. */
  name?: string;
}

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
  strict?: boolean;
  cacheControl?: CacheControl;
  /** Fields of the client's tool object that no other format understands. */
  extra?: Record<string, unknown>;
}

export type ToolChoice =
  | { type: 'auto' }
  | { type: 'none' }
  | { type: 'required' }
  | { type: 'tool'; name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json-object' }
  | { type: 'json-schema'; name?: string; schema: Record<string, unknown>; strict?: boolean; description?: string };

export interface ReasoningConfig {
  /** Abstract effort; mapped to each target's knob. */
  effort?: 'minimal' | 'low' | 'medium' | 'high' | 'max';
  /** An explicit thinking budget in tokens (Anthropic budget_tokens, Gemini thinkingBudget). */
  budgetTokens?: number;
  /** Whether the client wants thinking content back. */
  includeThoughts?: boolean;
  /** Thinking explicitly disabled. */
  disabled?: boolean;
  /** Responses API reasoning summary mode. */
  summary?: string;
}

export interface IRRequest {
  model: string;
  system: Array<TextPart>;
  messages: Message[];
  tools: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stop?: string[];
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
  stream: boolean;
  /** Whether a streaming client asked for a usage report (OpenAI include_usage). */
  includeUsage?: boolean;
  reasoning?: ReasoningConfig;
  responseFormat?: ResponseFormat;
  /** End-user identifier (OpenAI `user`, Anthropic `metadata.user_id`). */
  user?: string;
  metadata?: Record<string, unknown>;
  /** Unknown top-level fields of the source format, kept for a same-format render. */
  extra: Record<string, unknown>;
  /** The wire format the request was parsed from. */
  sourceFormat: WireFormat;
}

export type FinishReason =
  | 'stop'
  | 'length'
  | 'tool-calls'
  | 'content-filter'
  | 'refusal'
  | 'pause'
  | 'error'
  | 'other';

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens read from a prompt cache. */
  cachedInputTokens?: number;
  /** Input tokens written to a prompt cache (Anthropic). */
  cacheCreationInputTokens?: number;
  reasoningTokens?: number;
  totalTokens?: number;
}

export interface IRResponse {
  id: string;
  model: string;
  content: ContentPart[];
  finishReason: FinishReason;
  /** The raw stop reason of the upstream, for formats that can carry it back verbatim. */
  rawFinishReason?: string;
  stopSequence?: string;
  usage?: Usage;
  created?: number;
}

/**
 * Stream events, named noun-verb. A part is opened with `part-start` carrying its index and
 * kind, receives deltas, and is closed with `part-end`. Indices are dense and ordered.
 */
export type IRStreamEvent =
  | { type: 'message-start'; id: string; model: string; created?: number; usage?: Usage }
  | { type: 'part-start'; index: number; part: { type: 'text' } | { type: 'thinking' } | { type: 'redacted-thinking'; data: string; origin: WireFormat } | { type: 'tool-call'; id: string; name: string; signature?: Signature } }
  | { type: 'text-delta'; index: number; text: string }
  | { type: 'refusal-delta'; index: number; text: string }
  | { type: 'thinking-delta'; index: number; text: string }
  | { type: 'signature-delta'; index: number; signature: Signature }
  | { type: 'tool-arguments-delta'; index: number; text: string }
  | { type: 'part-end'; index: number }
  | { type: 'usage'; usage: Usage }
  | { type: 'finish'; reason: FinishReason; rawReason?: string; stopSequence?: string }
  | { type: 'error'; status?: number; code?: string; message: string };
