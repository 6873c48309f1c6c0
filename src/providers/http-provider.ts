/**
 * The executor shared by every built-in HTTP provider and every `openai_compatible` entry:
 * endpoint, auth header, extra headers, model catalogue and capability flags, all from the
 * provider's resolved settings. Behaviour that differs per provider lives in its descriptor.
 */
import { GatewayError } from '../errors.ts';
import { sseData } from './sse-data.ts';
import type { BodySink, UpstreamClient, UpstreamResponse } from './upstream-client.ts';
import type { WireFormat } from '../protocols/ir.ts';
import type {
  AuthType, Capabilities, ChatChunk, ChatRequest, ChatResponse, Credential, ExecuteContext,
  ForwardCall, ModelInfo, Provider, ProviderCategory, ProviderDescriptor, UpstreamProtocol,
} from './types.ts';

export interface ProviderSettings {
  name: string;
  displayName: string;
  category: ProviderCategory;
  protocol: UpstreamProtocol;
  /** Client formats this upstream takes as they are (the fast path). */
  speaks: WireFormat[];
  authType: AuthType;
  /** Base URL without a trailing slash. */
  endpoint: string;
  credentials: Credential[];
  models: ModelInfo[];
  /** Client-facing name → upstream name. */
  mappings: Record<string, string>;
  headers: Record<string, string>;
  priority: number;
  features: Omit<Capabilities, 'max_tokens'>;
  quirks: ProviderDescriptor['quirks'];
  healthPath: string | undefined;
  notServedYet: string | undefined;
  timeouts: { firstByteMs: number; idleMs: number };
  /** OAuth providers: headers (and endpoint) per credential and request. */
  authorize?: (credential: Credential, hints: NonNullable<ForwardCall['hints']>) => Promise<{ headers: Record<string, string>; endpoint?: string; profileArn?: string }>;
}

/** Client headers passed upstream for a protocol (never the client's own credentials). */
const PASS_THROUGH: Record<UpstreamProtocol, string[]> = {
  'openai-chat': ['openai-organization', 'openai-project'],
  anthropic: ['anthropic-beta', 'anthropic-version'],
  gemini: [],
  kiro: [],
};

export class HttpProvider implements Provider {
  readonly settings: ProviderSettings;
  private readonly client: UpstreamClient;
  private readonly modelIndex: Map<string, ModelInfo>;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly baseQuery: string;

  constructor(settings: ProviderSettings, client: UpstreamClient) {
    this.settings = settings;
    this.client = client;
    this.modelIndex = new Map(settings.models.map((model) => [model.name, model]));
    // Parsed once: every request only concatenates strings.
    const url = new URL(settings.endpoint);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.baseQuery = url.search.slice(1);
  }

  /** Path and query of `path` under the endpoint, keeping a query the endpoint carries (Azure's `?api-version=`). */
  private pathFor(path: string): string {
    if (this.baseQuery === '') return this.basePath + path;
    return `${this.basePath}${path}${path.includes('?') ? '&' : '?'}${this.baseQuery}`;
  }

  name(): string { return this.settings.name; }
  type(): ProviderCategory { return this.settings.category; }
  authType(): AuthType { return this.settings.authType; }
  requiresAuth(): boolean { return this.settings.authType !== 'none'; }
  listModels(): ModelInfo[] { return this.settings.models.filter((model) => model.enabled); }

  /** Whether `model` (a client-facing name) is served, after this provider's mapping. */
  supportsModel(model: string): boolean {
    if (model in this.settings.mappings) return this.modelIndex.get(this.settings.mappings[model] as string)?.enabled !== false;
    return this.modelIndex.get(model)?.enabled === true;
  }

  supportsStreaming(): boolean { return this.settings.features.streaming; }
  supportsFunctions(): boolean { return this.settings.features.functions; }
  supportsVision(): boolean { return this.settings.features.vision; }
  supportsCodeGeneration(): boolean { return this.settings.features.code_generation; }
  maxTokens(): number {
    let max = 0;
    for (const model of this.settings.models) if (model.enabled && model.capabilities.max_tokens > max) max = model.capabilities.max_tokens;
    return max;
  }

