/**
 * Kiro's validity rules (PROTOCOLS.md) checked as properties: a checker written from the
 * rules alone runs over a Claude Code request parsed by the Anthropic adapter and over a few
 * hundred SYNTHETIC conversations drawn by a seeded generator (orphan results, missing
 * results, leading and trailing assistant turns, empty texts, long tool names, thinking).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAnthropicRequest } from '../anthropic/request.ts';
import type { ContentPart, IRRequest, Message } from '../ir.ts';
import { isRecord } from '../shared/json-value-guards.ts';
import type { JsonRecord } from '../shared/json-value-guards.ts';
import { renderKiroRequest } from './request.ts';

function records(value: unknown): JsonRecord[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function record(value: unknown): JsonRecord {
  assert.ok(isRecord(value), `expected an object, got ${JSON.stringify(value)}`);
  return value;
}

/** Throws unless `body` follows every rule Kiro enforces. */
function assertValidKiroBody(body: JsonRecord): void {
  const state = record(body['conversationState']);
  assert.equal(state['chatTriggerType'], 'MANUAL');
  const history = records(state['history']);
  assert.equal(history.length, (state['history'] as unknown[]).length, 'history holds objects only');
  const current = record(record(state['currentMessage'])['userInputMessage']);
  const turns = [...history, { userInputMessage: current }];
  const toolUsesSeen = new Set<string>();
  let declared: Set<string> | undefined;
  let previousToolUses: string[] = [];
  turns.forEach((turn, index) => {
    const isUser = 'userInputMessage' in turn;
    assert.equal(isUser, index % 2 === 0, `turn ${index}: roles alternate, starting with the user`);
    const message = record(isUser ? turn['userInputMessage'] : turn['assistantResponseMessage']);
    assert.ok(typeof message['content'] === 'string' && message['content'].trim() !== '', `turn ${index}: non-empty content`);
    if (isUser) {
      assert.equal(message['origin'], 'AI_EDITOR');
      assert.equal(typeof message['modelId'], 'string');
      const context = isRecord(message['userInputMessageContext']) ? message['userInputMessageContext'] : {};
      const results = records(context['toolResults']);
      const answered = new Set<string>();
      for (const result of results) {
        const id = String(result['toolUseId']);
        assert.ok(previousToolUses.includes(id) && !answered.has(id), `turn ${index}: result ${id} answers a tool use of the turn before`);
        answered.add(id);
        assert.ok(result['status'] === 'success' || result['status'] === 'error');
        const content = records(result['content']);
        assert.ok(content.length > 0 && content.every((item) => typeof item['text'] === 'string' && item['text'] !== ''));
      }
      assert.deepEqual([...answered].sort(), [...previousToolUses].sort(), `turn ${index}: every tool use is answered`);
      for (const image of records(message['images'])) {
        assert.ok(['png', 'jpeg', 'gif', 'webp'].includes(String(image['format'])));
        assert.equal(typeof record(image['source'])['bytes'], 'string');
      }
      if (context['tools'] !== undefined) {
        assert.equal(index, turns.length - 1, 'tools are declared on the current message');
        declared = new Set(records(context['tools']).map((tool) => {
          const spec = record(tool['toolSpecification']);
          const name = String(spec['name']);
          const description = String(spec['description']);
          assert.ok(name.length >= 1 && name.length <= 64 && /^[A-Za-z0-9_-]+$/.test(name), `tool name ${name}`);
          assert.ok(description.trim() !== '' && Buffer.byteLength(description) <= 10_240, `description of ${name}`);
          assert.ok(isRecord(record(spec['inputSchema'])['json']));
          return name;
        }));
      }
      previousToolUses = [];
    } else {
      const uses = records(message['toolUses']);
      previousToolUses = uses.map((use) => String(use['toolUseId']));
      for (const use of uses) {
        assert.ok(isRecord(use['input']));
        toolUsesSeen.add(String(use['name']));
      }
    }
  });
  for (const name of toolUsesSeen) assert.ok(declared?.has(name), `tool ${name} used in history is declared`);
  assert.ok(!('profileArn' in body) || typeof body['profileArn'] === 'string');
}

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed by its seed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

