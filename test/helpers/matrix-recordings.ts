/**
 * Recorded request/response pairs (fixtures/README.md: `*.recording.*.json`, `js-genai.rec.*`,
 * `sdk-typescript.nock.*`) turned into one matrix fixture per recorded response: a 200 JSON
 * body, a 200 stream (an Anthropic SSE body as recorded; a Gemini stream framed from its
 * recorded chunks), or an error body with its recorded status. Responses without a body
 * are left out.
 */
import { readFileSync } from 'node:fs';
import { isRecord } from './matrix-facts.ts';
import type { UpstreamProtocol } from './matrix-facts.ts';
import { makeFixture } from './matrix-harness.ts';
import type { MatrixFixture } from './matrix-harness.ts';
import { parseServerSentEvents } from './sse-framing.ts';

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function jsonFixture(name: string, protocol: UpstreamProtocol, value: unknown, status: number): MatrixFixture {
  const text = JSON.stringify(value);
  return makeFixture(name, protocol, 'json', Buffer.from(text), [text], status);
}

/** anthropic-sdk-python: `[{request, response: {status_code, headers, body}}]`, body a JSON value or the SSE text. */
function pythonRecording(name: string, exchanges: unknown): MatrixFixture[] {
  return list(exchanges).flatMap((exchange, index) => {
    const response = isRecord(exchange) && isRecord(exchange['response']) ? exchange['response'] : {};
    const status = typeof response['status_code'] === 'number' ? response['status_code'] : 200;
    const body = response['body'];
    if (typeof body === 'string') {
      // fixtures/README.md: these raw SSE bodies lack the final blank line.
      const source = /(\r?\n){2}$/.test(body) ? body : body + (body.endsWith('\n') ? '\n' : '\n\n');
      const payloads = parseServerSentEvents(source).map((event) => event.data);
      return [makeFixture(`${name}#${index}`, 'anthropic', 'stream', Buffer.from(source), payloads, status)];
    }
    return body === undefined || body === null ? [] : [jsonFixture(`${name}#${index}`, 'anthropic', body, status)];
  });
}

/** anthropic-sdk-typescript nock: `[{status, response}]`, non-streaming. */
function nockRecording(name: string, exchanges: unknown): MatrixFixture[] {
  return list(exchanges).flatMap((exchange, index) => {
    if (!isRecord(exchange) || !isRecord(exchange['response'])) return [];
    return [jsonFixture(`${name}#${index}`, 'anthropic', exchange['response'], Number(exchange['status'] ?? 200))];
  });
}

/** js-genai: `{interactions: [{request: {url}, response: {statusCode, bodySegments}}]}`. */
function genaiRecording(name: string, recording: unknown): MatrixFixture[] {
  const interactions = isRecord(recording) ? list(recording['interactions']) : [];
  return interactions.flatMap((interaction, index) => {
    if (!isRecord(interaction) || !isRecord(interaction['request']) || !isRecord(interaction['response'])) return [];
    const response = interaction['response'];
    const segments = list(response['bodySegments']);
    const status = typeof response['statusCode'] === 'number' ? response['statusCode'] : 200;
    if (segments.length === 0) return [];
    const streamed = String(interaction['request']['url']).includes(':streamGenerateContent');
    if (!streamed || status >= 400) return [jsonFixture(`${name}#${index}`, 'gemini', segments[0], status)];
    const texts = segments.map((segment) => JSON.stringify(segment));
    return [makeFixture(`${name}#${index}`, 'gemini', 'stream', Buffer.from(texts.map((text) => `data: ${text}\r\n\r\n`).join('')), texts, status)];
  });
}

/** Whether a fixture file is a recording this module expands. */
export function isRecordingFile(file: string): boolean {
  return file.includes('.recording.') || file.startsWith('js-genai.rec.') || file.startsWith('sdk-typescript.nock.');
}

/** One fixture per recorded response of a recording file. */
export function recordingFixtures(file: URL, name: string): MatrixFixture[] {
  const value = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  const base = name.slice(name.lastIndexOf('/') + 1);
  if (base.startsWith('js-genai.rec.')) return genaiRecording(name, value);
  if (base.startsWith('sdk-typescript.nock.')) return nockRecording(name, value);
  return pythonRecording(name, value);
}
