/**
 * How a `*.chunks.txt` fixture (one event payload per line, no framing) becomes the exact
 * body an upstream sends. One small function per wire format, so a fake upstream for
 * Anthropic or Gemini adds its framing here instead of hard-wiring one into the server.
 */

/** Turns the payload lines of a `*.chunks.txt` fixture into a response body. */
export type ChunkFraming = (payloads: readonly string[]) => string;

/**
 * OpenAI Chat Completions (and every OpenAI-compatible provider): `data: LINE\n\n` per
 * payload, then `data: [DONE]\n\n`.
 *
 * @example openAIChatFraming(['{"a":1}']) === 'data: {"a":1}\n\ndata: [DONE]\n\n'
 */
export const openAIChatFraming: ChunkFraming = (payloads) =>
  payloads.map((payload) => `data: ${payload}\n\n`).join('') + 'data: [DONE]\n\n';

/**
 * Anthropic Messages (and OpenAI Responses): `event: TYPE\ndata: LINE\n\n`, TYPE being the
 * payload's own `type`. No terminator: the stream ends after `message_stop`.
 */
export const namedEventFraming: ChunkFraming = (payloads) =>
  payloads
    .map((payload) => {
      const parsed = JSON.parse(payload) as { type?: unknown };
      if (typeof parsed.type !== 'string') throw new Error(`payload without a string "type": ${payload.slice(0, 80)}`);
      return `event: ${parsed.type}\ndata: ${payload}\n\n`;
    })
    .join('');

/** Gemini `streamGenerateContent?alt=sse`: `data: LINE\r\n\r\n`, no terminator. */
export const geminiFraming: ChunkFraming = (payloads) => payloads.map((payload) => `data: ${payload}\r\n\r\n`).join('');

/** Splits a `*.chunks.txt` file into its payload lines (blank lines dropped, `\r` tolerated). */
export function chunkLines(text: string): string[] {
  return text.split('\n').map((line) => line.replace(/\r$/, '')).filter((line) => line.trim() !== '');
}

/** One parsed server-sent event: the joined `data:` lines and the `event:` name, if any. */
export interface ServerSentEvent {
  event: string | undefined;
  data: string;
}

/**
 * A deliberately small, independent SSE parser (the WHATWG rules that matter for these
 * fixtures: `\r\n`, `\n` or `\r` line ends, comment lines, multi-line `data:`, a final event
 * without its blank line). Tests use it to compute what a stream says without trusting the
 * code under test or the SDK.
 */
export function parseServerSentEvents(body: string): ServerSentEvent[] {
  const events: ServerSentEvent[] = [];
  let data: string[] = [];
  let event: string | undefined;
  const flush = (): void => {
    if (data.length > 0) events.push({ event, data: data.join('\n') });
    data = [];
    event = undefined;
  };
  for (const line of body.split(/\r\n|\r|\n/)) {
    if (line === '') {
      flush();
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
  }
  flush();
  return events;
}
