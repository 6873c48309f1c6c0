/**
 * Kiro (AWS CodeWhisperer `generateAssistantResponse`) wire types, as far as cliproxy writes
 * or reads them. The request shape follows PROTOCOLS.md; responses arrive as AWS event-stream
 * frames whose JSON payloads are narrowed field by field, so only their names live here.
 */

export type KiroImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';

export interface KiroImage {
  format: KiroImageFormat;
  source: { bytes: string };
}

export interface KiroToolSpecification {
  toolSpecification: {
    name: string;
    description: string;
    inputSchema: { json: Record<string, unknown> };
  };
}

export interface KiroToolResult {
  toolUseId: string;
  status: 'success' | 'error';
  content: Array<{ text: string }>;
}

export interface KiroUserInputMessageContext {
  tools?: KiroToolSpecification[];
  toolResults?: KiroToolResult[];
}

export interface KiroUserInputMessage {
  content: string;
  modelId: string;
  origin: 'AI_EDITOR';
  images?: KiroImage[];
  userInputMessageContext?: KiroUserInputMessageContext;
}

export interface KiroToolUse {
  toolUseId: string;
  name: string;
  input: Record<string, unknown>;
}

export interface KiroAssistantResponseMessage {
  content: string;
  toolUses?: KiroToolUse[];
}

export type KiroHistoryEntry = { userInputMessage: KiroUserInputMessage } | { assistantResponseMessage: KiroAssistantResponseMessage };

export interface KiroRequestBody {
  conversationState: {
    chatTriggerType: 'MANUAL';
    conversationId: string;
    currentMessage: { userInputMessage: KiroUserInputMessage };
    history: KiroHistoryEntry[];
  };
  profileArn?: string;
}

export interface KiroRequestOptions {
  /** One id per conversation; the caller makes it (this layer has no randomness). */
  conversationId: string;
  /** Only for social logins; Builder ID and Identity Center must omit it. */
  profileArn?: string;
  /** Overrides `kiroModelId(ir.model)`. */
  modelId?: string;
}

export interface KiroStreamParserOptions {
  /** Wire tool name → the client's own name, for names shortened on the way out (`kiroToolNames`). */
  toolNames?: Map<string, string>;
  /** Kiro sends no message id or model name: what `message-start` should carry. */
  messageId?: string;
  model?: string;
  /** Context window used to turn `contextUsagePercentage` into input tokens (default 200 000). */
  contextWindow?: number;
}

/** Event-stream `:event-type` values Kiro sends (PROTOCOLS.md). */
export const KIRO_EVENT = {
  assistantResponse: 'assistantResponseEvent',
  /** CodeWhisperer's code block event, `{content}` like an assistant response. */
  code: 'codeEvent',
  toolUse: 'toolUseEvent',
  reasoningContent: 'reasoningContentEvent',
  messageMetadata: 'messageMetadataEvent',
  metadata: 'metadataEvent',
  contextUsage: 'contextUsageEvent',
  metering: 'meteringEvent',
  followupPrompt: 'followupPromptEvent',
} as const;
