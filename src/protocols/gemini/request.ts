/**
 * Gemini request body ⇄ IR request. The model and the streaming flag live in the URL
 * (`/v1beta/models/{model}:streamGenerateContent`), so they come from the RequestContext.
 *
 * Roles: Gemini has `user` and `model`; IR system/developer messages go to
 * `systemInstruction`, IR tool messages become `user` contents of `functionResponse` parts,
 * and consecutive contents of one role are merged (Gemini wants them alternating). Tool
 * results are matched to calls by name: Gemini has no call ids, so the name of the call a
 * result answers is looked up in the history when the result does not carry it.
 */
import { GatewayError } from '../../errors.ts';
import type { RequestContext } from '../adapter.ts';
import type { ContentPart, IRRequest, Message, ResponseFormat, TextPart } from '../ir.ts';
import { invalidRequest } from '../shared/invalid-request-error.ts';
import { isRecord, numberOrUndefined, stringOrUndefined } from '../shared/json-value-guards.ts';
import type { JsonRecord } from '../shared/json-value-guards.ts';
import { createCallIdSource, isSyntheticCallId } from './call-ids.ts';
import { camelizeKeys } from './camelize.ts';
import { parseFunctionResponse, parseGeminiParts, renderFunctionResponse, renderGeminiParts } from './parts.ts';
import type { RenderPartsOptions } from './parts.ts';
import { fromGeminiSchema, toGeminiSchema } from './schema.ts';
import { parseThinkingConfig, renderThinkingConfig } from './thinking-config.ts';
import { parseGeminiTools, parseToolConfig, renderFunctionDeclaration, renderToolConfig } from './tool-config.ts';
import type { GeminiContent, GeminiIRRequest, GeminiPart, GeminiSourceHints } from './types.ts';

const KNOWN_TOP_LEVEL = new Set(['contents', 'systemInstruction', 'tools', 'toolConfig', 'generationConfig', 'model']);
const KNOWN_GENERATION = new Set([
  'maxOutputTokens',
  'temperature',
  'topP',
  'topK',
  'stopSequences',
  'presencePenalty',
  'frequencyPenalty',
  'seed',
  'responseMimeType',
  'responseSchema',
  'responseJsonSchema',
  'thinkingConfig',
]);

/** Documented by Google for histories that did not come from Gemini 3 (no real signature). */
export const SKIP_SIGNATURE_VALIDATION = 'skip_thought_signature_validator';

function parseSystemInstruction(value: unknown): TextPart[] {
  if (typeof value === 'string') return value === '' ? [] : [{ type: 'text', text: value }];
  if (!isRecord(value)) return [];
  const rawParts = value['parts'];
  const parts = Array.isArray(rawParts) ? rawParts : isRecord(rawParts) ? [rawParts] : [];
  const system: TextPart[] = [];
  for (const part of parts) {
    if (isRecord(part) && typeof part['text'] === 'string') system.push({ type: 'text', text: part['text'] });
  }
  return system;
}

interface PendingCall {
  id: string;
  name: string;
}

function parseContents(value: unknown, hints: GeminiSourceHints): Message[] {
  if (!Array.isArray(value)) throw invalidRequest('contents', 'must be an array of contents');
  const ids = createCallIdSource();
  const wireIds: string[] = [];
  const messages: Message[] = [];
  let pending: PendingCall[] = [];
  value.forEach((rawContent, index) => {
    const path = `contents[${index}]`;
    if (!isRecord(rawContent)) throw invalidRequest(path, 'must be an object');
    const content = camelizeKeys(rawContent);
    const role = content['role'] ?? 'user';
    const rawParts = content['parts'];
    const parts = Array.isArray(rawParts) ? rawParts : isRecord(rawParts) ? [rawParts] : undefined;
    if (parts === undefined) throw invalidRequest(`${path}.parts`, 'must be an array of parts');
    if (role === 'model') {
      const modelParts = parseGeminiParts(parts, ids);
      for (const [partIndex, part] of modelParts.entries()) {
        if (part.type !== 'tool-call') continue;
        if (part.name === '') throw invalidRequest(`${path}.parts[${partIndex}].functionCall.name`, 'is required');
        pending.push({ id: part.id, name: part.name });
      }
      collectWireIds(parts, wireIds);
      if (modelParts.length > 0) messages.push({ role: 'assistant', content: modelParts });
      return;
    }
    if (role !== 'user' && role !== 'function') throw invalidRequest(`${path}.role`, `must be "user" or "model", got ${JSON.stringify(role)}`);
    let userParts: unknown[] = [];
    const flushUser = (): void => {
      const converted = parseGeminiParts(userParts, ids);
      if (converted.length > 0) messages.push({ role: 'user', content: converted });
      userParts = [];
    };
    for (const rawPart of parts) {
      const part = isRecord(rawPart) ? camelizeKeys(rawPart) : undefined;
      const response = part === undefined ? undefined : part['functionResponse'];
      if (!isRecord(response)) {
        userParts.push(rawPart);
        continue;
      }
      flushUser();
      const functionResponse = camelizeKeys(response);
      const wireId = stringOrUndefined(functionResponse['id']);
      const name = stringOrUndefined(functionResponse['name']) ?? '';
      let id: string;
      if (wireId !== undefined && wireId !== '') {
        id = wireId;
        wireIds.push(wireId);
        pending = pending.filter((call) => call.id !== wireId);
      } else {
        // No id on the wire: the first unanswered call of that name is the one answered.
        const match = pending.find((call) => call.name === name);
        id = match?.id ?? ids.next();
        pending = pending.filter((call) => call !== match);
      }
      messages.push({ role: 'tool', content: [parseFunctionResponse(functionResponse, id)] });
    }
    flushUser();
  });
  if (wireIds.length > 0) hints.wireCallIds = wireIds;
  return messages;
}

