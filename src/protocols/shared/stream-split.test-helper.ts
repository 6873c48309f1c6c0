/**
 * For stream-parser tests: parse a text whole, and assert that splitting its bytes at every
 * offset gives the same events. Shared by every format's tests (not run on its own).
 */
import assert from 'node:assert/strict';
import type { StreamParser } from '../adapter.ts';
import type { IRStreamEvent } from '../ir.ts';

const encoder = new TextEncoder();

export function parseWhole(create: () => StreamParser, text: string): IRStreamEvent[] {
  const parser = create();
  return [...parser.push(encoder.encode(text)), ...parser.end()];
}

export function assertSameAtEverySplit(create: () => StreamParser, text: string): void {
  const bytes = encoder.encode(text);
  const whole = parseWhole(create, text);
  for (let at = 0; at <= bytes.length; at += 1) {
    const parser = create();
    const events = [...parser.push(bytes.subarray(0, at)), ...parser.push(bytes.subarray(at)), ...parser.end()];
    assert.deepEqual(events, whole, `split at ${at}`);
  }
}
