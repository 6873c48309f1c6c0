/**
 * What a request needs from a model — streaming, tools, images — read from the client's
 * wire body without converting it, so the fast path stays cheap.
 */
import type { WireFormat } from '../protocols/ir.ts';
import type { Needs } from '../routing/router.ts';

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}

function nonEmptyArray(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}

function anyPart(list: unknown, test: (part: Record<string, unknown>) => boolean, contentKey: string): boolean {
  if (!Array.isArray(list)) return false;
  for (const item of list) {
    if (!isObject(item)) continue;
    const content = item[contentKey];
    if (!Array.isArray(content)) continue;
    for (const part of content) if (isObject(part) && test(part)) return true;
  }
  return false;
}

export function needsOf(format: WireFormat, body: Record<string, unknown>, stream: boolean): Needs {
  switch (format) {
    case 'openai-chat':
      return { streaming: stream, functions: nonEmptyArray(body.tools), vision: anyPart(body.messages, (part) => part.type === 'image_url', 'content') };
    case 'anthropic':
      return { streaming: stream, functions: nonEmptyArray(body.tools), vision: anyPart(body.messages, (part) => part.type === 'image', 'content') };
    case 'openai-responses':
      return { streaming: stream, functions: nonEmptyArray(body.tools), vision: anyPart(body.input, (part) => part.type === 'input_image', 'content') };
    case 'gemini': {
      const tools = Array.isArray(body.tools) && body.tools.some((tool) => isObject(tool) && nonEmptyArray(tool.functionDeclarations));
      const image = (part: Record<string, unknown>): boolean => {
        const data = (part.inlineData ?? part.inline_data ?? part.fileData ?? part.file_data) as Record<string, unknown> | undefined;
        const mime = data?.mimeType ?? data?.mime_type;
        return typeof mime === 'string' && mime.startsWith('image/');
      };
      return { streaming: stream, functions: tools, vision: anyPart(body.contents, image, 'parts') };
    }
  }
}
