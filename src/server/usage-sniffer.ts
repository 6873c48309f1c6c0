/**
 * Reads usage objects off bytes passing through the fast path without re-encoding them.
 * A native `indexOf` finds the key (`"usage"`, `"usageMetadata"`); only the object after it
 * is walked byte by byte and parsed. Keys and objects may straddle chunk boundaries.
 */

const MAX_OBJECT_BYTES = 64 * 1024;
const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const SCAN = 0;
const AFTER_KEY = 1;
const IN_OBJECT = 2;

const QUOTED_KEYS = new Map<string, Buffer>();

/** `"key"` as bytes, made once per key (there are two: usage and usageMetadata). */
function quotedKey(key: string): Buffer {
  let quoted = QUOTED_KEYS.get(key);
  if (quoted === undefined) {
    quoted = Buffer.from(`"${key}"`);
    QUOTED_KEYS.set(key, quoted);
  }
  return quoted;
}

/**
 * The offset just past the `}` closing the object that opens at `start`, or -1 when it does
 * not close within `chunk` (or within MAX_OBJECT_BYTES).
 */
function objectEnd(chunk: Buffer, start: number): number {
  const limit = Math.min(chunk.length, start + MAX_OBJECT_BYTES);
  let depth = 0;
  let inString = false;
  for (let index = start; index < limit; index++) {
    const byte = chunk[index] as number;
    if (inString) {
      if (byte === BACKSLASH) index++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN) depth++;
    else if (byte === CLOSE && --depth === 0) return index + 1;
  }
  return -1;
}

export class UsageSniffer {
  private readonly key: Buffer;
  private readonly onObject: (value: Record<string, unknown>) => void;
  private state = SCAN;
  private carry: Buffer | undefined;
  /** The chunk a search ended in without a match, where it began, and the carry before it. */
  private tailOf: Buffer | undefined;
  private tailFrom = 0;
  private tailPrevious: Buffer | undefined;
  /** The bytes of an object begun in an earlier chunk, from its `{`. */
  private partial: Buffer | undefined;

  constructor(key: string, onObject: (value: Record<string, unknown>) => void) {
    this.key = quotedKey(key);
    this.onObject = onObject;
  }

  push(chunk: Buffer): void {
    let index = 0;
    while (index < chunk.length) {
      if (this.state === SCAN) {
        const found = this.findKey(chunk, index);
        if (found < 0) return;
        index = found;
        this.state = AFTER_KEY;
      } else if (this.state === AFTER_KEY) {
        const byte = chunk[index] as number;
        if (byte === 0x20 || byte === 0x3a || byte === 0x0a || byte === 0x0d || byte === 0x09) {
          index++;
        } else if (byte === OPEN) {
          // Nearly always the whole object is in this chunk: parse it straight from there.
          index = this.readObject(chunk, index);
        } else {
          this.state = SCAN; // `null` or anything else: not an object
        }
      } else {
        // An object begun in an earlier chunk: search it again from its `{`, with this chunk.
        const begun = this.partial as Buffer;
        index = this.readObject(Buffer.concat([begun, chunk]), 0) - begun.length;
      }
    }
  }

  /**
   * Reads the object opening at `start` in `bytes`: emits it if it closes there, else keeps
   * it for the next chunk (up to MAX_OBJECT_BYTES). Returns where scanning resumes in `bytes`.
   */
  private readObject(bytes: Buffer, start: number): number {
    this.partial = undefined;
    const end = objectEnd(bytes, start);
    if (end >= 0) {
      this.emitText(bytes.toString('utf8', start, end));
      this.state = SCAN;
      return end;
    }
    if (bytes.length - start > MAX_OBJECT_BYTES) this.state = SCAN;
    else {
      this.partial = bytes.subarray(start);
      this.state = IN_OBJECT;
    }
    return bytes.length;
  }