function collectWireIds(parts: unknown[], into: string[]): void {
  for (const part of parts) {
    if (!isRecord(part)) continue;
    const call = camelizeKeys(part)['functionCall'];
    if (isRecord(call) && typeof call['id'] === 'string' && call['id'] !== '') into.push(call['id']);
  }
}

function parseResponseFormat(config: JsonRecord, hints: GeminiSourceHints): ResponseFormat | undefined {
  const mimeType = stringOrUndefined(config['responseMimeType']);
  const jsonSchema = config['responseJsonSchema'];
  const schema = config['responseSchema'];
  if (isRecord(jsonSchema)) hints.responseSchema = { key: 'responseJsonSchema', schema: jsonSchema };
  else if (isRecord(schema)) hints.responseSchema = { key: 'responseSchema', schema };
  if (mimeType === 'application/json') {
    if (isRecord(jsonSchema)) return { type: 'json-schema', schema: jsonSchema };
    if (isRecord(schema)) return { type: 'json-schema', schema: fromGeminiSchema(schema) };
    return { type: 'json-object' };
  }
  if (mimeType === 'text/plain') return { type: 'text' };
  // text/x.enum and friends: nothing the IR can say; the mime type (and schema) ride in hints.
  if (mimeType !== undefined) hints.responseMimeType = mimeType;
  return undefined;
}

/**
 * @example
 * parseGeminiRequest({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }, { model: 'gemini-2.5-flash', stream: true });
 */
