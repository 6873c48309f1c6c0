/**
 * Conformance: Kiro's event-stream layer against recorded bytes in `../shared/fixtures`
 * (other projects' data, read in place, never copied):
 * - aws-eventstream: the AWS SDK for Go's canonical test vectors. Positive frames decode to
 *   the headers and payload of their `decoded/` twin (and split into one frame at every
 *   offset); negative frames are rejected, for the reason their `decoded/` twin names.
 * - bedrock: the REAL ConverseStream capture (issue-18994, six frames) goes through the frame
 *   splitter split at every offset and yields the same frames every time; the re-framed
 *   (derived) streams likewise; the exception frame becomes an IR error event.
 * Kiro speaks the same framing as Bedrock; there is no public Kiro capture.
 *
 * Registers no tests at all when the fixtures folder is absent (it is not part of the repo).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { MessageHeaderValue } from '@smithy/eventstream-codec';
import { createEventStreamFrameSplitter, createKiroStreamParser, decodeEventStreamFrame } from '../../src/protocols/kiro/index.ts';
import type { EventStreamFrameError } from '../../src/protocols/kiro/index.ts';

const fixturesRoot = new URL('../../../shared/fixtures/', import.meta.url);

interface DecodedVector {
  total_length: number;
  headers_length: number;
  prelude_crc: number;
  headers: Array<{ name: string; type: number; value: unknown }>;
  payload: string;
  message_crc: number;
}

function read(path: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(path, fixturesRoot)));
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/** All frames of `bytes`, or the error that stopped the splitter or the decoder. */
function splitAll(chunks: Uint8Array[]): { frames: Uint8Array[]; error: EventStreamFrameError | undefined } {
  const splitter = createEventStreamFrameSplitter();
  const frames: Uint8Array[] = [];
  for (const chunk of chunks) {
    const split = splitter.push(chunk);
    frames.push(...split.frames);
    if (split.error !== undefined) return { frames, error: split.error };
  }
  return { frames, error: splitter.end() };
}

function assertSameFramesAtEverySplit(bytes: Uint8Array): Uint8Array[] {
  const whole = splitAll([bytes]);
  assert.equal(whole.error, undefined);
  assert.deepEqual(Buffer.concat(whole.frames), Buffer.from(bytes), 'the frames are the input, in order');
  for (let at = 0; at <= bytes.length; at += 1) {
    const split = splitAll([bytes.subarray(0, at), bytes.subarray(at)]);
    assert.equal(split.error, undefined, `split at ${at}`);
    assert.deepEqual(split.frames, whole.frames, `split at ${at}`);
  }
  return whole.frames;
}

/** The Go SDK's JSON view of one header value, from the codec's typed header. */
function vectorView(header: MessageHeaderValue): { type: number; value: unknown } {
  switch (header.type) {
    case 'boolean':
      return { type: header.value ? 0 : 1, value: header.value };
    case 'byte':
      return { type: 2, value: header.value };
    case 'short':
      return { type: 3, value: header.value };
    case 'integer':
      return { type: 4, value: header.value };
    case 'long':
      return { type: 5, value: header.value.valueOf() };
    case 'binary':
      return { type: 6, value: base64(header.value) };
    case 'string':
      return { type: 7, value: base64(new TextEncoder().encode(header.value)) };
    case 'timestamp':
      return { type: 8, value: header.value.getTime() };
    case 'uuid':
      return { type: 9, value: base64(Buffer.from(header.value.replaceAll('-', ''), 'hex')) };
  }
}

