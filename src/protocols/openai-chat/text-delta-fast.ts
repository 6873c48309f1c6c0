/**
 * Most chunks of a Chat Completions stream are text deltas that repeat the stream's envelope
 * byte for byte and differ only in one string:
 *
 *   {"id":"…","object":"chat.completion.chunk","created":N,"model":"…",…,"choices":[{"index":0,
 *    "delta":{"content":"…"},"logprobs":null,"finish_reason":null}]}
 *
 * (OpenAI may add `,"obfuscation":"…"` after the choices.) `JSON.parse` builds five objects
 * per chunk to read that one string, and it is most of what translating such a stream costs.
 * `TextDeltaReader` learns the envelope from a chunk that was parsed in full and turned out
 * to be exactly this shape (no usage, no error), and then reads the string of any chunk
 * that has the same envelope, byte for byte, and the same shape. Anything else — another
 * envelope, spacing, key order, a second choice, a string that is not plain JSON text —
 * answers undefined and the caller parses the chunk as usual, so the result is always
 * what `JSON.parse` gives. The envelope's bytes being identical to those of a chunk
 * `JSON.parse` read means the choices sit at the same place in the same top-level object.
 */
const MIDDLE = ',"choices":[{"index":0,"delta":{"content":"';
const SUFFIX = '"},"logprobs":null,"finish_reason":null}]';
const OBFUSCATION = ',"obfuscation":"';
// Characters JSON strings may not hold raw, and the escape character.
const NOT_PLAIN = /[\u0000-\u001f"\\]/;
const ONE_LITERAL = /^(?:[^"\\\u0000-\u001f]|\\.)*$/s;

export class TextDeltaReader {
  /** The envelope and MIDDLE, as in the chunk the shape was learnt from. */
  private prefix: string | undefined;

  /**
   * Learns the envelope of `data`, a chunk `JSON.parse` read as `chunk`, when it has the
   * shape: a content-only delta of choice 0, nothing after the choices but `obfuscation`.
   */
  learn(data: string, chunk: Record<string, unknown>): void {
    if (this.prefix !== undefined || (chunk['error'] !== undefined && chunk['error'] !== null) || (chunk['usage'] !== undefined && chunk['usage'] !== null)) return;
    const at = data.indexOf(MIDDLE);
    if (at < 0 || data.indexOf(MIDDLE, at + 1) >= 0) return;
    const prefix = data.slice(0, at + MIDDLE.length);
    if (this.read(data, prefix) === undefined) return;
    // What JSON.parse made of it agrees: one choice, its delta the content alone.
    const choices = chunk['choices'];
    if (!Array.isArray(choices) || choices.length !== 1) return;
    const delta = (choices[0] as Record<string, unknown>)['delta'] as Record<string, unknown> | undefined;
    if (delta === undefined || Object.keys(delta).length !== 1 || typeof delta['content'] !== 'string') return;
    this.prefix = prefix;
  }

  /** The content of a chunk with the learnt envelope and the shape, else undefined. */
  textOf(data: string): string | undefined {
    const prefix = this.prefix;
    // Not startsWith: with a pattern made at run time it costs several times this comparison.
    if (prefix === undefined || data.length < prefix.length || data.slice(0, prefix.length) !== prefix) return undefined;
    return this.read(data, prefix);
  }

  private read(data: string, prefix: string): string | undefined {
    // The string ends at the first quote that no backslash escapes.
    let end = prefix.length;
    for (;;) {
      end = data.indexOf('"', end);
      if (end < 0) return undefined;
      let backslashes = 0;
      while (data.charCodeAt(end - 1 - backslashes) === 0x5c) backslashes++;
      if (backslashes % 2 === 0) break;
      end++;
    }
    if (!data.startsWith(SUFFIX, end)) return undefined;
    const after = end + SUFFIX.length;
    if (after === data.length - 1) {
      if (data.charCodeAt(after) !== 0x7d) return undefined;
    } else if (!data.startsWith(OBFUSCATION, after) || !data.endsWith('"}') || !isPlain(data.slice(after + OBFUSCATION.length, data.length - 2))) {
      return undefined;
    }
    const raw = data.slice(prefix.length, end);
    if (!NOT_PLAIN.test(raw)) return raw;
    if (!ONE_LITERAL.test(raw)) return undefined;
    try {
      const text = JSON.parse(`"${raw}"`) as unknown;
      return typeof text === 'string' ? text : undefined;
    } catch {
      return undefined;
    }
  }
}

function isPlain(text: string): boolean {
  return !NOT_PLAIN.test(text);
}
