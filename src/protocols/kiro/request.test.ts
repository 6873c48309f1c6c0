/**
 * Kiro request rendering: every validity rule of PROTOCOLS.md checked against an exact body.
 * The bodies are SYNTHETIC (written from PROTOCOLS.md; there is no public Kiro capture).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IRRequest, Message, ToolDefinition } from '../ir.ts';
import { renderKiroRequest } from './request.ts';
import { kiroToolName, kiroToolNames } from './tool-names.ts';
import { KIRO_TOOL_DESCRIPTION_MAX_BYTES } from './render-tools.ts';

const MODEL = 'claude-sonnet-4.5';
const ORIGIN = 'AI_EDITOR';

function ir(messages: Message[], overrides: Partial<IRRequest> = {}): IRRequest {
  return { model: 'claude-sonnet-4-5-20250929', system: [], messages, tools: [], stream: true, extra: {}, sourceFormat: 'anthropic', ...overrides };
}

function render(request: IRRequest, options: { profileArn?: string; modelId?: string } = {}): Record<string, unknown> {
  return renderKiroRequest(request, { conversationId: 'conv-1', ...options });
}

function user(text: string): Message {
  return { role: 'user', content: [{ type: 'text', text }] };
}

function assistant(text: string): Message {
  return { role: 'assistant', content: [{ type: 'text', text }] };
}

function body(current: Record<string, unknown>, history: unknown[] = []): Record<string, unknown> {
  return { conversationState: { chatTriggerType: 'MANUAL', conversationId: 'conv-1', currentMessage: { userInputMessage: current }, history } };
}

function userInput(content: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { content, modelId: MODEL, origin: ORIGIN, ...extra };
}

const weather: ToolDefinition = { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const weatherSpec = { toolSpecification: { name: 'get_weather', description: 'Weather for a city', inputSchema: { json: weather.parameters } } };

describe('renderKiroRequest: basics', () => {
  it('renders one user message with the dotted model id and no profileArn', () => {
    assert.deepEqual(render(ir([user('Hi')])), body(userInput('Hi')));
  });

  it('sends profileArn only when given, and honours an explicit model id', () => {
    const rendered = render(ir([user('Hi')]), { profileArn: 'arn:aws:codewhisperer:us-east-1:1:profile/X', modelId: 'auto' });
    assert.deepEqual(rendered, { ...body({ content: 'Hi', modelId: 'auto', origin: ORIGIN }), profileArn: 'arn:aws:codewhisperer:us-east-1:1:profile/X' });
  });

  it('puts the system prompt (and later system/developer messages) in front of the first user message', () => {
    const request = ir([user('First'), assistant('Ok'), { role: 'developer', content: [{ type: 'text', text: 'Be terse.' }] }, user('Second')], {
      system: [{ type: 'text', text: 'You are helpful.' }],
    });
    assert.deepEqual(render(request), body(userInput('Second'), [
      { userInputMessage: userInput('You are helpful.\n\nBe terse.\n\nFirst') },
      { assistantResponseMessage: { content: 'Ok' } },
    ]));
  });

  it('makes the system prompt the whole content of an inserted first user turn', () => {
    const request = ir([assistant('Hello, I am ready.'), user('Go')], { system: [{ type: 'text', text: 'Sys.' }] });
    assert.deepEqual(render(request), body(userInput('Go'), [
      { userInputMessage: userInput('Sys.') },
      { assistantResponseMessage: { content: 'Hello, I am ready.' } },
    ]));
  });
});

describe('renderKiroRequest: roles alternate and start with a user turn', () => {
  it('merges consecutive turns of one role', () => {
    const request = ir([user('a'), user('b'), assistant('c'), assistant('d'), user('e')]);
    assert.deepEqual(render(request), body(userInput('e'), [
      { userInputMessage: userInput('a\n\nb') },
      { assistantResponseMessage: { content: 'c\n\nd' } },
    ]));
  });

  it('inserts a placeholder user turn before an opening assistant turn', () => {
    assert.deepEqual(render(ir([assistant('Hi there'), user('Hello')])), body(userInput('Hello'), [
      { userInputMessage: userInput('.') },
      { assistantResponseMessage: { content: 'Hi there' } },
    ]));
  });

  it('follows a closing assistant turn (a prefill) with "Continue."', () => {
    assert.deepEqual(render(ir([user('Write a poem'), assistant('Roses')])), body(userInput('Continue.'), [
      { userInputMessage: userInput('Write a poem') },
      { assistantResponseMessage: { content: 'Roses' } },
    ]));
  });

  it('renders an empty conversation as one placeholder user message', () => {
    assert.deepEqual(render(ir([])), body(userInput('.')));
  });
});

describe('renderKiroRequest: non-empty content everywhere', () => {
  it('fills empty and whitespace-only messages with placeholders', () => {
    const request = ir([user('  '), assistant(''), user('real')]);
    assert.deepEqual(render(request), body(userInput('real'), [
      { userInputMessage: userInput('.') },
      { assistantResponseMessage: { content: '.' } },
    ]));
  });

  it('drops thinking (Kiro takes none back), leaving a placeholder if nothing else remains', () => {
    const request = ir([user('q'), { role: 'assistant', content: [{ type: 'thinking', text: 'hmm', signature: { value: 'sig', origin: 'anthropic' } }, { type: 'redacted-thinking', data: 'x', origin: 'anthropic' }] }, user('again')]);
    assert.deepEqual(render(request), body(userInput('again'), [
      { userInputMessage: userInput('q') },
      { assistantResponseMessage: { content: '.' } },
    ]));
  });
});

describe('renderKiroRequest: tools', () => {
  const toolTurns: Message[] = [
    user('Weather in Paris and Rome?'),
    { role: 'assistant', content: [
      { type: 'text', text: 'Checking.' },
      { type: 'tool-call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { type: 'tool-call', id: 'call_2', name: 'get_weather', arguments: '{"city":"Rome"}' },
    ] },
    { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_1', content: [{ type: 'text', text: '18C' }] }] },
    { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_2', isError: true, content: [{ type: 'text', text: 'timeout' }] }] },
  ];

  it('puts the last turn\'s tool results in the current message, with the declarations', () => {
    assert.deepEqual(render(ir(toolTurns, { tools: [weather] })), body(
      userInput('Tool results are attached.', { userInputMessageContext: {
        tools: [weatherSpec],
        toolResults: [
          { toolUseId: 'call_1', status: 'success', content: [{ text: '18C' }] },
          { toolUseId: 'call_2', status: 'error', content: [{ text: 'timeout' }] },
        ],
      } }),
      [
        { userInputMessage: userInput('Weather in Paris and Rome?') },
        { assistantResponseMessage: { content: 'Checking.', toolUses: [
          { toolUseId: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
          { toolUseId: 'call_2', name: 'get_weather', input: { city: 'Rome' } },
        ] } },
      ],
    ));
  });

  it('keeps tool results in history turns and gives tool-use-only assistant turns a placeholder', () => {
    const request = ir([
      user('Go'),
      { role: 'assistant', content: [{ type: 'tool-call', id: 't1', name: 'get_weather', arguments: '{"city":"Oslo"}' }] },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 't1', content: [] }] },
      assistant('Done.'),
      user('Thanks'),
    ], { tools: [weather] });
    assert.deepEqual(render(request), body(userInput('Thanks', { userInputMessageContext: { tools: [weatherSpec] } }), [
      { userInputMessage: userInput('Go') },
      { assistantResponseMessage: { content: '.', toolUses: [{ toolUseId: 't1', name: 'get_weather', input: { city: 'Oslo' } }] } },
      { userInputMessage: userInput('Tool results are attached.', { userInputMessageContext: { toolResults: [{ toolUseId: 't1', status: 'success', content: [{ text: '(no output)' }] }] } }) },
      { assistantResponseMessage: { content: 'Done.' } },
    ]));
  });

  it('turns orphan and duplicate tool results into text', () => {
    const request = ir([
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'ghost', name: 'lookup', content: [{ type: 'text', text: 'stale' }] }] },
      user('Start'),
      { role: 'assistant', content: [{ type: 'tool-call', id: 'a', name: 'get_weather', arguments: '{}' }] },
      { role: 'tool', content: [
        { type: 'tool-result', toolCallId: 'a', content: [{ type: 'text', text: 'sunny' }] },
        { type: 'tool-result', toolCallId: 'a', content: [{ type: 'text', text: 'again' }] },
        { type: 'tool-result', toolCallId: 'nope', isError: true, content: [{ type: 'text', text: 'boom' }] },
      ] },
    ], { tools: [weather] });
    assert.deepEqual(render(request), body(
      userInput('Tool result for a:\nagain\n\nTool result for nope (error):\nboom', { userInputMessageContext: {
        tools: [weatherSpec],
        toolResults: [{ toolUseId: 'a', status: 'success', content: [{ text: 'sunny' }] }],
      } }),
      [
        { userInputMessage: userInput('Start\n\nTool result for lookup (ghost):\nstale') },
        { assistantResponseMessage: { content: '.', toolUses: [{ toolUseId: 'a', name: 'get_weather', input: {} }] } },
      ],
    ));
  });

  it('answers a tool use the conversation left unanswered with an error result', () => {
    const request = ir([
      user('Go'),
      { role: 'assistant', content: [{ type: 'tool-call', id: 'lost', name: 'get_weather', arguments: 'not json' }] },
      user('Never mind, hello'),
    ], { tools: [weather] });
    assert.deepEqual(render(request), body(
      userInput('Never mind, hello', { userInputMessageContext: {
        tools: [weatherSpec],
        toolResults: [{ toolUseId: 'lost', status: 'error', content: [{ text: 'No result was returned for this tool call.' }] }],
      } }),
      [
        { userInputMessage: userInput('Go') },
        // Arguments that are not a JSON object become {}: Kiro wants an object.
        { assistantResponseMessage: { content: '.', toolUses: [{ toolUseId: 'lost', name: 'get_weather', input: {} }] } },
      ],
    ));
  });

  it('declares tools the history uses but the request no longer offers', () => {
    const request = ir([
      user('Go'),
      { role: 'assistant', content: [{ type: 'tool-call', id: 'x', name: 'old_tool', arguments: '{"a":1}' }] },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'x', content: [{ type: 'text', text: 'ok' }] }] },
    ]);
    assert.deepEqual(render(request), body(
      userInput('Tool results are attached.', { userInputMessageContext: {
        tools: [{ toolSpecification: { name: 'old_tool', description: 'Tool old_tool, used earlier in this conversation.', inputSchema: { json: { type: 'object', properties: {} } } } }],
        toolResults: [{ toolUseId: 'x', status: 'success', content: [{ text: 'ok' }] }],
      } }),
      [
        { userInputMessage: userInput('Go') },
        { assistantResponseMessage: { content: '.', toolUses: [{ toolUseId: 'x', name: 'old_tool', input: { a: 1 } }] } },
      ],
    ));
  });

  it('honours tool choice none by not offering tools, unless the history needs them', () => {
    assert.deepEqual(render(ir([user('Hi')], { tools: [weather], toolChoice: { type: 'none' } })), body(userInput('Hi')));
  });

  it('states a forced tool choice in front of the first user message (Kiro has no tool choice)', () => {
    const rendered = render(ir([user('Hi')], { tools: [weather], toolChoice: { type: 'tool', name: 'get_weather' } }));
    assert.deepEqual(rendered, body(userInput('Answer by calling the tool "get_weather".\n\nHi', { userInputMessageContext: { tools: [weatherSpec] } })));
  });

  it('gives an empty description a non-empty one, an empty schema an object schema, and skips server tools', () => {
    const request = ir([user('Hi')], { tools: [
      { name: 'ping', description: '  ', parameters: {} },
      { name: 'web_search', parameters: {}, extra: { type: 'web_search_20250305', max_uses: 5 } },
    ] });
    assert.deepEqual(render(request), body(userInput('Hi', { userInputMessageContext: { tools: [
      { toolSpecification: { name: 'ping', description: 'Tool ping.', inputSchema: { json: { type: 'object', properties: {} } } } },
    ] } })));
  });

  it('moves a description over 10 KB into the system prompt and points to it', () => {
    const long = 'x'.repeat(KIRO_TOOL_DESCRIPTION_MAX_BYTES + 1);
    const request = ir([user('Hi')], { tools: [{ name: 'big', description: long, parameters: {} }], system: [{ type: 'text', text: 'Sys.' }] });
    assert.deepEqual(render(request), body(userInput(`Sys.\n\n# Tool documentation: big\n\n${long}\n\nHi`, { userInputMessageContext: { tools: [
      { toolSpecification: { name: 'big', description: 'The full description of this tool is in the system prompt, in the section "Tool documentation: big".', inputSchema: { json: { type: 'object', properties: {} } } } },
    ] } })));
  });

  it('keeps a description of exactly 10 KB (counted in UTF-8 bytes) in place', () => {
    const exact = 'é'.repeat(KIRO_TOOL_DESCRIPTION_MAX_BYTES / 2);
    const rendered = renderKiroRequest(ir([user('Hi')], { tools: [{ name: 'fits', description: exact, parameters: {} }] }), { conversationId: 'conv-1' });
    assert.equal(rendered.conversationState.currentMessage.userInputMessage.userInputMessageContext?.tools?.[0]?.toolSpecification.description, exact);
    assert.equal(rendered.conversationState.currentMessage.userInputMessage.content, 'Hi');
  });

  it('shortens tool names over 64 characters everywhere, deterministically, with a reverse map', () => {
    const longName = `mcp__some_server__${'very_long_tool_name_'.repeat(4)}`;
    const short = kiroToolName(longName);
    assert.equal(short.length, 64);
    assert.equal(kiroToolName(longName), short);
    assert.notEqual(kiroToolName(`${longName}2`), short);
    const request = ir([
      user('Go'),
      { role: 'assistant', content: [{ type: 'tool-call', id: 'c', name: longName, arguments: '{}' }] },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c', content: [{ type: 'text', text: 'ok' }] }] },
    ], { tools: [{ name: longName, description: 'Long.', parameters: {} }, weather] });
    assert.deepEqual(render(request), body(
      userInput('Tool results are attached.', { userInputMessageContext: {
        tools: [{ toolSpecification: { name: short, description: 'Long.', inputSchema: { json: { type: 'object', properties: {} } } } }, weatherSpec],
        toolResults: [{ toolUseId: 'c', status: 'success', content: [{ text: 'ok' }] }],
      } }),
      [
        { userInputMessage: userInput('Go') },
        { assistantResponseMessage: { content: '.', toolUses: [{ toolUseId: 'c', name: short, input: {} }] } },
      ],
    ));
    assert.deepEqual(kiroToolNames(request), new Map([[short, longName]]));
  });

  it('replaces characters outside [A-Za-z0-9_-] in tool names', () => {
    const name = kiroToolName('files.read');
    assert.match(name, /^files_read_[0-9a-f]{8}$/);
    assert.deepEqual(kiroToolNames(ir([user('x')], { tools: [{ name: 'files.read', parameters: {} }, weather] })), new Map([[name, 'files.read']]));
  });
});

describe('renderKiroRequest: images', () => {
  it('sends inline images as {format, source:{bytes}} and drops what Kiro cannot take', () => {
    const request = ir([{ role: 'user', content: [
      { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { kind: 'url', url: 'data:image/jpeg;base64,/9j/4AAQ' } },
      // A URL the server did not inline, and a format Kiro does not take: dropped.
      { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.png' } },
      { type: 'image', source: { kind: 'base64', mediaType: 'image/tiff', data: 'SUkq' } },
    ] }]);
    assert.deepEqual(render(request), body(userInput('See the attached image.', { images: [
      { format: 'png', source: { bytes: 'iVBORw0KGgo=' } },
      { format: 'jpeg', source: { bytes: '/9j/4AAQ' } },
    ] })));
  });

  it('moves images of tool results into the turn\'s images', () => {
    const request = ir([
      user('Screenshot please'),
      { role: 'assistant', content: [{ type: 'tool-call', id: 's', name: 'shot', arguments: '{}' }] },
      { role: 'user', content: [{ type: 'tool-result', toolCallId: 's', content: [{ type: 'text', text: 'taken' }, { type: 'image', source: { kind: 'base64', mediaType: 'image/webp', data: 'UklGR' } }] }] },
    ], { tools: [{ name: 'shot', description: 'Screenshot', parameters: {} }] });
    assert.deepEqual(render(request), body(
      userInput('Tool results are attached.', {
        images: [{ format: 'webp', source: { bytes: 'UklGR' } }],
        userInputMessageContext: {
          tools: [{ toolSpecification: { name: 'shot', description: 'Screenshot', inputSchema: { json: { type: 'object', properties: {} } } } }],
          toolResults: [{ toolUseId: 's', status: 'success', content: [{ text: 'taken' }] }],
        },
      }),
      [
        { userInputMessage: userInput('Screenshot please') },
        { assistantResponseMessage: { content: '.', toolUses: [{ toolUseId: 's', name: 'shot', input: {} }] } },
      ],
    ));
  });
});

describe('renderKiroRequest: response format', () => {
  it('asks for JSON in front of the first user message', () => {
    const rendered = render(ir([user('List three colours')], { responseFormat: { type: 'json-object' } }));
    assert.deepEqual(rendered, body(userInput('Respond only with a single valid JSON object. Do not add any text before or after the JSON.\n\nList three colours')));
  });
});
