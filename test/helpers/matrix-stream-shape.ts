/**
 * Whether a stream the gateway wrote is well formed for its format, beyond what it says:
 * the event order each official SDK relies on. Chat: chunks then one `[DONE]`, last.
 * Anthropic: `message_start` first, blocks opened and closed in pairs with dense indices,
 * `message_stop` last (or an `error` event). Responses: `sequence_number` 0, 1, 2, …,
 * `response.created` first and a terminal event last. Gemini SSE: every event a JSON object
 * and the body ending with its blank line. Independent of `src/`.
 */
import assert from 'node:assert/strict';
import type { ClientCell } from './matrix-clients.ts';
import { isRecord } from './matrix-facts.ts';
import { parseServerSentEvents } from './sse-framing.ts';

const RESPONSES_TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/** Fails naming the first rule the stream body breaks. Non-streaming cells are not checked. */
export function assertStreamShape(cell: ClientCell, body: string): void {
  if (!cell.stream) return;
  if (cell.format === 'gemini') {
    if (cell.geminiArray) {
      assert.ok(Array.isArray(JSON.parse(body)), 'the JSON-array stream is one JSON array');
      return;
    }
    assert.ok(body === '' || /\r?\n\r?\n$/.test(body), 'the last SSE event ends with its blank line');
    for (const event of parseServerSentEvents(body)) assert.ok(isRecord(JSON.parse(event.data)), 'every Gemini event is a JSON object');
    return;
  }
  const events = parseServerSentEvents(body);
  assert.ok(events.length > 0, 'the stream has events');
  assert.ok(/\n\n$/.test(body), 'the last SSE event ends with its blank line');
  if (cell.format === 'openai-chat') {
    const done = events.filter((event) => event.data === '[DONE]');
    assert.equal(done.length, 1, 'one [DONE]');
    assert.equal(events.at(-1)?.data, '[DONE]', '[DONE] comes last');
    for (const event of events.slice(0, -1)) {
      const chunk = JSON.parse(event.data) as unknown;
      assert.ok(isRecord(chunk) && (chunk['object'] === 'chat.completion.chunk' || chunk['error'] !== undefined), `a chat.completion.chunk or an error: ${event.data.slice(0, 200)}`);
    }
    return;
  }
  const payloads = events.map((event) => {
    const payload = JSON.parse(event.data) as unknown;
    assert.ok(isRecord(payload), 'every event is a JSON object');
    assert.equal(event.event, payload['type'], 'the SSE event name is the payload type');
    return payload;
  });
  const types = payloads.map((payload) => payload['type']);
  if (cell.format === 'anthropic') {
    assert.equal(types[0], 'message_start', 'message_start comes first');
    const errored = types.includes('error');
    if (errored) assert.equal(types.at(-1), 'error', 'nothing follows an error event');
    else assert.equal(types.at(-1), 'message_stop', 'message_stop comes last');
    assert.equal(types.filter((type) => type === 'message_start').length, 1, 'one message_start');
    let open: number | undefined;
    let next = 0;
    for (const payload of payloads) {
      if (payload['type'] === 'content_block_start') {
        assert.equal(open, undefined, 'one block open at a time');
        assert.equal(payload['index'], next, 'block indices are dense');
        open = next;
        next += 1;
      } else if (payload['type'] === 'content_block_delta') {
        assert.equal(payload['index'], open, 'a delta for the open block');
      } else if (payload['type'] === 'content_block_stop') {
        assert.equal(payload['index'], open, 'content_block_stop closes the open block');
        open = undefined;
      } else if (payload['type'] === 'message_delta' || payload['type'] === 'message_stop') {
        assert.equal(open, undefined, `${String(payload['type'])} after every block is closed`);
      }
    }
    return;
  }
  // Responses
  assert.equal(types[0], 'response.created', 'response.created comes first');
  assert.ok(RESPONSES_TERMINAL.has(String(types.at(-1))), `a terminal event comes last (got ${String(types.at(-1))})`);
  assert.equal(types.filter((type) => RESPONSES_TERMINAL.has(String(type))).length, 1, 'one terminal event');
  payloads.forEach((payload, index) => assert.equal(payload['sequence_number'], index, 'sequence_number counts 0, 1, 2, …'));
}

/**
 * Signatures go back only to the format that made them (issue 3): a client reading a
 * translated answer never sees one. Checked on the raw text, where an escaped quote inside
 * a string value cannot fake a key.
 */
export function assertNoForeignSignatures(cell: ClientCell, body: string): void {
  if (cell.format === 'anthropic') {
    assert.doesNotMatch(body, /"signature":"[^"]/, 'no thinking signature from another provider');
    assert.doesNotMatch(body, /"signature_delta"/, 'no signature_delta from another provider');
  } else if (cell.format === 'gemini') {
    assert.doesNotMatch(body, /"thoughtSignature"/, 'no thoughtSignature from another provider');
  } else if (cell.format === 'openai-responses') {
    assert.doesNotMatch(body, /"encrypted_content":"/, 'no encrypted reasoning from another provider');
  }
}
