/**
 * A Chat Completions stream chunk is ~200 bytes of envelope (id, object, created, model,
 * system_fingerprint, …) around the part that changes, `"choices":[…]`; after the first
 * chunk the stream parser needs only the choices. Parsing just them costs about half of
 * `JSON.parse` on the whole chunk, and the translated stream parses one chunk per event.
 *
 * Only a chunk in the plain layout takes this road: before `"choices"`, flat key/value pairs
 * (strings, numbers, true/false/null) that are not `error` or `usage`; after the array, more
 * such pairs (`usage` only as null) and the closing brace. Each piece is checked strictly,
 * so the whole is valid JSON with no other key that matters; anything else answers undefined
 * and the caller parses the chunk as usual.
 */
const CHOICES = '"choices":[';
const STRING = String.raw`"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"`;
const SCALAR = String.raw`(?:${STRING}|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)`;
const KEY = String.raw`"(?!(?:error|usage|choices)")[a-z_]+"`;
const ENVELOPE = new RegExp(String.raw`^\{(?:${KEY}:${SCALAR},)*$`);
const TAIL = new RegExp(String.raw`^(?:,(?:${KEY}:${SCALAR}|"usage":null))*\}$`);

/** The chunk's `choices` when it is in the plain layout, else undefined. */
export function readChunkChoices(data: string): unknown[] | undefined {
  const at = data.indexOf(CHOICES);
  if (at < 0) return undefined;
  const end = data.lastIndexOf(']');
  if (end < at) return undefined;
  if (!ENVELOPE.test(data.slice(0, at)) || !TAIL.test(data.slice(end + 1))) return undefined;
  try {
    const choices = JSON.parse(data.slice(at + CHOICES.length - 1, end + 1)) as unknown;
    return Array.isArray(choices) ? choices : undefined;
  } catch {
    return undefined;
  }
}
