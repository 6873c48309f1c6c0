/**
 * One complete event-stream frame → its headers and payload, through @smithy/eventstream-codec
 * (the AWS SDK's own codec: it verifies both CRCs and parses every header type). Only the
 * string headers AWS uses to route a message are surfaced by name.
 */
import { EventStreamCodec } from '@smithy/eventstream-codec';
import type { Message, MessageHeaders } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { EventStreamFrameError } from './frame-splitter.ts';

export interface DecodedFrame {
  headers: MessageHeaders;
  body: Uint8Array;
  /** `:message-type`: `event`, `exception` or `error` (absent on bare frames). */
  messageType: string | undefined;
  /** `:event-type`, for events. */
  eventType: string | undefined;
  /** `:exception-type` for exceptions, `:error-code` for errors. */
  errorType: string | undefined;
  /** `:error-message`, which `error` frames carry in a header rather than in the payload. */
  errorMessage: string | undefined;
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);

export function decodeEventStreamFrame(frame: Uint8Array): DecodedFrame {
  let message: Message;
  try {
    message = codec.decode(frame);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const kind = /message checksum/i.test(text) ? 'message-checksum' : /prelude checksum/i.test(text) ? 'prelude-checksum' : 'headers';
    throw new EventStreamFrameError(kind, `event-stream frame rejected: ${text}`, { cause: error });
  }
  const headers = message.headers;
  return {
    headers,
    body: message.body,
    messageType: stringHeader(headers, ':message-type'),
    eventType: stringHeader(headers, ':event-type'),
    errorType: stringHeader(headers, ':exception-type') ?? stringHeader(headers, ':error-code'),
    errorMessage: stringHeader(headers, ':error-message'),
  };
}

export function stringHeader(headers: MessageHeaders, name: string): string | undefined {
  const header = headers[name];
  return header?.type === 'string' ? header.value : undefined;
}
