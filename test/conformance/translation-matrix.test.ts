/**
 * The translation matrix (issue 3): every stream and JSON body recorded in
 * `../shared/fixtures/{anthropic,gemini,openai-chat,openai-responses}`, and in the
 * OpenAI-compatible `deepseek`, `groq` and `mistral` folders (other projects' data, read in
 * place, never copied) is served by a loopback fake upstream of its own
 * protocol and read through every inbound format — OpenAI Chat, Responses, Anthropic,
 * Gemini SSE and Gemini JSON-array streaming, and the four non-streaming forms. Each cell
 * checks text, thinking, tool calls, finish reason, usage (in the client format's own
 * convention) and errors against facts computed from the fixture itself; a same-format cell
 * also gets the upstream's bytes untouched, and a translated stream must be well formed,
 * free of other providers' signatures, and read alike by the vendor's SDK.
 *
 * Recordings (request/response pairs) give one fixture per recorded response.
 *
 * A Responses fixture is read by Responses clients only: the gateway sends every other
 * client format to OpenAI's chat endpoint (only Copilot's /responses-only models, from its
 * live catalogue, are translated to a Responses upstream), so no other cell can reach it.
 *
 * Then: streams cut at every byte boundary (or at 200 spread boundaries, for larger ones)
 * by the fake upstream give the client exactly the bytes of the uncut run; and an upstream
 * connection reset in the middle of a stream reaches every client as an in-stream error.
 *
 * Registers no tests at all when the fixtures folder is absent (it is not part of the repo).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { it } from 'node:test';
import type { UpstreamProtocol } from '../helpers/matrix-facts.ts';
import { loadFixture } from '../helpers/matrix-harness.ts';
import type { MatrixFixture } from '../helpers/matrix-harness.ts';
import { isRecordingFile, recordingFixtures } from '../helpers/matrix-recordings.ts';
import { registerMatrix } from '../helpers/matrix-suite.ts';
import type { SplitCase } from '../helpers/matrix-suite.ts';

const fixturesRoot = new URL('../../../shared/fixtures/', import.meta.url);

const FOLDERS: ReadonlyArray<[string, UpstreamProtocol]> = [
  ['anthropic', 'anthropic'],
  ['gemini', 'gemini'],
  ['openai-chat', 'openai-chat'],
  ['openai-responses', 'openai-responses'],
  // OpenAI-compatible providers with their own quirks (whole tool calls, thinking parts, reasoning fields).
  ['deepseek', 'openai-chat'],
  ['groq', 'openai-chat'],
  ['mistral', 'openai-chat'],
];

/** HTTP status of each error body, as manifest.json describes it ("HTTP 429 error body …"). */
function errorStatuses(): Map<string, number> {
  const statuses = new Map<string, number>();
  const manifest = JSON.parse(readFileSync(new URL('manifest.json', fixturesRoot), 'utf8')) as unknown;
  for (const entry of Array.isArray(manifest) ? manifest : []) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { vendor, file, desc } = entry as { vendor?: unknown; file?: unknown; desc?: unknown };
    const match = typeof desc === 'string' ? /^HTTP (\d{3})\b/.exec(desc) : null;
    if (typeof vendor === 'string' && typeof file === 'string' && match !== null) statuses.set(`${vendor}/${file}`, Number(match[1]));
  }
  return statuses;
}

function loadAll(): MatrixFixture[] {
  const statuses = errorStatuses();
  const fixtures: MatrixFixture[] = [];
  for (const [folder, protocol] of FOLDERS) {
    for (const file of readdirSync(new URL(`${folder}/`, fixturesRoot)).sort()) {
      const name = `${folder}/${file}`;
      if (isRecordingFile(file)) {
        // Each recorded response on its own: a body, a stream, or an error with its status.
        fixtures.push(...recordingFixtures(new URL(`${folder}/${file}`, fixturesRoot), name));
        continue;
      }
      if (!file.endsWith('.sse') && !file.endsWith('.chunks.txt') && !file.endsWith('.json')) continue;
      fixtures.push(loadFixture(new URL(`${folder}/${file}`, fixturesRoot), name, protocol, {
        ...(statuses.has(name) ? { status: statuses.get(name) } : {}),
        // fixtures/README.md: anthropic-sdk-python's raw SSE lacks the final blank line.
        completeLastEvent: file.startsWith('sdk-python.'),
      }));
    }
  }
  return fixtures;
}

// Every boundary for three small streams (one per chat-like vendor, through a translating reader), 200 spread cuts for the rest.
const SPLITS: readonly SplitCase[] = [
  { name: 'anthropic/anthropic-text.chunks.txt', clients: ['chat-stream'], maximum: Infinity },
  { name: 'anthropic/anthropic-text.chunks.txt', clients: ['gemini-sse'], maximum: 200 },
  { name: 'anthropic/anthropic-json-tool.2.chunks.txt', clients: ['responses-stream'], maximum: 200 },
  { name: 'anthropic/anthropic-clear-thinking.1.chunks.txt', clients: ['gemini-array'], maximum: 200 },
  { name: 'gemini/google-tool-call.chunks.txt', clients: ['anthropic-stream'], maximum: Infinity },
  { name: 'gemini/google-tool-call.chunks.txt', clients: ['chat-stream'], maximum: 200 },
  { name: 'gemini/firebase.googleai.streaming-success-thinking-reply-thought-summary.sse', clients: ['responses-stream'], maximum: 200 },
  { name: 'gemini/firebase.vertexai.streaming-failure-error-mid-stream.sse', clients: ['anthropic-stream'], maximum: 200 },
  { name: 'openai-chat/openai-python.chat-stream-max-tokens-length.sse', clients: ['gemini-sse'], maximum: Infinity },
  { name: 'openai-chat/openai-python.chat-stream-tool-call-nonstrict.sse', clients: ['responses-stream'], maximum: 200 },
  { name: 'openai-chat/azure-model-router.1.chunks.txt', clients: ['gemini-array', 'anthropic-stream'], maximum: 200 },
  { name: 'openai-responses/azure-tool-call.1.chunks.txt', clients: ['responses-stream'], maximum: 200 },
];

// The connection reset half-way through one real stream per upstream protocol.
const RESETS: readonly string[] = [
  'anthropic/anthropic-json-tool.2.chunks.txt',
  'gemini/firebase.googleai.streaming-success-basic-reply-long.sse',
  'openai-chat/openai-python.chat-stream-parallel-tool-calls.sse',
  'openai-responses/azure-text.1.chunks.txt',
];

if (existsSync(fixturesRoot)) {
  const fixtures = loadAll();
  registerMatrix('translation matrix over ../shared/fixtures', fixtures, SPLITS, RESETS, () => {
    it('found every vendor folder, both kinds of fixture in each, and a status for every error body', () => {
      for (const [folder] of FOLDERS) {
        assert.ok(fixtures.some((fixture) => fixture.name.startsWith(`${folder}/`) && fixture.kind === 'stream'), `${folder}: a stream`);
        assert.ok(fixtures.some((fixture) => fixture.name.startsWith(`${folder}/`) && fixture.kind === 'json'), `${folder}: a JSON body`);
      }
      for (const fixture of fixtures) {
        if (fixture.kind === 'json') assert.equal(fixture.status >= 400, fixture.errorMessage !== undefined, `${fixture.name}: status ${fixture.status}`);
      }
    });
  });
}
