/**
 * Registers the translation matrix for a set of fixtures: one test per (fixture × client
 * cell) against one shared gateway, byte-boundary split tests for chosen streams, and
 * upstream connection resets in the middle of chosen streams. Used by the suite over
 * `../shared/fixtures` and by the always-on suite over our own fixtures.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NON_STREAMING_CELLS, STREAMING_CELLS, observe } from './matrix-clients.ts';
import type { ClientCell } from './matrix-clients.ts';
import { assertCell } from './matrix-assertions.ts';
import {
  cellsFor, isFastPath, normalizeVolatile, resetScript, runCell, runCellAbortable, runConcurrently, scriptFor, splitScript, startMatrixGateway, upstreamBodyFor,
} from './matrix-harness.ts';
import type { MatrixFixture, MatrixGateway } from './matrix-harness.ts';
import { assertSdkAgrees } from './matrix-sdk.ts';
import { assertStreamShape } from './matrix-stream-shape.ts';
import { parseServerSentEvents } from './sse-framing.ts';

export interface SplitCase {
  /** A fixture name (`vendor/file`). */
  readonly name: string;
  /** Streaming client cells (`chat-stream`, `gemini-array`, …) that read it. */
  readonly clients: readonly string[];
  /** How many cuts at most: every boundary when the stream is shorter, else this many spread evenly. */
  readonly maximum: number;
}

/** The cells a fixture is read through: a JSON body by non-streaming clients (an error body by all). */
export function cellsOf(fixture: MatrixFixture): ClientCell[] {
  if (fixture.kind === 'stream') return cellsFor(fixture, STREAMING_CELLS);
  return cellsFor(fixture, fixture.status >= 400 ? [...NON_STREAMING_CELLS, ...STREAMING_CELLS] : NON_STREAMING_CELLS);
}

/** Cut positions: every boundary (1 … length-1), or `maximum` of them spread evenly. */
export function cutsFor(length: number, maximum: number): number[] {
  if (length - 1 <= maximum) return Array.from({ length: length - 1 }, (_, index) => index + 1);
  return Array.from({ length: maximum }, (_, index) => 1 + Math.round((index * (length - 2)) / (maximum - 1)));
}

/**
 * Registers every cell and split of `fixtures` under `title`, with one gateway for them all;
 * and for the streams named in `resets`, the upstream connection reset mid-stream.
 */
export function registerMatrix(title: string, fixtures: readonly MatrixFixture[], splits: readonly SplitCase[], resets: readonly string[], extra?: () => void): void {
  let gateway: MatrixGateway;
  describe(title, () => {
    before(async () => {
      gateway = await startMatrixGateway();
    });
    after(async () => {
      await gateway.close();
    });

    extra?.();

    for (const fixture of fixtures) {
      describe(fixture.name, () => {
        for (const cell of cellsOf(fixture)) {
          it(`→ ${cell.name} client`, async () => {
            const result = await runCell(gateway, fixture.protocol, cell, scriptFor(fixture, cell));
            assertCell(fixture, cell, result, upstreamBodyFor(fixture, cell));
            // A translated stream must also be what the vendor's own SDK accepts and reads alike.
            if (result.status === 200 && !isFastPath(fixture.protocol, cell)) await assertSdkAgrees(cell, result.body, observe(cell, result.body));
          });
        }
      });
    }

    describe('an upstream connection reset mid-stream reaches the client as an error, never a silent end', () => {
      for (const name of resets) {
        const fixture = fixtures.find((candidate) => candidate.name === name);
        for (const cell of fixture === undefined ? STREAMING_CELLS : cellsFor(fixture, STREAMING_CELLS)) {
          it(`${name} → ${cell.name} client`, async () => {
            assert.ok(fixture !== undefined && fixture.kind === 'stream', `stream fixture ${name} exists`);
            const result = await runCellAbortable(gateway, fixture.protocol, cell, resetScript(upstreamBodyFor(fixture, cell)));
            assert.equal(result.status, 200, 'the stream had started');
            if (result.body === undefined) {
              // Cutting the connection is a failure every client notices: acceptable where the format has no error event.
              assert.ok(cell.geminiArray, 'only a JSON-array stream, which has no in-stream error event of its own, may be cut off');
              return;
            }
            const text = result.body.toString('utf8');
            for (const event of cell.geminiArray ? [{ data: text }] : parseServerSentEvents(text)) {
              if (event.data === '[DONE]') continue;
              assert.doesNotThrow(() => JSON.parse(event.data), `every event still parses: the error event must not be glued to the half-sent one (${JSON.stringify(event.data.slice(-160))})`);
            }
            const observed = observe(cell, result.body);
            assert.ok(observed.error !== undefined, `an in-stream error event ends the stream: ${text.slice(-300)}`);
            if (!isFastPath(fixture.protocol, cell)) assertStreamShape(cell, result.body.toString('utf8'));
          });
        }
      }
    });

    describe('a stream cut at byte boundaries gives the client the same bytes', () => {
      for (const split of splits) {
        const fixture = fixtures.find((candidate) => candidate.name === split.name);
        for (const client of split.clients) {
          it(`${split.name} → ${client} client`, async () => {
            assert.ok(fixture !== undefined, `fixture ${split.name} exists`);
            const cell = STREAMING_CELLS.find((candidate) => candidate.name === client);
            assert.ok(cell !== undefined, `client cell ${client} exists`);
            const body = upstreamBodyFor(fixture, cell);
            const whole = await runCell(gateway, fixture.protocol, cell, splitScript(body, 0));
            assertCell(fixture, cell, whole, body);
            const reference = normalizeVolatile(whole.body);
            const scripts = cutsFor(body.length, split.maximum).map((cut) => splitScript(body, cut));
            // Which request meets which cut does not matter: every answer must equal the uncut one.
            const results = await runConcurrently(gateway, fixture.protocol, cell, scripts, 8);
            for (const result of results) {
              assert.equal(result.status, whole.status, 'status');
              // Compared in full only on a difference: thousands of passing deepEquals cost more than the requests.
              if (normalizeVolatile(result.body) !== reference) assert.equal(normalizeVolatile(result.body), reference, `client bytes with the upstream stream cut in two (${body.length} bytes)`);
            }
          });
        }
      }
    });
  });
}
