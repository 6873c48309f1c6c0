/**
 * Test helper: SYNTHETIC Kiro event-stream frames, encoded with the AWS SDK's own codec.
 * There is no public Kiro capture; the event names and payload fields follow PROTOCOLS.md.
 * Imported by tests only.
 */
import { EventStreamCodec } from '@smithy/eventstream-codec';
import type { MessageHeaders } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

function stringHeaders(entries: Record<string, string>): MessageHeaders {
  const headers: MessageHeaders = {};
  for (const [name, value] of Object.entries(entries)) headers[name] = { type: 'string', value };
  return headers;
}

export function eventFrame(eventType: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: stringHeaders({ ':message-type': 'event', ':event-type': eventType, ':content-type': 'application/json' }),
    body: fromUtf8(JSON.stringify(payload)),
  });
}

export function exceptionFrame(exceptionType: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: stringHeaders({ ':message-type': 'exception', ':exception-type': exceptionType, ':content-type': 'application/json' }),
    body: fromUtf8(JSON.stringify(payload)),
  });
}

export function errorFrame(code: string, message: string): Uint8Array {
  return codec.encode({ headers: stringHeaders({ ':message-type': 'error', ':error-code': code, ':error-message': message }), body: new Uint8Array(0) });
}

export function concatFrames(frames: Uint8Array[]): Uint8Array {
  const total = frames.reduce((sum, frame) => sum + frame.length, 0);
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const frame of frames) {
    joined.set(frame, offset);
    offset += frame.length;
  }
  return joined;
}
