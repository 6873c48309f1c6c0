/**
 * Incremental reader for Gemini's non-SSE streaming body, a JSON array written element by
 * element (`[{...}\r\n,{...}\r\n]`): bytes in, the text of each complete top-level object
 * out, as soon as its closing brace arrives. A body that is a bare object (an error answer)
 * is read the same way. Strings are tracked so braces inside them do not count.
 */

import { createUtf8StreamDecoder } from '../shared/utf8-stream.ts';
export interface JsonArrayReader {
  push(chunk: Uint8Array): string[];
  end(): string[];
}

export function createJsonArrayReader(): JsonArrayReader {
  const decoder = createUtf8StreamDecoder();
  let inArray = false;
  let closed = false;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let pending = '';

  function scan(text: string): string[] {
    const elements: string[] = [];
    let start = depth > 0 ? 0 : -1;
    for (let index = 0; index < text.length; index += 1) {
      const char = text[index];
      if (depth > 0) {
        if (inString) {
          if (escaped) escaped = false;
          else if (char === '\\') escaped = true;
          else if (char === '"') inString = false;
          continue;
        }
        if (char === '"') inString = true;
        else if (char === '{' || char === '[') depth += 1;
        else if (char === '}' || char === ']') {
          depth -= 1;
          if (depth === 0) {
            elements.push(pending + text.slice(start, index + 1));
            pending = '';
            start = -1;
          }
        }
        continue;
      }
      if (closed) continue;
      if (char === '[' && !inArray) inArray = true;
      else if (char === ']' && inArray) closed = true;
      else if (char === '{') {
        depth = 1;
        start = index;
      }
      // Commas, whitespace and anything else between elements are skipped.
    }
    if (depth > 0 && start !== -1) pending += text.slice(start);
    return elements;
  }

  return {
    push(chunk: Uint8Array): string[] {
      return scan(decoder.write(chunk));
    },
    end(): string[] {
      const elements = scan(decoder.end());
      // An unfinished element is handed out as is: the caller reports it as unparseable.
      if (depth > 0 && pending !== '') elements.push(pending);
      pending = '';
      depth = 0;
      return elements;
    },
  };
}
