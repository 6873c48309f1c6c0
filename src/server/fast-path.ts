/**
 * The fast path: the client speaks the provider's protocol, so the request body goes
 * upstream with only `model` rewritten (plus a provider's documented quirks) and the
 * response bytes stream back as they arrive, usage read off them on the way.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayResponse } from './types.ts';
import type { GatewayError } from '../errors.ts';
import type { Candidate } from '../routing/router.ts';
import type { UpstreamResponse } from '../providers/upstream-client.ts';
import { UsageTap, type TokenCounts } from './usage-sniffer.ts';

/** The body to send upstream for `candidate`: the client's bytes whenever possible. */
export function upstreamBody(raw: Buffer, body: Record<string, unknown>, candidate: Candidate, applyQuirks = true): Buffer {
  const quirks = applyQuirks ? candidate.entry.http?.settings.quirks : undefined;
  if (quirks !== undefined) {
    const copy = { ...body };
    if (quirks(copy, candidate.upstreamModel)) {
      copy.model = candidate.upstreamModel;
      return Buffer.from(JSON.stringify(copy));
    }
  }
  if (body.model === candidate.upstreamModel) return raw;
  return spliceModel(raw, candidate.upstreamModel) ?? Buffer.from(JSON.stringify({ ...body, model: candidate.upstreamModel }));
}

/**
 * Rewrites the value of the `"model"` key in place when the body has exactly one such key,
 * which must then be the top-level one. Any other shape (a nested "model" key, say) returns
 * undefined and the caller re-serialises instead. Native `indexOf` does the search; only
 * the value's own bytes are walked.
 */
export function spliceModel(raw: Buffer, to: string): Buffer | undefined {
  let valueStart = -1;
  for (let at = raw.indexOf(MODEL_KEY); at >= 0; at = raw.indexOf(MODEL_KEY, at + MODEL_KEY.length)) {
    let index = at + MODEL_KEY.length;
    while (index < raw.length && isSpace(raw[index] as number)) index++;
    if (raw[index] !== 0x3a) continue; // not followed by ':': a string value, not a key
    if (valueStart >= 0) return undefined;
    index++;
    while (index < raw.length && isSpace(raw[index] as number)) index++;
    valueStart = index;
  }
  if (valueStart < 0 || raw[valueStart] !== 0x22) return undefined;
  let end = valueStart + 1;
  while (end < raw.length && raw[end] !== 0x22) end += raw[end] === 0x5c ? 2 : 1;
  if (end >= raw.length) return undefined;
  return Buffer.concat([raw.subarray(0, valueStart), Buffer.from(JSON.stringify(to)), raw.subarray(end + 1)]);
}

const MODEL_KEY = Buffer.from('"model"');

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

const DROPPED_RESPONSE_HEADERS = new Set([
  'connection', 'keep-alive', 'transfer-encoding', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'upgrade', 'set-cookie', 'alt-svc', 'date', 'server', 'strict-transport-security',
]);

/** The upstream's response headers minus hop-by-hop ones and cookies, plus ours. */
export function responseHeaders(upstream: IncomingHttpHeaders, extra: Record<string, string>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in upstream) {
    const value = upstream[name];
    if (value === undefined || DROPPED_RESPONSE_HEADERS.has(name)) continue;
    out[name] = value;
  }
  for (const name in extra) out[name] = extra[name] as string;
  return out;
}

export interface RelayOutcome {
  ok: boolean;
  error?: GatewayError;
  usage?: TokenCounts;
}

/**
 * Writes the upstream response to the client: head, then bytes with backpressure. Resolves
 * when the body has ended or failed. A failure after bytes were sent ends a stream with the
 * format's in-stream error event (`streamError`), or cuts a non-stream body off, so the
 * client never mistakes a truncated answer for a whole one.
 */
export function relay(
  upstream: UpstreamResponse,
  client: GatewayResponse,
  headers: Record<string, string | string[]>,
  options: {
    usageKey: string | undefined;
    readUsage: ((value: Record<string, unknown>) => TokenCounts) | undefined;
    streamError: ((error: GatewayError) => string) | undefined;
  },
): Promise<RelayOutcome> {
  // A keep-alive comment may already have committed the head (streams only).
  if (!client.headersSent) client.writeHead(upstream.status, headers);
  let usage: TokenCounts | undefined;
  const sniffer = options.usageKey === undefined || options.readUsage === undefined
    ? undefined
    : new UsageTap(options.usageKey, (value) => { usage = (options.readUsage as (value: Record<string, unknown>) => TokenCounts)(value); });
  // SSE: only whole events go out, so that an in-stream error never lands inside half an
  // event. Upstreams write whole events almost always, so `held` is nearly always empty.
  const events = options.streamError !== undefined;
  let held: Buffer | undefined;
  return new Promise((resolve) => {
    upstream.pipe({
      write(chunk) {
        sniffer?.push(chunk);
        if (!events) return client.write(chunk);
        const data = held === undefined ? chunk : Buffer.concat([held, chunk]);
        const cut = afterLastEvent(data);
        held = cut === data.length ? undefined : data.subarray(cut);
        return cut === 0 ? true : client.write(cut === data.length ? data : data.subarray(0, cut));
      },
      end() {
        // A last event without its blank line is the upstream's own framing: pass it on.
        client.end(held);
        sniffer?.end();
        resolve({ ok: true, usage });
      },
      fail(error) {
        sniffer?.end();
        if (options.streamError !== undefined && !client.destroyed) client.end(options.streamError(error));
        else client.destroy();
        resolve({ ok: false, error, usage });
      },
      waitDrain(resume) {
        client.once('drain', resume);
      },
      endWith(chunk) {
        sniffer?.push(chunk);
        client.end(chunk);
        sniffer?.end();
        resolve({ ok: true, usage });
      },
    });
  });
}

const LF_LF = Buffer.from('\n\n');
const CRLF_CRLF = Buffer.from('\r\n\r\n');

/** Offset just past the last blank line (`\n\n` or `\r\n\r\n`), 0 when there is none. */
export function afterLastEvent(data: Buffer): number {
  // Upstreams nearly always write whole events: check the last two bytes before searching.
  const length = data.length;
  if (length >= 2 && data[length - 1] === 0x0a && (data[length - 2] === 0x0a || (length >= 4 && data[length - 2] === 0x0d && data[length - 3] === 0x0a))) return length;
  const lf = data.lastIndexOf(LF_LF);
  const crlf = data.lastIndexOf(CRLF_CRLF);
  return Math.max(lf < 0 ? 0 : lf + 2, crlf < 0 ? 0 : crlf + 4);
}
