import { test } from 'node:test';
import assert from 'node:assert/strict';
import { responseHeaders, spliceModel } from './fast-path.ts';
import { adaptForMistral, renameMaxTokensForReasoningModels } from '../providers/quirks.ts';

test('spliceModel rewrites only the model value and keeps every other byte', () => {
  const raw = Buffer.from('{ "messages":[{"role":"user","content":"say \\"model\\": \\"x\\""}],\n  "model" :  "openai/gpt-4o",  "temperature":0.70}');
  const out = spliceModel(raw, 'gpt-4o');
  assert.equal(out?.toString(), '{ "messages":[{"role":"user","content":"say \\"model\\": \\"x\\""}],\n  "model" :  "gpt-4o",  "temperature":0.70}');
});

test('spliceModel refuses ambiguity: any second "model" key, whatever its value', () => {
  assert.equal(spliceModel(Buffer.from('{"model":"m","metadata":{"model":"m"}}'), 'n'), undefined);
  assert.equal(spliceModel(Buffer.from('{"metadata":{"model":"a/b"},"model":"a\\/b"}'), 'b'), undefined);
  assert.equal(spliceModel(Buffer.from('{"modelx":"m"}'), 'n'), undefined);
});

test('spliceModel handles escapes in the old value and ignores "model" as a string value', () => {
  assert.equal(spliceModel(Buffer.from('{"role":"model","model":"a\\/b\\"c"}'), 'x')?.toString(), '{"role":"model","model":"x"}');
});

test('response headers lose hop-by-hop fields and cookies and gain ours', () => {
  const headers = responseHeaders(
    { 'content-type': 'text/event-stream', connection: 'keep-alive', 'transfer-encoding': 'chunked', 'set-cookie': ['a=b'], 'x-request-id': 'r1', 'openai-processing-ms': '12' },
    { 'x-cliproxy-provider': 'openai' },
  );
  assert.deepEqual(headers, { 'content-type': 'text/event-stream', 'x-request-id': 'r1', 'openai-processing-ms': '12', 'x-cliproxy-provider': 'openai' });
});

test('OpenAI reasoning models get max_completion_tokens; others are left alone', () => {
  const reasoning: Record<string, unknown> = { model: 'o3', max_tokens: 100 };
  assert.equal(renameMaxTokensForReasoningModels(reasoning, 'o3'), true);
  assert.deepEqual(reasoning, { model: 'o3', max_completion_tokens: 100 });
  const classic: Record<string, unknown> = { model: 'gpt-4o', max_tokens: 100 };
  assert.equal(renameMaxTokensForReasoningModels(classic, 'gpt-4o'), false);
  assert.deepEqual(classic, { model: 'gpt-4o', max_tokens: 100 });
  const effort: Record<string, unknown> = { model: 'gpt-4.1', reasoning_effort: 'high' };
  assert.equal(renameMaxTokensForReasoningModels(effort, 'gpt-4.1'), true, 'non-reasoning models refuse reasoning_effort');
  assert.deepEqual(effort, { model: 'gpt-4.1' });
});

test('Mistral: stream_options and n=1 dropped, required becomes any, max_completion_tokens becomes max_tokens', () => {
  const body: Record<string, unknown> = { stream_options: { include_usage: true }, n: 1, tool_choice: 'required', max_completion_tokens: 50 };
  assert.equal(adaptForMistral(body), true);
  assert.deepEqual(body, { tool_choice: 'any', max_tokens: 50 });
  const untouched: Record<string, unknown> = { tool_choice: 'auto', n: 2 };
  assert.equal(adaptForMistral(untouched), false);
  assert.deepEqual(untouched, { tool_choice: 'auto', n: 2 });
});

test('afterLastEvent finds the end of the last whole SSE event, LF or CRLF framed', async () => {
  const { afterLastEvent } = await import('./fast-path.ts');
  assert.equal(afterLastEvent(Buffer.from('data: a\n\ndata: b\n\n')), 18);
  assert.equal(afterLastEvent(Buffer.from('data: a\n\ndata: b')), 9);
  assert.equal(afterLastEvent(Buffer.from('data: a\r\n\r\ndata: {"x":')), 11);
  assert.equal(afterLastEvent(Buffer.from('data: partial')), 0);
});
