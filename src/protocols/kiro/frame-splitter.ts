/**
 * AWS event-stream bytes → whole frames, whatever the TCP chunking.
 *
 * A frame is: total length u32, headers length u32, prelude CRC32 (of those 8 bytes),
 * headers, payload, message CRC32 (of everything before it), all big-endian. Chunks may cut
 * a frame anywhere, so bytes are buffered until a frame is complete. The prelude CRC is
 * checked as soon as its 12 bytes are in, before the length is trusted: a corrupt length
 * would otherwise make the splitter wait for bytes that never come (or buffer gigabytes).
 * The message CRC is checked by `decodeEventStreamFrame` (the codec does it on decode).
 *
 * Once a frame is corrupt the stream cannot be resynchronised (there is no frame marker to
 * look for), so the splitter stays failed.
 */
import { crc32 } from 'node:zlib';

const PRELUDE_LENGTH = 12;
const MINIMUM_FRAME_LENGTH = 16;
/** AWS caps an event-stream message at 16 MiB of payload plus 128 KiB of headers. */
const MAXIMUM_FRAME_LENGTH = 16 * 1024 * 1024 + 128 * 1024 + MINIMUM_FRAME_LENGTH;

export type EventStreamFrameErrorKind = 'prelude-checksum' | 'message-checksum' | 'length' | 'truncated' | 'headers';

/** A frame the decoder must reject; `kind` is stable, the message is for people. */
export class EventStreamFrameError extends Error {
  readonly kind: EventStreamFrameErrorKind;

  constructor(kind: EventStreamFrameErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStreamFrameError';
    this.kind = kind;
  }
}

export interface EventStreamSplit {
  /** Complete frames in arrival order (those before a corrupt one included). */
  frames: Uint8Array[];
  /** Set when a frame was found corrupt; every later push reports it again. */
  error?: EventStreamFrameError;
}

export interface EventStreamFrameSplitter {
  push(chunk: Uint8Array): EventStreamSplit;
  /** The error, if the input stopped inside a frame or was already corrupt. */
  end(): EventStreamFrameError | undefined;
}

export function createEventStreamFrameSplitter(): EventStreamFrameSplitter {
  let buffer: Uint8Array = new Uint8Array(0);
  let failure: EventStreamFrameError | undefined;

  return {
    push(chunk) {
      if (failure !== undefined) return { frames: [], error: failure };
      buffer = concat(buffer, chunk);
      const frames: Uint8Array[] = [];
      let offset = 0;
      while (buffer.length - offset >= PRELUDE_LENGTH) {
        const view = new DataView(buffer.buffer, buffer.byteOffset + offset, PRELUDE_LENGTH);
        const totalLength = view.getUint32(0, false);
        const headersLength = view.getUint32(4, false);
        if (view.getUint32(8, false) !== crc32(buffer.subarray(offset, offset + 8))) {
          failure = new EventStreamFrameError('prelude-checksum', 'event-stream prelude checksum mismatch');
        } else if (totalLength < MINIMUM_FRAME_LENGTH || totalLength > MAXIMUM_FRAME_LENGTH || headersLength > totalLength - MINIMUM_FRAME_LENGTH) {
          failure = new EventStreamFrameError('length', `event-stream frame lengths out of range (total ${totalLength}, headers ${headersLength})`);
        }
        if (failure !== undefined) {
          buffer = new Uint8Array(0);
          return { frames, error: failure };
        }
        if (buffer.length - offset < totalLength) break;
        // A copy, so a frame handed out never aliases the buffer that later chunks replace.
        frames.push(buffer.slice(offset, offset + totalLength));
        offset += totalLength;
      }
      buffer = offset === 0 ? buffer : buffer.slice(offset);
      return { frames };
    },
    end() {
      if (failure === undefined && buffer.length > 0) {
        failure = new EventStreamFrameError('truncated', `event stream ended inside a frame (${buffer.length} bytes left over)`);
      }
      return failure;
    },
  };
}

function concat(head: Uint8Array, tail: Uint8Array): Uint8Array {
  if (head.length === 0) return tail.slice();
  if (tail.length === 0) return head;
  const joined = new Uint8Array(head.length + tail.length);
  joined.set(head, 0);
  joined.set(tail, head.length);
  return joined;
}
