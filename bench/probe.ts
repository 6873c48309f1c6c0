/**
 * One request before each cell's load, to check the target answers correctly: a fast
 * number from a target that answers 404 or drops chunks would be worse than none. The
 * answer's bytes are kept so the runner can say whether a proxy passed the upstream's
 * bytes through unchanged, as the fast path promises.
 */
import { request } from 'undici';
import type { Expectation } from './scenarios.ts';

export type ProbeResult = { ok: true; body: string } | { ok: false; error: string };

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

function checkCompletion(body: string): string | undefined {
  const parsed = JSON.parse(body) as { object?: unknown; choices?: Array<{ message?: { content?: unknown } }>; usage?: unknown };
  if (parsed.object !== 'chat.completion') return `object is ${JSON.stringify(parsed.object)}, not "chat.completion"`;
  if (typeof parsed.choices?.[0]?.message?.content !== 'string') return 'no choices[0].message.content';
  if (typeof parsed.usage !== 'object' || parsed.usage === null) return 'no usage';
  return undefined;
}

function checkStream(body: string, chunks: number): string | undefined {
  const events = body.split('\n\n').filter((event) => event.trim() !== '');
  const data = events.filter((event) => event.startsWith('data: ')).map((event) => event.slice(6));
  if (data.at(-1) !== '[DONE]') return 'stream does not end with data: [DONE]';
  const parsed = data.slice(0, -1).map((event) => JSON.parse(event) as { object?: unknown; usage?: unknown });
  if (parsed.length !== chunks) return `${parsed.length} chunks, expected ${chunks}`;
  if (parsed.some((chunk) => chunk.object !== 'chat.completion.chunk')) return 'a chunk is not a chat.completion.chunk';
  if (parsed.at(-1)?.usage === undefined) return 'no usage in the last chunk';
  return undefined;
}

/** A translated OpenAI stream: [DONE] at the end, every event a chunk, enough text chunks. */
function checkTranslatedStream(body: string, minContentChunks: number): string | undefined {
  const data = body.split('\n\n').filter((event) => event.trim() !== '').flatMap((event) => event.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)));
  if (data.at(-1) !== '[DONE]') return 'stream does not end with data: [DONE]';
  const parsed = data.slice(0, -1).map((event) => JSON.parse(event) as { object?: unknown; choices?: Array<{ delta?: { content?: unknown } }> });
  if (parsed.some((chunk) => chunk.object !== 'chat.completion.chunk')) return 'a chunk is not a chat.completion.chunk';
  const content = parsed.filter((chunk) => typeof chunk.choices?.[0]?.delta?.content === 'string' && chunk.choices[0].delta.content !== '').length;
  if (content < minContentChunks) return `${content} chunks with text, expected ${minContentChunks}`;
  return undefined;
}

/** An Anthropic Messages stream: message_start … message_stop, enough text deltas. */
function checkAnthropicStream(body: string, minDeltas: number): string | undefined {
  const types = body.split('\n\n').filter((event) => event.trim() !== '').map((event) => {
    const line = event.split('\n').find((each) => each.startsWith('data: '));
    return line === undefined ? undefined : (JSON.parse(line.slice(6)) as { type?: unknown }).type;
  });
  if (types[0] !== 'message_start') return `stream starts with ${JSON.stringify(types[0])}, not message_start`;
  if (types.at(-1) !== 'message_stop') return `stream ends with ${JSON.stringify(types.at(-1))}, not message_stop`;
  const deltas = types.filter((type) => type === 'content_block_delta').length;
  if (deltas < minDeltas) return `${deltas} content_block_delta events, expected ${minDeltas}`;
  return undefined;
}

function check(text: string, expect: Expectation): string | undefined {
  switch (expect.kind) {
    case 'completion':
      return checkCompletion(text);
    case 'stream':
      return checkStream(text, expect.chunks);
    case 'translated-stream':
      return checkTranslatedStream(text, expect.minContentChunks);
    case 'anthropic-stream':
      return checkAnthropicStream(text, expect.minDeltas);
  }
}

export async function probe(url: string, headers: Record<string, string>, body: string, expect: Expectation): Promise<ProbeResult> {
  try {
    const response = await request(url, { method: 'POST', headers, body, headersTimeout: 10_000, bodyTimeout: 10_000 });
    const text = await response.body.text();
    if (response.statusCode !== 200) return { ok: false, error: `HTTP ${response.statusCode}: ${text.slice(0, 300)}` };
    let problem: string | undefined;
    try {
      problem = check(text, expect);
    } catch (error) {
      problem = `not JSON where JSON was due: ${describe(error)}`;
    }
    return problem === undefined ? { ok: true, body: text } : { ok: false, error: `wrong answer: ${problem}` };
  } catch (error) {
    return { ok: false, error: describe(error) };
  }
}
