/**
 * Incremental `text/event-stream` decoder: bytes in, `{event, data}` records out.
 *
 * Upstream chunks split anywhere: inside a multi-byte UTF-8 character (held back until its
 * last byte comes), between the `\r` and `\n` of a CRLF (a trailing `\r` waits for the next
 * chunk), or before the final blank line (`end()` dispatches what is pending). Comments
 * (`: ping`), `id:` and `retry:` lines are skipped. One deliberate departure from the spec: a
 * line that starts with `{` is taken as data, because some upstreams answer a failed
 * streaming call with a bare JSON error object and dropping it would hide the error.
 */

import { createUtf8StreamDecoder } from './utf8-stream.ts';

export interface SseEvent {
  /** The `event:` field, when the upstream names its events (Anthropic does). */
  event?: string;
  /** The `data:` lines of the event, joined with `\n`. */
  data: string;
}

export interface SseEventDecoder {
  push(chunk: Uint8Array): SseEvent[];
  end(): SseEvent[];
}

/**
 * @example
 * const decoder = createSseEventDecoder();
 * decoder.push(new TextEncoder().encode('event: ping\ndata: {}\n\n')); // [{ event: 'ping', data: '{}' }]
 */
export function createSseEventDecoder(): SseEventDecoder {
  const textDecoder = createUtf8StreamDecoder();
  let buffer = '';
  let eventName: string | undefined;
  let dataLines: string[] = [];

  function dispatch(into: SseEvent[]): void {
    if (dataLines.length > 0) {
      const event: SseEvent = { data: dataLines.join('\n') };
      if (eventName !== undefined) event.event = eventName;
      into.push(event);
    }
    eventName = undefined;
    dataLines = [];
  }

  function handleLine(line: string, into: SseEvent[]): void {
    if (line === '') {
      dispatch(into);
      return;
    }
    if (line.startsWith(':')) return;
    if (line.startsWith('{')) {
      dataLines.push(line);
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') dataLines.push(value);
    else if (field === 'event') eventName = value;
  }

  function drainLines(final: boolean, into: SseEvent[]): void {
    // Native searches for the terminators; upstreams end lines with \n almost always, so the
    // \r search usually runs once per chunk and finds nothing.
    let start = 0;
    let cr = buffer.indexOf('\r');
    for (;;) {
      const lf = buffer.indexOf('\n', start);
      if (cr !== -1 && cr < start) cr = buffer.indexOf('\r', start);
      let end: number;
      let terminatorLength = 1;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        // A `\r` at the very end may be the first half of a CRLF split across chunks.
        if (cr + 1 === buffer.length && !final) break;
        end = cr;
        if (lf === cr + 1) terminatorLength = 2;
      } else if (lf !== -1) {
        end = lf;
      } else {
        break;
      }
      handleLine(buffer.slice(start, end), into);
      start = end + terminatorLength;
    }
    buffer = start === 0 ? buffer : buffer.slice(start);
  }

  return {
    push(chunk: Uint8Array): SseEvent[] {
      const events: SseEvent[] = [];
      buffer += textDecoder.write(chunk);
      drainLines(false, events);
      return events;
    },
    end(): SseEvent[] {
      const events: SseEvent[] = [];
      buffer += textDecoder.end();
      drainLines(true, events);
      if (buffer !== '') handleLine(buffer, events);
      buffer = '';
      dispatch(events);
      return events;
    },
  };
}