  /** Position just past the key in `chunk` (searching from `from`), or -1 (tail carried). */
  private findKey(chunk: Buffer, from: number): number {
    const keep = this.key.length - 1;
    if (this.tailOf !== undefined) this.keepTail(keep);
    const previous = from === 0 ? this.carry : undefined;
    this.carry = undefined;
    if (previous !== undefined) {
      const joined = Buffer.concat([previous, chunk.subarray(0, keep)]);
      const at = joined.indexOf(this.key);
      // Only a match that straddles the boundary; one wholly inside `chunk` is found below.
      if (at >= 0 && at < previous.length) return at + this.key.length - previous.length;
    }
    const at = chunk.indexOf(this.key, from);
    if (at >= 0) return at + this.key.length;
    // The last `keep` bytes seen may start a key that ends in the next chunk. They are copied
    // out only when a next chunk comes: a sniffer fed one chunk (most are) allocates nothing.
    this.tailOf = chunk;
    this.tailFrom = from;
    this.tailPrevious = previous;
    return -1;
  }

  /** Carries the last `keep` bytes seen, which may span several short chunks. */
  private keepTail(keep: number): void {
    const rest = (this.tailOf as Buffer).subarray(this.tailFrom);
    const previous = this.tailPrevious;
    this.tailOf = undefined;
    this.tailPrevious = undefined;
    this.carry = rest.length >= keep || previous === undefined
      ? Buffer.from(rest.subarray(Math.max(0, rest.length - keep)))
      : Buffer.concat([previous, rest]).subarray(-keep);
  }

  private emitText(text: string): void {
    try {
      const value = JSON.parse(text) as unknown;
      if (value !== null && typeof value === 'object') this.onObject(value as Record<string, unknown>);
    } catch {
      // a key named "usage" inside some other text: not ours
    }
  }
}

export interface TokenCounts {
  input: number;
  output: number;
  cached: number;
  reasoning: number;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** OpenAI Chat Completions usage → token counts. */
export function openAIUsage(usage: Record<string, unknown>): TokenCounts {
  const prompt = usage.prompt_tokens_details as Record<string, unknown> | undefined;
  const completion = usage.completion_tokens_details as Record<string, unknown> | undefined;
  return {
    input: count(usage.prompt_tokens),
    output: count(usage.completion_tokens),
    cached: count(prompt?.cached_tokens),
    reasoning: count(completion?.reasoning_tokens),
  };
}

/** Anthropic usage (message_start and message_delta both carry some) → token counts; IR convention: input includes cached. */
export function anthropicUsage(usage: Record<string, unknown>): TokenCounts {
  const cached = count(usage.cache_read_input_tokens);
  return {
    input: count(usage.input_tokens) + cached + count(usage.cache_creation_input_tokens),
    output: count(usage.output_tokens),
    cached,
    reasoning: 0,
  };
}

/** Gemini usageMetadata → token counts; output includes thoughts, as OpenAI counts them. */
export function geminiUsage(usage: Record<string, unknown>): TokenCounts {
  const thoughts = count(usage.thoughtsTokenCount);
  return {
    input: count(usage.promptTokenCount),
    output: count(usage.candidatesTokenCount) + thoughts,
    cached: count(usage.cachedContentTokenCount),
    reasoning: thoughts,
  };
}

/** OpenAI Responses usage → token counts. */
export function responsesUsage(usage: Record<string, unknown>): TokenCounts {
  const input = usage.input_tokens_details as Record<string, unknown> | undefined;
  const output = usage.output_tokens_details as Record<string, unknown> | undefined;
  return {
    input: count(usage.input_tokens),
    output: count(usage.output_tokens),
    cached: count(input?.cached_tokens),
    reasoning: count(output?.reasoning_tokens),
  };
}

export function usageKeyFor(format: 'openai-chat' | 'openai-responses' | 'anthropic' | 'gemini'): string {
  return format === 'gemini' ? 'usageMetadata' : 'usage';
}

/**
 * The reader for a format's usage objects. Anthropic spreads usage over two events, so
 * its reader keeps the largest figure seen per field across calls.
 */
export function readUsageFor(format: 'openai-chat' | 'openai-responses' | 'anthropic' | 'gemini'): (value: Record<string, unknown>) => TokenCounts {
  switch (format) {
    case 'openai-chat':
      return openAIUsage;
    case 'openai-responses':
      return responsesUsage;
    case 'gemini':
      return geminiUsage;
    case 'anthropic': {
      let merged: TokenCounts = { input: 0, output: 0, cached: 0, reasoning: 0 };
      return (value) => {
        const next = anthropicUsage(value);
        merged = {
          input: Math.max(merged.input, next.input),
          output: Math.max(merged.output, next.output),
          cached: Math.max(merged.cached, next.cached),
          reasoning: 0,
        };
        return merged;
      };
    }
  }
}

/**
 * Where usage sits in a response: at the end (OpenAI's last chunk, Gemini's last event,
 * Anthropic's message_delta, any JSON body), and for Anthropic also in the first event
 * (message_start). So only the first `tailBytes` of the first chunk (a first read may hold
 * a whole stream) and the last `tailBytes` are searched: the bytes in between pass with no
 * work at all.
 *
 * A one-chunk body is kept as it came (a view). From the second chunk on, the tail lives in
 * one ring of `tailBytes` owned by the tap: each chunk's bytes are copied in over the
 * oldest, so a stream holds no chunk of its own past its write — with a thousand slow
 * streams open, keeping their chunks cost ~50 KB each and the objects kept alive grew V8's
 * young generation. `tailBytes` (default 4 KiB) bounds how far before the end a usage
 * object may start: it sits within a few hundred bytes of it in every format.
 */
export class UsageTap {
  private readonly key: string;
  private readonly onObject: (value: Record<string, unknown>) => void;
  private readonly tailBytes: number;
  private view: Buffer | undefined;
  private ring: Buffer | undefined;
  /** Where the next byte goes in the ring; once `wrapped`, also where the oldest byte is. */
  private writeAt = 0;
  private wrapped = false;
  private first = true;

