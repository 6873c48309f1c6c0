/**
 * What every (fixture × client format) cell of the translation matrix must show: the
 * upstream's status and error in the client's own format, or the answer's text, refusal,
 * thinking, tool calls, finish reason and usage in the client's own words and conventions.
 * Expectations come from `matrix-facts.ts` (what the fixture says); what the client got is
 * read by `matrix-clients.ts`. Neither imports the gateway's protocol code.
 */
import assert from 'node:assert/strict';
import { errorOf, observe } from './matrix-clients.ts';
import type { ClientCell, ClientFormat, Observed } from './matrix-clients.ts';
import type { NeutralUsage, UpstreamFacts } from './matrix-facts.ts';
import { isFastPath } from './matrix-harness.ts';
import type { CellResult, MatrixFixture } from './matrix-harness.ts';
import { assertNoForeignSignatures, assertStreamShape } from './matrix-stream-shape.ts';

const ANTHROPIC_ERROR_TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

const GOOGLE_STATUS: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** The finish word a client of `format` should see, or undefined when there is no one right answer. */
export function expectedFinish(format: ClientFormat, facts: UpstreamFacts, fast: boolean): string | undefined {
  if (fast) return facts.rawFinish;
  const finish = facts.finish;
  if (finish === undefined || finish === 'other' || finish === 'pause') return undefined;
  switch (format) {
    case 'openai-chat':
      if (finish === 'refusal') return facts.refusal !== '' ? 'stop' : 'content_filter';
      return { stop: 'stop', length: 'length', 'tool-calls': 'tool_calls', 'content-filter': 'content_filter' }[finish];
    case 'anthropic':
      if (finish === 'stop') return facts.rawFinish === 'stop_sequence' ? 'stop_sequence' : 'end_turn';
      return { length: 'max_tokens', 'tool-calls': 'tool_use', 'content-filter': 'refusal', refusal: 'refusal' }[finish];
    case 'gemini':
      return { stop: 'STOP', 'tool-calls': 'STOP', length: 'MAX_TOKENS', 'content-filter': 'SAFETY', refusal: 'SAFETY' }[finish];
    case 'openai-responses':
      if (finish === 'length') return 'incomplete:max_output_tokens';
      if (finish === 'content-filter') return 'incomplete:content_filter';
      return 'completed';
  }
}

/** The usage fields a client of `format` should see, in that format's convention. */
export function expectedUsage(format: ClientFormat, usage: NeutralUsage): Record<string, number> {
  const expected: Record<string, number> = {};
  switch (format) {
    case 'openai-chat':
      expected['prompt_tokens'] = usage.input;
      expected['completion_tokens'] = usage.output;
      if (usage.cached !== undefined) expected['prompt_tokens_details.cached_tokens'] = usage.cached;
      if (usage.reasoning !== undefined) expected['completion_tokens_details.reasoning_tokens'] = usage.reasoning;
      break;
    case 'openai-responses':
      expected['input_tokens'] = usage.input;
      expected['output_tokens'] = usage.output;
      if (usage.cached !== undefined) expected['input_tokens_details.cached_tokens'] = usage.cached;
      if (usage.reasoning !== undefined) expected['output_tokens_details.reasoning_tokens'] = usage.reasoning;
      break;
    case 'anthropic':
      // input_tokens leaves out what was read from or written to the cache.
      expected['input_tokens'] = usage.input - (usage.cached ?? 0) - (usage.cacheCreation ?? 0);
      expected['output_tokens'] = usage.output;
      if (usage.cached !== undefined) expected['cache_read_input_tokens'] = usage.cached;
      if (usage.cacheCreation !== undefined) expected['cache_creation_input_tokens'] = usage.cacheCreation;
      break;
    case 'gemini':
      // candidatesTokenCount leaves out the thoughts.
      expected['promptTokenCount'] = usage.input;
      expected['candidatesTokenCount'] = usage.output - (usage.reasoning ?? 0);
      if (usage.reasoning !== undefined) expected['thoughtsTokenCount'] = usage.reasoning;
      if (usage.cached !== undefined) expected['cachedContentTokenCount'] = usage.cached;
      break;
  }
  return expected;
}

function parsedArguments(text: string): { valid: true; value: unknown } | { valid: false; text: string } {
  try {
    return { valid: true, value: JSON.parse(text) as unknown };
  } catch {
    return { valid: false, text };
  }
}

const PORTABLE_ID = /^[A-Za-z0-9_-]+$/;

function assertToolCalls(cell: ClientCell, fixture: MatrixFixture, observed: Observed): void {
  const facts = fixture.facts;
  assert.deepEqual(observed.toolCalls.map((call) => call.name), facts.toolCalls.map((call) => call.name), 'tool call names');
  facts.toolCalls.forEach((call, position) => {
    const seen = observed.toolCalls[position];
    assert.ok(seen !== undefined);
    const want = parsedArguments(call.arguments);
    if (want.valid) {
      assert.deepEqual(parsedArguments(seen.arguments), want, `arguments of tool call ${position} (${call.name})`);
    } else if (cell.format !== 'gemini') {
      // Arguments cut short (max_tokens): formats that carry JSON text pass it on as it was.
      assert.equal(seen.arguments, want.text, `truncated arguments of tool call ${position} (${call.name})`);
    }
    if (cell.format !== 'gemini') {
      assert.ok(seen.id !== undefined && seen.id !== '', `tool call ${position} has an id`);
      if (call.id !== undefined && PORTABLE_ID.test(call.id)) assert.equal(seen.id, call.id, `tool call ${position} keeps the upstream's id`);
    }
  });
  if (cell.format !== 'gemini') {
    const ids = observed.toolCalls.map((call) => call.id);
    assert.equal(new Set(ids).size, ids.length, 'tool call ids are unique');
  }
}

