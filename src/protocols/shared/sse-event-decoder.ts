/**
 * Incremental `text/event-stream` decoder: bytes in, `{event, data}` records out.
 *
 * Upstream chunks split anywhere: inside a multi-byte UTF-8 character (the TextDecoder runs
 * in streaming mode), between the `\r` and `\n` of a CRLF (a trailing `\r` waits for the next
 * chunk), or before the final blank line (`end()` dispatches what is pending). Comments
 * (`: ping`), `id:` and `retry:` lines are skipped. One deliberate departure from the spec: a
 * line that starts with `{` is taken as data, because some upstreams answer a failed
 * streaming call with a bare JSON error object and dropping it would hide the error.
 */

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
  const textDecoder = new TextDecoder('utf-8');
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
    let start = 0;
    let index = 0;
    while (index < buffer.length) {
      const char = buffer.charCodeAt(index);
      if (char !== 13 && char !== 10) {
        index += 1;
        continue;
      }
      let terminatorLength = 1;
      if (char === 13) {
        // A `\r` at the very end may be the first half of a CRLF split across chunks.
        if (index + 1 === buffer.length && !final) break;
        if (buffer.charCodeAt(index + 1) === 10) terminatorLength = 2;
      }
      handleLine(buffer.slice(start, index), into);
      index += terminatorLength;
      start = index;
    }
    buffer = buffer.slice(start);
  }

  return {
    push(chunk: Uint8Array): SseEvent[] {
      const events: SseEvent[] = [];
      buffer += textDecoder.decode(chunk, { stream: true });
      drainLines(false, events);
      return events;
    },
    end(): SseEvent[] {
      const events: SseEvent[] = [];
      buffer += textDecoder.decode();
      drainLines(true, events);
      if (buffer !== '') handleLine(buffer, events);
      buffer = '';
      dispatch(events);
      return events;
    },
  };
}
