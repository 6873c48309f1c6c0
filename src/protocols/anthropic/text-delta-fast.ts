/**
 * Most events of a Claude stream are text deltas, written by Anthropic byte for byte as
 *
 *   {"type":"content_block_delta","index":N,"delta":{"type":"text_delta","text":"…"}}
 *
 * Reading that exact shape by hand (the index digits, the one string) costs a third of
 * `JSON.parse` building two objects, and the translated stream parses one per chunk. Any
 * other shape, spacing or key order — or a string that is not plain JSON text — answers
 * undefined and the caller parses the event as usual, so the result is always what
 * `JSON.parse` gives.
 */
const PREFIX = '{"type":"content_block_delta","index":';
const MIDDLE = ',"delta":{"type":"text_delta","text":"';
const SUFFIX = '"}}';
// Characters JSON strings may not hold raw, and the escape character.
const NOT_PLAIN = /[\u0000-\u001f"\\]/;

/** `{ index, text }` of a text delta in Anthropic's exact layout, else undefined. */
export function readTextDelta(data: string): { index: number; text: string } | undefined {
  if (!data.startsWith(PREFIX) || !data.endsWith(SUFFIX)) return undefined;
  let at = PREFIX.length;
  let index = 0;
  const digitsStart = at;
  while (at < data.length) {
    const code = data.charCodeAt(at);
    if (code < 0x30 || code > 0x39) break;
    index = index * 10 + (code - 0x30);
    at++;
  }
  const digits = at - digitsStart;
  // JSON numbers have no leading zeros; keep to small integers.
  if (digits === 0 || digits > 6 || (digits > 1 && data.charCodeAt(digitsStart) === 0x30)) return undefined;
  if (!data.startsWith(MIDDLE, at)) return undefined;
  const textStart = at + MIDDLE.length;
  const textEnd = data.length - SUFFIX.length;
  if (textEnd < textStart) return undefined;
  const raw = data.slice(textStart, textEnd);
  if (!NOT_PLAIN.test(raw)) return { index, text: raw };
  // Escapes (or a stray quote): let the JSON parser read the string literal, and make sure
  // it is exactly one literal — `"a","b"` between the quotes is not one.
  if (!/^(?:[^"\\\u0000-\u001f]|\\.)*$/s.test(raw)) return undefined;
  try {
    const text = JSON.parse(`"${raw}"`) as unknown;
    return typeof text === 'string' ? { index, text } : undefined;
  } catch {
    return undefined;
  }
}