function assertUsage(cell: ClientCell, fixture: MatrixFixture, observed: Observed): void {
  const usage = fixture.facts.usage;
  if (usage === undefined) {
    const reported = Object.values(observed.usage ?? {}).filter((value) => value !== 0);
    assert.deepEqual(reported, [], 'no usage is made up when the upstream reported none');
    return;
  }
  assert.ok(observed.usage !== undefined, 'usage reaches the client');
  // Same format: the bytes were compared whole, and the upstream's own convention stands.
  if (isFastPath(fixture.protocol, cell)) return;
  const expected = expectedUsage(cell.format, usage);
  const seen: Record<string, number | undefined> = {};
  for (const key of Object.keys(expected)) seen[key] = observed.usage[key];
  assert.deepEqual(seen, expected, 'usage in the client format\'s convention');
}

/** Every assertion of one cell: status, error shape, or the answer's content, finish and usage. */
export function assertCell(fixture: MatrixFixture, cell: ClientCell, result: CellResult, sent: Buffer): void {
  const fast = isFastPath(fixture.protocol, cell);
  const facts = fixture.facts;
  const errorFirst = facts.streamError?.first === true && !fast;
  if (fixture.status >= 400 || errorFirst) {
    // An error before any content: nothing was sent yet, so it is still an HTTP error.
    const status = errorFirst ? facts.streamError?.status : fixture.status;
    if (status !== undefined) assert.equal(result.status, status, 'the upstream\'s HTTP status reaches the client');
    else assert.ok(result.status >= 400, `an error status (got ${result.status})`);
    if (fast) assert.equal(result.body.toString('utf8'), sent.toString('utf8'), 'same format: the upstream\'s error body as it was sent');
    // A plain-text page passes through as it is on the fast path; translated, it becomes the client's own error.
    if (fast && fixture.plainText) return;
    assert.match(result.contentType, /json/, 'an error before the stream is a JSON body, not a stream');
    const error = errorOf(cell.format, JSON.parse(result.body.toString('utf8')) as unknown);
    assert.ok(error !== undefined, `an error body in the client's own format: ${result.body.toString('utf8').slice(0, 300)}`);
    if (fixture.plainText) assert.ok(error.message !== '', 'an error message');
    else assert.equal(error.message, errorFirst ? facts.streamError?.message : fixture.errorMessage, 'the upstream\'s error message');
    // The documented names for the statuses that have one.
    const anthropicType = ANTHROPIC_ERROR_TYPES[result.status];
    if (!fast && cell.format === 'anthropic' && anthropicType !== undefined) assert.equal(error.kind, anthropicType, 'Anthropic error type for the status');
    if (!fast && cell.format === 'gemini') {
      assert.equal(error.code, result.status, 'Gemini error code');
      const googleStatus = GOOGLE_STATUS[result.status];
      if (googleStatus !== undefined) assert.equal(error.kind, googleStatus, 'Gemini error status for the HTTP status');
    }
    if (!fast && (cell.format === 'openai-chat' || cell.format === 'openai-responses')) assert.ok(error.kind !== undefined, 'an OpenAI error type');
    return;
  }
  assert.equal(result.status, 200, `status 200 (body: ${result.body.toString('utf8').slice(0, 300)})`);
  if (cell.stream) assert.match(result.contentType, cell.geminiArray ? /json/ : /event-stream/, 'the stream\'s content type');
  if (fast) assert.equal(result.body.toString('utf8'), sent.toString('utf8'), 'same format: the upstream\'s bytes, untouched');
  else {
    assertStreamShape(cell, result.body.toString('utf8'));
    assertNoForeignSignatures(cell, result.body.toString('utf8'));
  }
  const observed = observe(cell, result.body);
  if (cell.format === 'openai-chat' || cell.format === 'openai-responses') {
    assert.equal(observed.text, facts.text, 'text');
    assert.equal(observed.refusal, facts.refusal, 'refusal');
  } else {
    // Anthropic and Gemini have no refusal field: refusal text arrives as text.
    assert.equal(observed.text, facts.text + facts.refusal, 'text');
  }
  assert.equal(observed.thinking, facts.thinking, 'thinking');
  assertToolCalls(cell, fixture, observed);
  if (fixture.truncated) {
    // Same format: the upstream's bytes as they came. Translated: the cut is said, not hidden.
    if (!fast) assert.ok(observed.error !== undefined, 'a stream cut short upstream ends with an in-stream error event, not a silent end');
    return;
  }
  if (facts.streamError !== undefined) {
    assert.ok(observed.error !== undefined, 'the upstream\'s error mid-stream reaches the client as an in-stream error event');
    assert.equal(observed.error.message, facts.streamError.message, 'the in-stream error\'s message');
    return;
  }
  assert.equal(observed.error, undefined, 'no error');
  const finish = expectedFinish(cell.format, facts, fast);
  if (finish !== undefined) assert.equal(observed.finish, finish, `finish reason (upstream ${facts.rawFinish})`);
  else assert.ok(observed.finish !== undefined, 'a finish reason');
  assertUsage(cell, fixture, observed);
}
