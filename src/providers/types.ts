/**
 * The provider contract (the seed's Provider interface) and the data that describes a
 * provider: its category, endpoint, auth, wire protocol and model catalogue.
 *
 * Execution has two levels. `execute`/`executeStream` take and return OpenAI Chat
 * Completions objects: the simple contract an external module implements. Built-in HTTP
 * providers also implement `forward`, which sends bytes and hands back the upstream's
 * response untouched: the fast path, used when the client speaks the provider's protocol.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { WireFormat } from '../protocols/ir.ts';
import type { Limits } from '../config/schema.ts';
import type { AbortLike } from './upstream-client.ts';

export type ProviderCategory = 'direct' | 'aggregator' | 'proprietary' | 'custom';
export type AuthType = 'api_key' | 'oauth_device_flow' | 'none';
/** The wire protocol a provider speaks upstream. */
export type UpstreamProtocol = 'openai-chat' | 'anthropic' | 'gemini' | 'kiro';

export interface Capabilities {
  streaming: boolean;
  functions: boolean;
  vision: boolean;
  code_generation: boolean;
  multimodal: boolean;
  /** Context window in tokens (0 when unknown). */
  max_tokens: number;
}

export interface ModelInfo {
  /** The name the upstream knows the model by. */
  name: string;
  enabled: boolean;
  displayName?: string;
  capabilities: Capabilities;
  /** Largest completion the model produces, when known. */
  maxOutputTokens?: number;
  /** Reached through another protocol than the provider's own. */
  protocol?: WireFormat;
}

export interface Credential {
  /** Stable, secret-free identifier: `<provider>#<index>` or the configured name. */
  id: string;
  provider: string;
  /** The secret itself. Never logged, never rendered. */
  secret: string;
  /** A masked tail for display (`…a1b2`). */
  masked: string;
  /** Identifies the secret itself (a hash prefix; the id for OAuth): cooldowns and limit windows follow it, not the position. */
  fingerprint: string;
  weight: number;
  /** Limits of this credential alone (besides its provider's). */
  limits?: Limits;
  /** An OAuth credential: `secret` is empty, the token comes from the token store per request. */
  oauth?: boolean;
}

/** An OpenAI Chat Completions request body (the extension contract's request). */
export type ChatRequest = Record<string, unknown> & { model: string; messages: unknown[]; stream?: boolean };
/** An OpenAI `chat.completion` object. */
export type ChatResponse = Record<string, unknown>;
/** An OpenAI `chat.completion.chunk` object. */
export type ChatChunk = Record<string, unknown>;

export interface ExecuteContext {
  credential: Credential | undefined;
  signal: AbortSignal;
}

/** What the fast path asks a built-in provider to send. */
export interface ForwardCall {
  /** Path relative to the provider's endpoint, e.g. `/chat/completions`. */
  path: string;
  body: Buffer;
  stream: boolean;
  credential: Credential | undefined;
  signal: AbortLike;
  /** Client headers the provider may pass on (e.g. `anthropic-beta`). */
  clientHeaders: IncomingHttpHeaders;
  /** What the request looks like, for OAuth providers' headers (Copilot's X-Initiator). */
  hints?: { initiator: 'user' | 'agent'; vision: boolean };
  /** Authorization already obtained for this attempt (Kiro needs it to build the body). */
  authorization?: { headers: Record<string, string>; endpoint?: string };
}

export interface Provider {
  name(): string;
  type(): ProviderCategory;
  supportsModel(model: string): boolean;
  listModels(): ModelInfo[];
  authType(): AuthType;
  requiresAuth(): boolean;
  execute(request: ChatRequest, context: ExecuteContext): Promise<ChatResponse>;
  executeStream(request: ChatRequest, context: ExecuteContext): AsyncIterable<ChatChunk>;
  supportsStreaming(): boolean;
  supportsFunctions(): boolean;
  supportsVision(): boolean;
  supportsCodeGeneration(): boolean;
  maxTokens(): number;
  healthCheck(signal?: AbortSignal): Promise<void>;
}

/** The static description of a built-in provider: one small file per provider. */
export interface ProviderDescriptor {
  name: string;
  displayName: string;
  category: Exclude<ProviderCategory, 'custom'>;
  protocol: UpstreamProtocol;
  /** Client formats the upstream takes natively (the fast path); defaults to `[protocol]`. */
  speaks?: WireFormat[];
  authType: AuthType;
  /** The real default base URL (PROTOCOLS.md). */
  endpoint: string;
  /** Conventional environment variables that hold an API key for it. */
  envKeys: string[];
  features: Omit<Capabilities, 'max_tokens'>;
  models: ModelSpec[];
  /** Client-facing model names this provider serves under another upstream name. */
  mappings?: Record<string, string>;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** Body rewrite for the fast path (PROTOCOLS.md quirks); returns true when it changed something. */
  quirks?: (body: Record<string, unknown>, upstreamModel: string) => boolean;
  /** Where the upstream lists its models, relative to the endpoint (health checks). */
  healthPath?: string;
  /** Served by a later milestone: registered with its catalogue, not yet routable. */
  notServedYet?: string;
}

/** A catalogue entry: capabilities default to the provider's features. */
export interface ModelSpec {
  name: string;
  context: number;
  maxOutput?: number;
  functions?: boolean;
  vision?: boolean;
  streaming?: boolean;
  codeGeneration?: boolean;
  multimodal?: boolean;
  /** Reached through another protocol than the provider's (Copilot's `/responses`-only models). */
  protocol?: WireFormat;
}