function conversation(seed: number): IRRequest {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const names = ['read', 'write', 'mcp__server__a_tool_with_a_name_well_over_sixty_four_characters_long', 'ns.tool'];
  const texts = ['', '  ', 'hello', 'a longer message'];
  const messages: Message[] = [];
  const ids: string[] = [];
  let counter = 0;
  const length = 1 + Math.floor(next() * 8);
  for (let turn = 0; turn < length; turn += 1) {
    const role = pick(['user', 'assistant', 'tool', 'system'] as const);
    const content: ContentPart[] = [];
    const parts = Math.floor(next() * 4);
    for (let index = 0; index < parts; index += 1) {
      if (role === 'assistant') {
        const kind = pick(['text', 'tool-call', 'thinking'] as const);
        if (kind === 'text') content.push({ type: 'text', text: pick(texts) });
        else if (kind === 'thinking') content.push({ type: 'thinking', text: 'hmm', signature: { value: 'sig', origin: 'anthropic' } });
        else {
          const id = `call_${counter++}`;
          ids.push(id);
          content.push({ type: 'tool-call', id, name: pick(names), arguments: pick(['{"a":1}', '', 'oops', '[1]']) });
        }
      } else if (role === 'tool' || (role === 'user' && next() < 0.4)) {
        content.push({ type: 'tool-result', toolCallId: next() < 0.8 && ids.length > 0 ? pick(ids) : 'ghost', content: next() < 0.5 ? [] : [{ type: 'text', text: pick(texts) }], isError: next() < 0.2 });
      } else if (role === 'user' && next() < 0.2) {
        content.push({ type: 'image', source: { kind: 'base64', mediaType: pick(['image/png', 'image/bmp']), data: 'AAAA' } });
      } else {
        content.push({ type: 'text', text: pick(texts) });
      }
    }
    messages.push({ role, content });
  }
  return {
    model: pick(['claude-sonnet-4-5', 'auto']),
    system: next() < 0.5 ? [] : [{ type: 'text', text: 'System.' }],
    messages,
    tools: names.filter(() => next() < 0.5).map((name) => ({ name, description: next() < 0.3 ? '' : 'Does things.', parameters: {} })),
    toolChoice: pick([undefined, { type: 'none' }, { type: 'required' }] as const),
    stream: true,
    extra: {},
    sourceFormat: 'openai-chat',
  };
}

describe('Kiro validity rules as properties', () => {
  it('hold for a Claude Code request (cached system blocks, thinking, server tools, tool error with an image)', () => {
    const request = parseAnthropicRequest({
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 32000,
      system: [{ type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Fix the bug.' }] },
        { role: 'assistant', content: [
          { type: 'thinking', thinking: 'Look.', signature: 'EqQB' },
          { type: 'tool_use', id: 'toolu_01A', name: 'Read', input: { file_path: '/a.ts' } },
        ] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01A', content: 'line 1' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01B', name: 'Bash', input: { command: 'false' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01B', is_error: true, content: [{ type: 'text', text: 'exit 1' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBO' } }] }] },
      ],
      tools: [
        { name: 'Read', description: 'Read a file', input_schema: { type: 'object', properties: { file_path: { type: 'string' } } } },
        { name: 'Bash', description: 'x'.repeat(12_000), input_schema: { type: 'object', properties: {} } },
        { type: 'web_search_20250305', name: 'web_search', max_uses: 5 },
      ],
      thinking: { type: 'adaptive' },
    });
    const body = renderKiroRequest(request, { conversationId: 'c' });
    assertValidKiroBody(body);
    assert.deepEqual(body.conversationState.currentMessage.userInputMessage.userInputMessageContext?.tools?.map((tool) => tool.toolSpecification.name), ['Read', 'Bash']);
  });

  it('hold for 500 generated conversations', () => {
    const covered = { toolResults: 0, orphanText: 0, shortenedNames: 0, insertedFirstTurn: 0 };
    for (let seed = 1; seed <= 500; seed += 1) {
      const request = conversation(seed);
      const body = renderKiroRequest(request, { conversationId: `c${seed}` });
      try {
        assertValidKiroBody(body);
      } catch (error) {
        assert.fail(`seed ${seed}: ${error instanceof Error ? error.message : String(error)}\n${JSON.stringify(request)}`);
      }
      const text = JSON.stringify(body);
      if (text.includes('"toolResults"')) covered.toolResults += 1;
      if (text.includes('Tool result for ')) covered.orphanText += 1;
      if (/"name":"mcp__server__[^"]*_[0-9a-f]{8}"/.test(text)) covered.shortenedNames += 1;
      if (request.messages[0]?.role === 'assistant') covered.insertedFirstTurn += 1;
    }
    // The generator must reach the repairs, or the properties above prove little.
    for (const [repair, count] of Object.entries(covered)) assert.ok(count >= 20, `${repair}: ${count} cases`);
  });

  it('the checker itself rejects a body breaking a rule', () => {
    const body = renderKiroRequest(conversation(7), { conversationId: 'c' });
    body.conversationState.currentMessage.userInputMessage.content = ' ';
    assert.throws(() => assertValidKiroBody(body));
    const orphan = renderKiroRequest({ ...conversation(7), messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }] }, { conversationId: 'c' });
    orphan.conversationState.currentMessage.userInputMessage.userInputMessageContext = { toolResults: [{ toolUseId: 'nope', status: 'success', content: [{ text: 'r' }] }] };
    assert.throws(() => assertValidKiroBody(orphan));
  });
});
