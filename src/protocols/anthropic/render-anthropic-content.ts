/**
 * IR parts → Anthropic content blocks.
 *
 * - Thinking goes out only with an Anthropic signature, redacted thinking only from Anthropic:
 *   a signature is valid only where it was made, and unsigned thinking is rejected.
 * - Tool-call arguments become the `input` object; text that is not a JSON object (a call cut
 *   off by max_tokens) becomes `{}`, since Anthropic accepts nothing else there.
 * - Tool ids are reduced to Anthropic's alphabet (`[a-zA-Z0-9_-]`), the same way on tool_use
 *   and tool_result so the pair still matches.
 * - Empty text blocks are dropped: Anthropic rejects them.
 */
import type { ContentPart, ImagePart, TextPart, ToolResultPart } from '../ir.ts';
import { renderCacheControl } from '../shared/cache-control-field.ts';
import { parseBase64DataUrl } from '../shared/image-data-url.ts';
import { isRecord, parseJsonOrUndefined } from '../shared/json-value-guards.ts';
import type { AnthropicContentBlock, AnthropicContentShape, AnthropicPartExtra, AnthropicUnknownBlock, AnthropicImageBlock, AnthropicTextBlock, AnthropicToolResultBlock } from './types.ts';

/**
 * `sameFormat`: the parts were parsed from Anthropic, so shapes recorded then are restored.
 * Block keys and whole blocks the IR could not hold (types.ts, AnthropicPartExtra) go back
 * in where they were.
 */
export function renderAnthropicBlocks(parts: ContentPart[], sameFormat = false, unknownBlocks: AnthropicUnknownBlock[] = []): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = [];
  parts.forEach((part, index) => {
    for (const unknown of unknownBlocks) if (unknown.before === index) blocks.push(asBlock(unknown.block));
    const block = renderBlock(part, sameFormat);
    const extra = (part as ContentPart & AnthropicPartExtra).anthropicBlockExtra;
    if (block !== undefined) blocks.push(extra === undefined ? block : Object.assign({}, extra, block));
  });
  for (const unknown of unknownBlocks) if (unknown.before >= parts.length) blocks.push(asBlock(unknown.block));
  return blocks;
}

/** A block kept verbatim from the client's own request; its shape is Anthropic's, not ours to check. */
function asBlock(block: Record<string, unknown>): AnthropicContentBlock {
  return block as unknown as AnthropicContentBlock;
}

export function sanitizeAnthropicToolId(id: string): string {
  return id.replace(/[^a-zA-Z0-9_-]/g, '_');
}

function renderBlock(part: ContentPart, sameFormat: boolean): AnthropicContentBlock | undefined {
  switch (part.type) {
    case 'text':
      return renderTextBlock(part);
    case 'image':
      return renderImageBlock(part);
    case 'file': {
      const source = part.source;
      if (source.kind === 'url') return { type: 'document', source: { type: 'url', url: source.url } };
      if (source.mediaType === 'text/plain') return { type: 'document', source: { type: 'text', media_type: 'text/plain', data: Buffer.from(source.data, 'base64').toString('utf8') } };
      return { type: 'document', source: { type: 'base64', media_type: source.mediaType, data: source.data } };
    }
    case 'tool-call':
      return { type: 'tool_use', id: sanitizeAnthropicToolId(part.id), name: part.name, input: parseToolInput(part.arguments) };
    case 'tool-result':
      return renderToolResult(part, sameFormat);
    case 'thinking':
      if (part.signature?.origin !== 'anthropic') return undefined;
      return { type: 'thinking', thinking: part.text, signature: part.signature.value };
    case 'redacted-thinking':
      return part.origin === 'anthropic' ? { type: 'redacted_thinking', data: part.data } : undefined;
  }
}

export function renderTextBlock(part: TextPart): AnthropicTextBlock | undefined {
  if (part.text === '') return undefined;
  const block: AnthropicTextBlock = { type: 'text', text: part.text };
  if (part.cacheControl !== undefined) block.cache_control = renderCacheControl(part.cacheControl);
  return block;
}

function renderImageBlock(part: ImagePart): AnthropicImageBlock {
  let block: AnthropicImageBlock;
  if (part.source.kind === 'base64') {
    block = { type: 'image', source: { type: 'base64', media_type: part.source.mediaType, data: part.source.data } };
  } else {
    const inline = parseBase64DataUrl(part.source.url);
    block = inline === undefined
      ? { type: 'image', source: { type: 'url', url: part.source.url } }
      : { type: 'image', source: { type: 'base64', media_type: inline.mediaType, data: inline.data } };
  }
  if (part.cacheControl !== undefined) block.cache_control = renderCacheControl(part.cacheControl);
  return block;
}

function renderToolResult(part: ToolResultPart & AnthropicContentShape, sameFormat: boolean): AnthropicToolResultBlock {
  const block: AnthropicToolResultBlock = { type: 'tool_result', tool_use_id: sanitizeAnthropicToolId(part.toolCallId) };
  const inner: Array<AnthropicTextBlock | AnthropicImageBlock> = [];
  for (const item of part.content) {
    const rendered = item.type === 'text' ? renderTextBlock(item) : renderImageBlock(item);
    if (rendered !== undefined) inner.push(rendered);
  }
  const only = inner[0];
  const asString = !sameFormat || part.anthropicContentIsString === true;
  if (asString && inner.length === 1 && only !== undefined && only.type === 'text' && only.cache_control === undefined) block.content = only.text;
  else if (inner.length > 0) block.content = inner;
  if (part.isError === true) block.is_error = true;
  if (part.cacheControl !== undefined) block.cache_control = renderCacheControl(part.cacheControl);
  return block;
}

function parseToolInput(text: string): Record<string, unknown> {
  const value = parseJsonOrUndefined(text);
  return isRecord(value) ? value : {};
}
