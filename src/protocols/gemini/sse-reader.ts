/**
 * Incremental reader for Gemini's `alt=sse` bodies: bytes in, JSON payload texts out.
 *
 * Why not the shared SSE decoder: a failed Vertex stream ends with a bare, pretty-printed
 * JSON error object (`{\n  "error": {\n ...}`) that is no SSE at all. Lines that are not SSE
 * fields are collected here and handed out as one payload as soon as they form valid JSON
 * (or at the next blank line / end of input), so the error surfaces instead of vanishing.
 * Chunks may split anywhere: inside a UTF-8 sequence (held back until complete) or between the
 * `\r` and `\n` of Google's `\r\n\r\n` (a trailing `\r` waits for the next chunk).
 */

import { createUtf8StreamDecoder } from '../shared/utf8-stream.ts';
export interface GeminiSsePayload {
  /** `data` for `data:` events, `bare` for JSON that arrived outside SSE framing. */
  kind: 'data' | 'bare';
  text: string;
}

export interface GeminiSseReader {
  push(chunk: Uint8Array): GeminiSsePayload[];
  end(): GeminiSsePayload[];
}

const MAX_BARE_PROBE = 1 << 20;

export function createGeminiSseReader(): GeminiSseReader {
  const decoder = createUtf8StreamDecoder();
  let buffer = '';
  let dataLines: string[] = [];
  let strayLines: string[] = [];
  let strayLength = 0;

  function flushStray(into: GeminiSsePayload[]): void {
    if (strayLines.length > 0) into.push({ kind: 'bare', text: strayLines.join('\n') });
    strayLines = [];
    strayLength = 0;
  }

  function dispatch(into: GeminiSsePayload[]): void {
    if (dataLines.length > 0) into.push({ kind: 'data', text: dataLines.join('\n') });
    dataLines = [];
    flushStray(into);
  }

  function handleLine(line: string, into: GeminiSsePayload[]): void {
    if (line === '') {
      dispatch(into);
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    if (field === 'data') {
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      dataLines.push(value);
      return;
    }
    if (field === 'event' || field === 'id' || field === 'retry') return;
    strayLines.push(line);
    strayLength += line.length;
    const trimmed = line.trimEnd();
    if (strayLength <= MAX_BARE_PROBE && (trimmed.endsWith('}') || trimmed.endsWith(']'))) {
      const text = strayLines.join('\n');
      try {
        JSON.parse(text);
        flushStray(into);
      } catch {
        // Not complete yet: keep collecting.
      }
    }
  }

  function drain(final: boolean, into: GeminiSsePayload[]): void {
    let start = 0;
    let index = 0;
    while (index < buffer.length) {
      const code = buffer.charCodeAt(index);
      if (code !== 10 && code !== 13) {
        index += 1;
        continue;
      }
      let length = 1;
      if (code === 13) {
        if (index + 1 === buffer.length && !final) break;
        if (buffer.charCodeAt(index + 1) === 10) length = 2;
      }
      handleLine(buffer.slice(start, index), into);
      index += length;
      start = index;
    }
    buffer = buffer.slice(start);
  }

  return {
    push(chunk: Uint8Array): GeminiSsePayload[] {
      const payloads: GeminiSsePayload[] = [];
      buffer += decoder.write(chunk);
      drain(false, payloads);
      return payloads;
    },
    end(): GeminiSsePayload[] {
      const payloads: GeminiSsePayload[] = [];
      buffer += decoder.end();
      drain(true, payloads);
      if (buffer !== '') handleLine(buffer, payloads);
      buffer = '';
      dispatch(payloads);
      return payloads;
    },
  };
}
