/**
 * Token counting for Anthropic (`/v1/messages/count_tokens`) and Gemini (`:countTokens`)
 * clients. Exact where a candidate counts upstream — Anthropic's count_tokens, Gemini's
 * countTokens, in either direction — and otherwise a documented estimate. The answer says
 * which in `x-cliproxy-token-count: exact | estimate`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayResponse } from '../types.ts';
import { ADAPTERS } from '../../protocols/index.ts';
import type { IRRequest } from '../../protocols/ir.ts';
import type { Candidate } from '../../routing/router.ts';
import { estimateInputTokens } from '../estimate-tokens.ts';
import { upstreamBody } from '../fast-path.ts';
import { sendJson } from '../http-io.ts';
import type { GatewayContext } from '../runtime.ts';

export interface CountCall {
  format: 'anthropic' | 'gemini';
  raw: Buffer;
  body: Record<string, unknown>;
  model: string;
  ir: IRRequest;
  headers: IncomingHttpHeaders;
}

function answer(format: CountCall['format'], tokens: number): Record<string, unknown> {
  return format === 'anthropic' ? { input_tokens: tokens } : { totalTokens: tokens };
}

async function exactCount(call: CountCall, candidate: Candidate, signal: AbortSignal): Promise<number | undefined> {
  const http = candidate.entry.http;
  if (http === undefined) return undefined;
  const upstream = candidate.upstreamModel;
  let path: string;
  let body: Buffer;
  if (candidate.entry.protocol === 'anthropic') {
    path = '/v1/messages/count_tokens';
    if (call.format === 'anthropic') {
      body = upstreamBody(call.raw, call.body, candidate, false);
    } else {
      const wire = ADAPTERS.anthropic.renderRequest({ ...call.ir, model: upstream, stream: false });
      // count_tokens takes the request minus generation settings.
      const { max_tokens: _maxTokens, temperature: _temperature, top_p: _topP, top_k: _topK, stop_sequences: _stop, stream: _stream, ...countable } = wire;
      body = Buffer.from(JSON.stringify(countable));
    }
  } else if (candidate.entry.protocol === 'gemini') {
    path = `/v1beta/models/${encodeURIComponent(upstream)}:countTokens`;
    if (call.format === 'gemini') {
      body = call.raw;
    } else {
      const wire = ADAPTERS.gemini.renderRequest({ ...call.ir, model: upstream, stream: false });
      body = Buffer.from(JSON.stringify({ generateContentRequest: { model: `models/${upstream}`, ...wire } }));
    }
  } else {
    return undefined;
  }
  const response = await http.forward({ path, body, stream: false, credential: candidate.credential, signal, clientHeaders: call.headers });
  const bytes = await response.readAll();
  if (response.status >= 400) return undefined;
  const parsed = JSON.parse(bytes.toString('utf8')) as { input_tokens?: unknown; totalTokens?: unknown };
  const tokens = candidate.entry.protocol === 'anthropic' ? parsed.input_tokens : parsed.totalTokens;
  return typeof tokens === 'number' ? tokens : undefined;
}

export async function countTokens(call: CountCall, response: GatewayResponse, context: GatewayContext): Promise<void> {
  const candidates = await context.current().router.select(call.model);
  const signal = AbortSignal.timeout(context.current().config.routing.timeouts.firstByteMs);
  for (const candidate of candidates) {
    if (candidate.entry.notServedYet !== undefined) continue;
    try {
      const tokens = await exactCount(call, candidate, signal);
      if (tokens !== undefined) {
        sendJson(response, 200, answer(call.format, tokens), { 'x-cliproxy-token-count': 'exact', 'x-cliproxy-provider': candidate.provider });
        return;
      }
    } catch (error) {
      context.logger.debug({ provider: candidate.provider, err: error }, 'exact token count failed; trying the next candidate');
    }
  }
  sendJson(response, 200, answer(call.format, estimateInputTokens(call.ir)), { 'x-cliproxy-token-count': 'estimate' });
}