export function parseGeminiRequest(body: unknown, context: RequestContext = {}): GeminiIRRequest {
  if (!isRecord(body)) throw invalidRequest('body', 'must be a JSON object');
  const wire = camelizeKeys(body);
  const bodyModel = stringOrUndefined(wire['model']);
  const model = (context.model ?? bodyModel)?.replace(/^models\//, '');
  if (model === undefined || model === '') throw new GatewayError(400, 'missing_model', 'the model is named in the URL: /v1beta/models/{model}:generateContent');
  const hints: GeminiSourceHints = {};
  const request: GeminiIRRequest = {
    model,
    system: parseSystemInstruction(wire['systemInstruction']),
    messages: parseContents(wire['contents'], hints),
    tools: [],
    stream: context.stream ?? false,
    extra: {},
    sourceFormat: 'gemini',
  };

  const tools = parseGeminiTools(wire['tools']);
  request.tools = tools.tools;
  if (tools.hostedTools.length > 0) hints.hostedTools = tools.hostedTools;
  if (Object.keys(tools.toolParameters).length > 0) hints.toolParameters = tools.toolParameters;

  if (wire['toolConfig'] !== undefined) {
    const toolConfig = parseToolConfig(wire['toolConfig']);
    if (toolConfig.toolChoice !== undefined) request.toolChoice = toolConfig.toolChoice;
    if (toolConfig.lossy && isRecord(wire['toolConfig'])) hints.toolConfig = wire['toolConfig'];
  }

  const rawGeneration = wire['generationConfig'];
  if (rawGeneration !== undefined && !isRecord(rawGeneration)) throw invalidRequest('generationConfig', 'must be an object');
  if (isRecord(rawGeneration)) {
    const config = camelizeKeys(rawGeneration);
    const maxTokens = numberOrUndefined(config['maxOutputTokens']);
    if (maxTokens !== undefined) request.maxTokens = maxTokens;
    const temperature = numberOrUndefined(config['temperature']);
    if (temperature !== undefined) request.temperature = temperature;
    const topP = numberOrUndefined(config['topP']);
    if (topP !== undefined) request.topP = topP;
    const topK = numberOrUndefined(config['topK']);
    if (topK !== undefined) request.topK = topK;
    const stop = config['stopSequences'];
    if (Array.isArray(stop)) request.stop = stop.filter((entry): entry is string => typeof entry === 'string');
    const presence = numberOrUndefined(config['presencePenalty']);
    if (presence !== undefined) request.presencePenalty = presence;
    const frequency = numberOrUndefined(config['frequencyPenalty']);
    if (frequency !== undefined) request.frequencyPenalty = frequency;
    const seed = numberOrUndefined(config['seed']);
    if (seed !== undefined) request.seed = seed;
    const responseFormat = parseResponseFormat(config, hints);
    if (responseFormat !== undefined) request.responseFormat = responseFormat;
    if (isRecord(config['thinkingConfig'])) {
      const thinking = camelizeKeys(config['thinkingConfig']);
      const reasoning = parseThinkingConfig(thinking);
      if (reasoning !== undefined) request.reasoning = reasoning;
      hints.thinkingConfig = thinking;
    }
    const generationExtra: JsonRecord = {};
    for (const [key, value] of Object.entries(config)) {
      if (!KNOWN_GENERATION.has(key)) generationExtra[key] = value;
    }
    // Kept even when empty: `generationConfig: {}` (what @google/genai sends) comes back as sent.
    hints.generationConfigExtra = generationExtra;
  }

  for (const [key, value] of Object.entries(wire)) {
    if (!KNOWN_TOP_LEVEL.has(key)) request.extra[key] = value;
  }
  if (Object.keys(hints).length > 0) request.gemini = hints;
  return request;
}

function systemTexts(request: IRRequest): TextPart[] {
  const texts: TextPart[] = [...request.system];
  for (const message of request.messages) {
    if (message.role !== 'system' && message.role !== 'developer') continue;
    for (const part of message.content) {
      if (part.type === 'text') texts.push(part);
    }
  }
  return texts;
}

function pushContent(contents: GeminiContent[], role: 'user' | 'model', parts: GeminiPart[]): void {
  if (parts.length === 0) return;
  const last = contents[contents.length - 1];
  if (last !== undefined && last.role === role) last.parts.push(...parts);
  else contents.push({ role, parts });
}

/**
 * Gemini pairs function responses with the calls of the model turn before them by position
 * (they carry no ids), so a turn holding only responses is put in call order, whatever order
 * the client of another format answered in (Anthropic and OpenAI match results by id, so
 * their clients may send them in any order). A response keeps the media parts rendered right
 * after it. A turn that mixes in other parts is left as it is.
 */
function inCallOrder(parts: GeminiPart[], order: WeakMap<GeminiPart, number>): GeminiPart[] {
  const groups: Array<{ position: number; parts: GeminiPart[] }> = [];
  for (const part of parts) {
    const position = order.get(part);
    if (position !== undefined) groups.push({ position, parts: [part] });
    else if (groups.length > 0 && (part.inlineData !== undefined || part.fileData !== undefined)) groups[groups.length - 1]?.parts.push(part);
    else return parts;
  }
  if (groups.length < 2) return parts;
  return groups.sort((left, right) => left.position - right.position).flatMap((group) => group.parts);
}

function renderContents(request: GeminiIRRequest, options: RenderPartsOptions, sameFormat: boolean): GeminiContent[] {
  const contents: GeminiContent[] = [];
  const callNames = new Map<string, string>();
  /** Call id → its position among the calls of its model turn. */
  const callPositions = new Map<string, number>();
  const responseOrder = new WeakMap<GeminiPart, number>();
  // Counts on across assistant messages that merge into one model turn.
  let nextPosition = 0;
  const needsSentinel = !sameFormat && /gemini-3/.test(request.model);
  request.messages.forEach((message, messageIndex) => {
    if (message.role === 'system' || message.role === 'developer') return;
    if (message.role === 'assistant') {
      for (const part of message.content) {
        if (part.type !== 'tool-call') continue;
        callNames.set(part.id, part.name);
        callPositions.set(part.id, nextPosition);
        nextPosition += 1;
      }
      const parts = renderGeminiParts(message.content, options);
      if (needsSentinel) {
        // Gemini 3 validates the signature of the first function call of each step.
        const firstCall = parts.find((part) => part.functionCall !== undefined);
        if (firstCall !== undefined && firstCall.thoughtSignature === undefined) firstCall.thoughtSignature = SKIP_SIGNATURE_VALIDATION;
      }
      pushContent(contents, 'model', parts);
      return;
    }
    // user and tool messages: plain parts, and function responses for tool results.
    const parts: GeminiPart[] = [];
    let plain: ContentPart[] = [];
    const flushPlain = (): void => {
      parts.push(...renderGeminiParts(plain, options));
      plain = [];
    };
    message.content.forEach((part, partIndex) => {
      if (part.type !== 'tool-result') {
        plain.push(part);
        return;
      }
      flushPlain();
      const name = part.name ?? callNames.get(part.toolCallId);
      if (name === undefined || name === '') {
        throw invalidRequest(`messages[${messageIndex}].content[${partIndex}]`, `tool result ${JSON.stringify(part.toolCallId)} answers no earlier tool call, and Gemini needs the function name`);
      }
      const rendered = renderFunctionResponse(part, name, options);
      const position = callPositions.get(part.toolCallId);
      if (position !== undefined && rendered[0] !== undefined) responseOrder.set(rendered[0], position);
      parts.push(...rendered);
    });
    flushPlain();
    if (parts.length > 0) nextPosition = 0;
    pushContent(contents, 'user', parts);
  });
  // A Gemini client's own order is kept: the round trip of a Gemini body is lossless.
  if (!sameFormat) {
    for (const content of contents) {
      if (content.role === 'user') content.parts = inCallOrder(content.parts, responseOrder);
    }
  }
  return contents;
}

function renderResponseFormat(format: ResponseFormat | undefined, config: JsonRecord): void {
  if (format === undefined) return;
  if (format.type === 'text') config['responseMimeType'] = 'text/plain';
  else if (format.type === 'json-object') config['responseMimeType'] = 'application/json';
  else {
    config['responseMimeType'] = 'application/json';
    config['responseSchema'] = toGeminiSchema(format.schema);
  }
}

/** Tool calls in the history whose ids the renderer may put on the wire. */
function callIdFilter(request: GeminiIRRequest, sameFormat: boolean): (id: string) => boolean {
  if (!sameFormat) return () => false;
  const wireIds = new Set(request.gemini?.wireCallIds ?? []);
  return (id) => wireIds.has(id) && !isSyntheticCallId(id);
}

export function renderGeminiRequest(input: IRRequest): Record<string, unknown> {
  const request: GeminiIRRequest = input;
  const sameFormat = request.sourceFormat === 'gemini';
  const hints = sameFormat ? request.gemini : undefined;
  const options: RenderPartsOptions = { keepCallId: callIdFilter(request, sameFormat) };
  const body: Record<string, unknown> = {};
  body['contents'] = renderContents(request, options, sameFormat);
  const system = systemTexts(request);
  if (system.length > 0) body['systemInstruction'] = { parts: system.map((part) => ({ text: part.text })) };

  const declarations = request.tools.map((tool) => renderFunctionDeclaration(tool, hints));
  const tools: JsonRecord[] = declarations.length > 0 ? [{ functionDeclarations: declarations }] : [];
  if (hints?.hostedTools !== undefined) tools.push(...hints.hostedTools);
  if (tools.length > 0) body['tools'] = tools;

  if (hints?.toolConfig !== undefined) body['toolConfig'] = hints.toolConfig;
  // A function-calling mode without any function declared means nothing (and upsets Gemini).
  else if (request.toolChoice !== undefined && (sameFormat || declarations.length > 0)) body['toolConfig'] = renderToolConfig(request.toolChoice);

  const config: JsonRecord = {};
  if (request.maxTokens !== undefined) config['maxOutputTokens'] = request.maxTokens;
  if (request.temperature !== undefined) config['temperature'] = request.temperature;
  if (request.topP !== undefined) config['topP'] = request.topP;
  if (request.topK !== undefined) config['topK'] = request.topK;
  if (request.stop !== undefined && request.stop.length > 0) config['stopSequences'] = request.stop;
  if (request.presencePenalty !== undefined) config['presencePenalty'] = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) config['frequencyPenalty'] = request.frequencyPenalty;
  if (request.seed !== undefined) config['seed'] = request.seed;
  renderResponseFormat(request.responseFormat, config);
  if (hints?.responseMimeType !== undefined) config['responseMimeType'] = hints.responseMimeType;
  if (hints?.responseSchema !== undefined) {
    delete config['responseSchema'];
    config[hints.responseSchema.key] = hints.responseSchema.schema;
  }
  const thinking = hints?.thinkingConfig ?? renderThinkingConfig(request.reasoning, request.model);
  if (thinking !== undefined) config['thinkingConfig'] = thinking;
  if (hints?.generationConfigExtra !== undefined) Object.assign(config, hints.generationConfigExtra);
  if (Object.keys(config).length > 0 || hints?.generationConfigExtra !== undefined) body['generationConfig'] = config;

  if (sameFormat) Object.assign(body, request.extra);
  return body;
}