  constructor(key: string, onObject: (value: Record<string, unknown>) => void, tailBytes = 4 * 1024) {
    this.key = key;
    this.onObject = onObject;
    this.tailBytes = tailBytes;
  }

  push(chunk: Buffer): void {
    if (this.first) {
      this.first = false;
      // Only the start: a first read can hold a whole stream, whose end the tail search reads.
      new UsageSniffer(this.key, this.onObject).push(chunk.length <= this.tailBytes ? chunk : chunk.subarray(0, this.tailBytes));
      this.view = chunk;
      return;
    }
    if (this.ring === undefined) {
      this.ring = Buffer.allocUnsafeSlow(this.tailBytes);
      const first = this.view as Buffer;
      this.view = undefined;
      this.append(first);
    }
    this.append(chunk);
  }

  /** Copies `chunk` into the ring after the newest byte, overwriting the oldest. */
  private append(chunk: Buffer): void {
    const ring = this.ring as Buffer;
    const capacity = ring.length;
    if (chunk.length >= capacity) {
      chunk.copy(ring, 0, chunk.length - capacity);
      this.writeAt = 0;
      this.wrapped = true;
      return;
    }
    const first = Math.min(chunk.length, capacity - this.writeAt);
    chunk.copy(ring, this.writeAt, 0, first);
    if (first < chunk.length) {
      chunk.copy(ring, 0, first);
      this.writeAt = chunk.length - first;
      this.wrapped = true;
    } else {
      this.writeAt += first;
      if (this.writeAt === capacity) {
        this.writeAt = 0;
        this.wrapped = true;
      }
    }
  }

  /**
   * Searches the tail; call once, when the response has ended. Only the last occurrence of
   * the key counts (OpenAI repeats `"usage":null` in every chunk; the figures come last), so
   * one native `lastIndexOf` finds it and only that object is parsed.
   */
  end(): void {
    const ring = this.ring;
    let tail: Buffer;
    if (ring === undefined) {
      const view = this.view;
      this.view = undefined;
      // One chunk in all, and the first-chunk sniff read all of it: nothing more to find.
      if (view === undefined || view.length <= this.tailBytes) return;
      tail = view.subarray(view.length - this.tailBytes);
    } else {
      tail = !this.wrapped ? ring.subarray(0, this.writeAt) : Buffer.concat([ring.subarray(this.writeAt), ring.subarray(0, this.writeAt)]);
      this.ring = undefined;
    }
    if (tail.length === 0) return;
    const at = tail.lastIndexOf(quotedKey(this.key));
    if (at >= 0) new UsageSniffer(this.key, this.onObject).push(tail.subarray(at));
  }
}

