/**
 * Anthropic `messages` ⇄ IR messages.
 *
 * Parsing: each wire turn becomes one IR message, tool results staying inside their user turn
 * (every renderer reads tool-result parts wherever they are). A `role:"system"` message
 * (Claude Code sends one; it is not in the public schema) is folded into the system prompt.
 *
 * Rendering: `tool` messages become user turns, system/developer messages fold into `system`,
 * messages left empty are dropped, and, for IR from other formats, consecutive same-role
 * turns are merged with tool results moved to the front, since Anthropic wants every
 * tool_result in the user turn right after its tool_use, ahead of any other block.
 */
import type { Message, TextPart } from '../ir.ts';
import { isRecord } from '../shared/json-value-guards.ts';
import { invalidRequest } from '../shared/invalid-request-error.ts';
import { parseAnthropicContent } from './parse-anthropic-content.ts';
import { renderAnthropicBlocks } from './render-anthropic-content.ts';
import type { AnthropicContentBlock, AnthropicContentShape, AnthropicMessage, AnthropicMessageExtra, AnthropicUnknownBlock } from './types.ts';

export function parseAnthropicMessages(wireMessages: unknown[]): { messages: Message[]; foldedSystem: TextPart[] } {
  const messages: Message[] = [];
  const foldedSystem: TextPart[] = [];
  wireMessages.forEach((wire, index) => {
    const path = `messages[${index}]`;
    if (!isRecord(wire)) throw invalidRequest(path, 'must be an object');
    const role = wire['role'];
    if (typeof role !== 'string') throw invalidRequest(`${path}.role`, 'is required');
    const unknownBlocks: AnthropicUnknownBlock[] = [];
    const content = parseAnthropicContent(wire['content'], `${path}.content`, unknownBlocks);
    if (role === 'system') {
      foldedSystem.push(...content.filter((part): part is TextPart => part.type === 'text'));
      return;
    }
    if (role !== 'user' && role !== 'assistant') throw invalidRequest(`${path}.role`, `unknown role "${role}"`);
    const message: Message & AnthropicContentShape & AnthropicMessageExtra = { role, content };
    if (typeof wire['content'] === 'string') message.anthropicContentIsString = true;
    if (unknownBlocks.length > 0) message.anthropicUnknownBlocks = unknownBlocks;
    messages.push(message);
  });
  return { messages, foldedSystem };
}

/**
 * `mergeTurns` is for IR from other formats (OpenAI sends one tool message per result); a
 * same-format request keeps its own turn boundaries, which the API accepts as they came.
 */
export function renderAnthropicMessages(messages: Message[], mergeTurns: boolean): { messages: AnthropicMessage[]; foldedSystem: TextPart[] } {
  const rendered: Array<{ role: 'user' | 'assistant'; blocks: AnthropicContentBlock[]; asString: boolean }> = [];
  const foldedSystem: TextPart[] = [];
  for (const message of messages) {
    if (message.role === 'system' || message.role === 'developer') {
      foldedSystem.push(...message.content.filter((part): part is TextPart => part.type === 'text'));
      continue;
    }
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const blocks = renderAnthropicBlocks(message.content, !mergeTurns, (message as Message & AnthropicMessageExtra).anthropicUnknownBlocks);
    if (blocks.length === 0) continue;
    const last = rendered.at(-1);
    if (mergeTurns && last !== undefined && last.role === role) last.blocks.push(...blocks);
    // Same format: the shape the client sent; otherwise a lone text block reads best as a string.
    else rendered.push({ role, blocks, asString: mergeTurns || (message as Message & AnthropicContentShape).anthropicContentIsString === true });
  }
  return {
    messages: rendered.map(({ role, blocks, asString }) => ({ role, content: compactContent(role === 'user' && mergeTurns ? toolResultsFirst(blocks) : blocks, asString) })),
    foldedSystem,
  };
}

function toolResultsFirst(blocks: AnthropicContentBlock[]): AnthropicContentBlock[] {
  return [...blocks.filter((block) => block.type === 'tool_result'), ...blocks.filter((block) => block.type !== 'tool_result')];
}

function compactContent(blocks: AnthropicContentBlock[], asString: boolean): string | AnthropicContentBlock[] {
  const only = blocks[0];
  if (asString && blocks.length === 1 && only !== undefined && only.type === 'text' && only.cache_control === undefined) return only.text;
  return blocks;
}