  /** The fast path: sends bytes, returns the upstream's response untouched. */
  forward(call: ForwardCall): Promise<UpstreamResponse> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: call.stream ? 'text/event-stream' : 'application/json',
    };
    Object.assign(headers, this.settings.headers);
    // The client's own protocol headers (anthropic-beta, …) win over our defaults.
    for (const name of PASS_THROUGH[this.settings.protocol]) {
      const value = call.clientHeaders[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const credential = call.credential;
    if (credential?.oauth === true && this.settings.authorize !== undefined) return this.forwardAuthorized(call, credential, headers);
    this.applyAuth(headers, credential);
    return this.send(this.origin, this.pathFor(call.path), headers, call);
  }

  /** An OAuth credential: its headers (and maybe its endpoint) come from the token. */
  private async forwardAuthorized(call: ForwardCall, credential: Credential, headers: Record<string, string>): Promise<UpstreamResponse> {
    const authorize = this.settings.authorize as NonNullable<ProviderSettings['authorize']>;
    const authorization = call.authorization ?? await authorize(credential, call.hints ?? { initiator: 'user', vision: false });
    Object.assign(headers, authorization.headers);
    if (authorization.endpoint === undefined) return this.send(this.origin, this.pathFor(call.path), headers, call);
    const base = new URL(authorization.endpoint);
    return this.send(base.origin, base.pathname.replace(/\/+$/, '') + call.path, headers, call);
  }

  private send(origin: string, path: string, headers: Record<string, string>, call: ForwardCall): Promise<UpstreamResponse> {
    return this.client.send({
      origin,
      path,
      method: 'POST',
      headers,
      body: call.body,
      signal: call.signal,
      firstByteTimeoutMs: this.settings.timeouts.firstByteMs,
      idleTimeoutMs: this.settings.timeouts.idleMs,
    });
  }

  async execute(request: ChatRequest, context: ExecuteContext): Promise<ChatResponse> {
    const response = await this.forwardObject({ ...request, stream: false }, context);
    const body = await response.readAll();
    if (response.status >= 400) throw upstreamFailure(response.status, body);
    return JSON.parse(body.toString('utf8')) as ChatResponse;
  }

  async *executeStream(request: ChatRequest, context: ExecuteContext): AsyncIterable<ChatChunk> {
    const response = await this.forwardObject({ ...request, stream: true }, context);
    if (response.status >= 400) throw upstreamFailure(response.status, await response.readAll());
    for await (const data of sseData(bodyChunks(response))) {
      if (data === '[DONE]') return;
      yield JSON.parse(data) as ChatChunk;
    }
  }

  /** Lists the upstream's models with a credential (the first by default): cheap, and it proves the key. */
  async healthCheck(signal?: AbortSignal, credential: Credential | undefined = this.settings.credentials[0]): Promise<void> {
    if (this.settings.healthPath === undefined) return;
    const headers: Record<string, string> = { accept: 'application/json', ...this.settings.headers };
    this.applyAuth(headers, credential);
    const response = await this.client.send({
      origin: this.origin,
      path: this.pathFor(this.settings.healthPath),
      method: 'GET',
      headers,
      signal,
      firstByteTimeoutMs: this.settings.timeouts.firstByteMs,
      idleTimeoutMs: this.settings.timeouts.idleMs,
    });
    const body = await response.readAll();
    if (response.status >= 400) throw upstreamFailure(response.status, body);
  }

  private forwardObject(request: ChatRequest, context: ExecuteContext): Promise<UpstreamResponse> {
    if (this.settings.protocol !== 'openai-chat') {
      throw new GatewayError(501, 'unsupported_translation', `provider ${this.settings.name} speaks ${this.settings.protocol}; object execution needs the translation layer`);
    }
    return this.forward({
      path: '/chat/completions',
      body: Buffer.from(JSON.stringify(request)),
      stream: request.stream === true,
      credential: context.credential,
      signal: context.signal,
      clientHeaders: {},
    });
  }

  private applyAuth(headers: Record<string, string>, credential: Credential | undefined): void {
    if (credential === undefined) return;
    if (this.settings.protocol === 'anthropic') headers['x-api-key'] = credential.secret;
    else if (this.settings.protocol === 'gemini') headers['x-goog-api-key'] = credential.secret;
    else headers.authorization = `Bearer ${credential.secret}`;
  }
}

function bodyChunks(response: UpstreamResponse): AsyncIterable<Buffer> {
  const queue: Buffer[] = [];
  let done = false;
  let failure: GatewayError | undefined;
  let wake: (() => void) | undefined;
  response.pipe({
    write(chunk) { queue.push(chunk); wake?.(); return queue.length < 16; },
    end() { done = true; wake?.(); },
    fail(error) { failure = error; wake?.(); },
    waitDrain(resume) { drain = resume; },
  } satisfies BodySink);
  let drain: (() => void) | undefined;
  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const chunk = queue.shift();
        if (chunk !== undefined) {
          if (drain !== undefined && queue.length === 0) { const resume = drain; drain = undefined; resume(); }
          yield chunk;
          continue;
        }
        if (failure !== undefined) throw failure;
        if (done) return;
        await new Promise<void>((resolve) => { wake = resolve; });
        wake = undefined;
      }
    },
  };
}

/** An upstream error status as a GatewayError carrying the upstream's own message. */
export function upstreamFailure(status: number, body: Buffer): GatewayError {
  let message = `upstream answered ${status}`;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: { message?: unknown } | string; message?: unknown };
    const candidate = typeof parsed.error === 'string' ? parsed.error : parsed.error?.message ?? parsed.message;
    if (typeof candidate === 'string' && candidate !== '') message = candidate;
  } catch {
    // not JSON: keep the generic message rather than echo arbitrary bytes
  }
  return new GatewayError(status, 'upstream_error', message, { retryable: status === 429 || status >= 500 });
}

/** Where a request in `format` goes, relative to a provider's endpoint. */
export function upstreamPath(format: WireFormat, upstreamModel: string, stream: boolean, geminiSse = true): string {
  switch (format) {
    case 'openai-chat':
      return '/chat/completions';
    case 'openai-responses':
      return '/responses';
    case 'anthropic':
      return '/v1/messages';
    case 'gemini': {
      const model = encodeURIComponent(upstreamModel.replace(/^models\//, ''));
      if (!stream) return `/v1beta/models/${model}:generateContent`;
      return `/v1beta/models/${model}:streamGenerateContent${geminiSse ? '?alt=sse' : ''}`;
    }
  }
}

