/**
 * A documented estimate of a request's input tokens, for token counting when no candidate
 * can count exactly: about four characters of text per token (the ratio OpenAI and
 * Anthropic both quote for English), four tokens of framing per message, and a flat
 * figure per image. Exact counts come from Anthropic's count_tokens and Gemini's
 * countTokens whenever such a provider serves the model.
 */
import type { ContentPart, IRRequest } from '../protocols/ir.ts';

const CHARS_PER_TOKEN = 4;
const TOKENS_PER_MESSAGE = 4;
const TOKENS_PER_IMAGE = 1_000;

function partChars(part: ContentPart): { chars: number; images: number } {
  switch (part.type) {
    case 'text':
    case 'thinking':
      return { chars: part.text.length, images: 0 };
    case 'tool-call':
      return { chars: part.name.length + part.arguments.length, images: 0 };
    case 'tool-result': {
      let chars = 0;
      let images = 0;
      for (const item of part.content) {
        const counted = partChars(item);
        chars += counted.chars;
        images += counted.images;
      }
      return { chars, images };
    }
    case 'image':
      return { chars: 0, images: 1 };
    default:
      return { chars: 0, images: 0 };
  }
}

export function estimateInputTokens(request: IRRequest): number {
  let chars = 0;
  let images = 0;
  for (const part of request.system) chars += part.text.length;
  for (const message of request.messages) {
    for (const part of message.content) {
      const counted = partChars(part);
      chars += counted.chars;
      images += counted.images;
    }
  }
  for (const tool of request.tools) chars += tool.name.length + (tool.description?.length ?? 0) + JSON.stringify(tool.parameters).length;
  return Math.ceil(chars / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE * (request.messages.length + (request.system.length > 0 ? 1 : 0)) + TOKENS_PER_IMAGE * images;
}