if (existsSync(fixturesRoot)) {
  describe('aws-eventstream test vectors', () => {
    const positives = readdirSync(new URL('aws-eventstream/encoded/positive/', fixturesRoot)).sort();
    const negatives = readdirSync(new URL('aws-eventstream/encoded/negative/', fixturesRoot)).sort();

    it('has the vectors SOURCES.md lists', () => {
      assert.deepEqual(positives, ['all_headers', 'empty_message', 'int32_header', 'payload_no_headers', 'payload_one_str_header']);
      assert.deepEqual(negatives, ['corrupted_header_len', 'corrupted_headers', 'corrupted_length', 'corrupted_payload']);
    });

    for (const name of positives) {
      it(`decodes positive/${name} as its decoded twin says`, () => {
        const bytes = read(`aws-eventstream/encoded/positive/${name}`);
        const expected = JSON.parse(readFileSync(new URL(`aws-eventstream/decoded/positive/${name}`, fixturesRoot), 'utf8')) as DecodedVector;
        const [frame, ...rest] = assertSameFramesAtEverySplit(bytes);
        assert.equal(rest.length, 0);
        assert.ok(frame !== undefined);
        const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
        assert.equal(frame.length, expected.total_length);
        assert.equal(view.getUint32(4), expected.headers_length);
        assert.equal(view.getInt32(8), expected.prelude_crc | 0);
        assert.equal(view.getInt32(frame.length - 4), expected.message_crc | 0);
        const decoded = decodeEventStreamFrame(frame);
        assert.deepEqual(
          Object.entries(decoded.headers).map(([headerName, value]) => ({ name: headerName, ...vectorView(value) })),
          expected.headers,
        );
        assert.equal(base64(decoded.body), expected.payload);
      });
    }

    for (const name of negatives) {
      it(`rejects negative/${name} for the reason its twin names`, () => {
        const bytes = read(`aws-eventstream/encoded/negative/${name}`);
        const reason = readFileSync(new URL(`aws-eventstream/decoded/negative/${name}`, fixturesRoot), 'utf8').trim();
        const expectedKind = reason === 'Prelude checksum mismatch' ? 'prelude-checksum' : reason === 'Message checksum mismatch' ? 'message-checksum' : reason;
        const split = splitAll([bytes]);
        let kind = split.error?.kind;
        if (kind === undefined) {
          assert.equal(split.frames.length, 1);
          const [frame] = split.frames;
          assert.throws(() => decodeEventStreamFrame(frame ?? new Uint8Array(0)), (error: unknown) => {
            kind = (error as EventStreamFrameError).kind;
            return true;
          });
        }
        assert.equal(kind, expectedKind);
        // And the Kiro parser turns it into an error event, whatever the chunking.
        for (let at = 0; at <= bytes.length; at += 1) {
          const parser = createKiroStreamParser();
          const events = [...parser.push(bytes.subarray(0, at)), ...parser.push(bytes.subarray(at)), ...parser.end()];
          assert.deepEqual(events.map((event) => event.type), ['message-start', 'error'], `split at ${at}`);
        }
      });
    }
  });

  describe('bedrock event streams', () => {
    it('splits the real ConverseStream capture into the same six frames at every offset', () => {
      const bytes = read('bedrock/issue-18994-live-converse-stream.eventstream.bin');
      const recording = JSON.parse(readFileSync(new URL('bedrock/issue-18994-live-converse-stream.json', fixturesRoot), 'utf8')) as { response: { bodyBase64: string } };
      assert.equal(base64(bytes), recording.response.bodyBase64, 'the .bin is the recorded body');
      const frames = assertSameFramesAtEverySplit(bytes);
      const decoded = frames.map((frame) => decodeEventStreamFrame(frame));
      assert.deepEqual(decoded.map((frame) => [frame.messageType, frame.eventType]), [
        ['event', 'messageStart'],
        ['event', 'contentBlockDelta'],
        ['event', 'contentBlockDelta'],
        ['event', 'contentBlockStop'],
        ['event', 'messageStop'],
        ['event', 'metadata'],
      ]);
      const deltas = decoded.slice(1, 3).map((frame) => (JSON.parse(new TextDecoder().decode(frame.body)) as { delta: { text: string } }).delta.text);
      assert.deepEqual(deltas, ['OK', '.']);
    });

    for (const file of ['derived/amazon-bedrock-text.eventstream.bin', 'derived/amazon-bedrock-reasoning.eventstream.bin']) {
      it(`splits ${file} (re-framed real payloads) the same at every offset`, () => {
        const frames = assertSameFramesAtEverySplit(read(`bedrock/${file}`));
        const lines = readFileSync(new URL(`bedrock/${file.replace('derived/', '').replace('.eventstream.bin', '.chunks.txt')}`, fixturesRoot), 'utf8').split('\n').filter((line) => line.trim() !== '');
        assert.equal(frames.length, lines.length, 'one frame per recorded event');
        frames.forEach((frame, index) => {
          const decoded = decodeEventStreamFrame(frame);
          const expected = JSON.parse(lines[index] ?? '{}') as Record<string, unknown>;
          assert.deepEqual([decoded.eventType], Object.keys(expected));
        });
      });
    }

    it('turns the exception frame into an IR error event', () => {
      const bytes = read('bedrock/synthetic/model-stream-error-exception.eventstream.bin');
      const parser = createKiroStreamParser();
      const events = [...parser.push(bytes), ...parser.end()];
      assert.deepEqual(events, [
        { type: 'message-start', id: '', model: '' },
        { type: 'error', status: 502, code: 'ModelStreamErrorException', message: 'Kiro ModelStreamErrorException: Model Stream Error' },
      ]);
    });
  });
}
