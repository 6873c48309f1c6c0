/**
 * The fast path: the client speaks the provider's protocol, so the request body goes
 * upstream with only `model` rewritten (plus a provider's documented quirks) and the
 * response bytes stream back as they arrive, usage read off them on the way.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { GatewayError } from '../errors.ts';
import type { Candidate } from '../routing/router.ts';
import type { UpstreamResponse } from '../providers/upstream-client.ts';
import { UsageSniffer, type TokenCounts } from './usage-sniffer.ts';

/** The body to send upstream for `candidate`: the client's bytes whenever possible. */
export function upstreamBody(raw: Buffer, body: Record<string, unknown>, candidate: Candidate): Buffer {
  const quirks = candidate.entry.http?.settings.quirks;
  if (quirks !== undefined) {
    const copy = { ...body };
    if (quirks(copy, candidate.upstreamModel)) {
      copy.model = candidate.upstreamModel;
      return Buffer.from(JSON.stringify(copy));
    }
  }
  if (body.model === candidate.upstreamModel) return raw;
  return spliceModel(raw, body.model as string, candidate.upstreamModel) ?? Buffer.from(JSON.stringify({ ...body, model: candidate.upstreamModel }));
}

/**
 * Rewrites the value of the one top-level-looking `"model": "<from>"` pair in place.
 * Returns undefined when the pair is not found exactly once (escapes, or a nested "model"
 * key with the same value), and the caller re-serialises instead.
 */
export function spliceModel(raw: Buffer, from: string, to: string): Buffer | undefined {
  const needle = Buffer.from(JSON.stringify(from));
  let found = -1;
  for (let at = raw.indexOf(needle); at >= 0; at = raw.indexOf(needle, at + 1)) {
    if (!precededByModelKey(raw, at)) continue;
    if (found >= 0) return undefined;
    found = at;
  }
  if (found < 0) return undefined;
  return Buffer.concat([raw.subarray(0, found), Buffer.from(JSON.stringify(to)), raw.subarray(found + needle.length)]);
}

const MODEL_KEY = Buffer.from('"model"');

function precededByModelKey(raw: Buffer, valueStart: number): boolean {
  let index = valueStart - 1;
  while (index >= 0 && isSpace(raw[index] as number)) index--;
  if (raw[index] !== 0x3a) return false; // ':'
  index--;
  while (index >= 0 && isSpace(raw[index] as number)) index--;
  const keyStart = index - MODEL_KEY.length + 1;
  return keyStart >= 0 && raw.subarray(keyStart, index + 1).equals(MODEL_KEY);
}

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
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || DROPPED_RESPONSE_HEADERS.has(name)) continue;
    out[name] = value;
  }
  return Object.assign(out, extra);
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
  client: ServerResponse,
  headers: Record<string, string | string[]>,
  options: {
    usageKey: string | undefined;
    readUsage: ((value: Record<string, unknown>) => TokenCounts) | undefined;
    streamError: ((error: GatewayError) => string) | undefined;
  },
): Promise<RelayOutcome> {
  client.writeHead(upstream.status, headers);
  let usage: TokenCounts | undefined;
  const sniffer = options.usageKey === undefined || options.readUsage === undefined
    ? undefined
    : new UsageSniffer(options.usageKey, (value) => { usage = (options.readUsage as (value: Record<string, unknown>) => TokenCounts)(value); });
  return new Promise((resolve) => {
    upstream.pipe({
      write(chunk) {
        sniffer?.push(chunk);
        return client.write(chunk);
      },
      end() {
        client.end();
        resolve({ ok: true, usage });
      },
      fail(error) {
        if (options.streamError !== undefined && !client.destroyed) client.end(options.streamError(error));
        else client.destroy();
        resolve({ ok: false, error, usage });
      },
      waitDrain(resume) {
        client.once('drain', resume);
      },
    });
  });
}
