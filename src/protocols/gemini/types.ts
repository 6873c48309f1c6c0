/**
 * Gemini (Generative Language API v1beta) wire types, as far as cliproxy reads or writes
 * them. Incoming bodies are `unknown` and narrowed field by field; these describe output.
 */
import type { IRRequest } from '../ir.ts';

export interface GeminiFunctionCall {
  name: string;
  args: Record<string, unknown>;
  id?: string;
}

export interface GeminiFunctionResponse {
  name: string;
  response: Record<string, unknown>;
  id?: string;
}

export interface GeminiPart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType?: string; fileUri: string };
  functionCall?: GeminiFunctionCall;
  functionResponse?: GeminiFunctionResponse;
}

export interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
  parametersJsonSchema?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface GeminiUsageMetadata {
  promptTokenCount: number;
  candidatesTokenCount: number;
  totalTokenCount: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
}

export interface GeminiCandidate {
  content: GeminiContent;
  finishReason?: string;
  index: number;
}

export interface GeminiResponseBody {
  candidates: GeminiCandidate[];
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
  promptFeedback?: { blockReason: string };
}

/** Gemini's canonical error status names, keyed by the HTTP status they go with. */
export type GeminiErrorStatus =
  | 'INVALID_ARGUMENT'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'RESOURCE_EXHAUSTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED';

/** A type alias (not an interface) so that it is assignable to `Record<string, unknown>`. */
export type GeminiErrorBody = {
  error: { code: number; message: string; status: GeminiErrorStatus; details?: Array<Record<string, unknown>> };
};

/**
 * What a Gemini request says that the IR has no field for, kept so that rendering back to
 * Gemini (the same format) is lossless. Rides on the IRRequest as the optional `gemini`
 * field and is read only when `sourceFormat` is `gemini`.
 */
export interface GeminiSourceHints {
  /** Tool entries other than function declarations (googleSearch, codeExecution, …), verbatim. */
  hostedTools?: Array<Record<string, unknown>>;
  /** The original `toolConfig` when IR `toolChoice` cannot say all of it. */
  toolConfig?: Record<string, unknown>;
  /** `generationConfig` keys the IR has no field for (candidateCount, responseModalities, …); `{}` when it was sent empty. */
  generationConfigExtra?: Record<string, unknown>;
  /** The original `thinkingConfig` (thinkingBudget -1, thinkingLevel names the IR folds). */
  thinkingConfig?: Record<string, unknown>;
  /** The original response schema and the key that carried it. */
  responseSchema?: { key: 'responseSchema' | 'responseJsonSchema'; schema: unknown };
  /** The original `responseMimeType` when the IR response format does not imply it. */
  responseMimeType?: string;
  /** Each function declaration's parameters as sent, by tool name. */
  toolParameters?: Record<string, { key: 'parameters' | 'parametersJsonSchema'; schema: unknown }>;
  /** Function call ids that were on the wire (the others were made up while parsing). */
  wireCallIds?: string[];
}

export type GeminiIRRequest = IRRequest & { gemini?: GeminiSourceHints };
