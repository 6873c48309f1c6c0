/**
 * How long an upstream asks us to wait: `retry-after-ms`, `retry-after` (seconds or an
 * HTTP date), Gemini's `RetryInfo.retryDelay`, OpenAI's `x-ratelimit-reset-*` durations, and
 * the phrases providers put in error text ("Please try again in 1m30s").
 */
import type { IncomingHttpHeaders } from 'node:http';

const UNIT_MS: Record<string, number> = {
  ms: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hour: 3_600_000, hours: 3_600_000,
};

/** "1m30s", "6m0s", "37s", "0.5s", "250ms", "2 minutes", "1.5 seconds" → milliseconds. */
export function parseDurationText(text: string): number | undefined {
  const pattern = /(\d+(?:\.\d+)?)\s*(ms|milliseconds?|hours?|hr|h|minutes?|mins?|m|seconds?|secs?|sec|s)(?![a-z])/gi;
  let total = 0;
  let matched = false;
  for (const match of text.matchAll(pattern)) {
    const unit = UNIT_MS[(match[2] as string).toLowerCase()];
    if (unit === undefined) continue;
    total += Number(match[1]) * unit;
    matched = true;
  }
  return matched ? Math.round(total) : undefined;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const PHRASES = [
  /(?:try|retry)\s+again\s+in\s+([0-9][0-9.]*\s*[a-z]+(?:\s*[0-9][0-9.]*\s*[a-z]+)*)/i,
  /retry\s+(?:after|in)\s+([0-9][0-9.]*\s*[a-z]+(?:\s*[0-9][0-9.]*\s*[a-z]+)*)/i,
  /reset(?:s)?\s+(?:after|in)\s+([0-9][0-9.]*\s*[a-z]+(?:\s*[0-9][0-9.]*\s*[a-z]+)*)/i,
];

/** Milliseconds the upstream asked for, or undefined when it gave no hint. */
export function retryHintMs(headers: IncomingHttpHeaders, body: string, now: number): number | undefined {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const after = header(headers, 'retry-after');
  if (after !== undefined) {
    if (/^\s*\d+(\.\d+)?\s*$/.test(after)) return Math.max(0, Number(after) * 1000);
    const date = Date.parse(after);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  const fromBody = retryDelayFromBody(body);
  if (fromBody !== undefined) return fromBody;
  for (const phrase of PHRASES) {
    const match = phrase.exec(body);
    if (match !== null) {
      const parsed = parseDurationText(match[1] as string);
      if (parsed !== undefined) return parsed;
    }
  }
  const resets = ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens']
    .map((name) => header(headers, name))
    .filter((value): value is string => value !== undefined)
    .map((value) => parseDurationText(value))
    .filter((value): value is number => value !== undefined);
  return resets.length > 0 ? Math.max(...resets) : undefined;
}

/** Gemini: `error.details[]` with `@type` …RetryInfo and `retryDelay: "37s"`. */
function retryDelayFromBody(body: string): number | undefined {
  if (!body.includes('retryDelay')) return undefined;
  try {
    const parsed = JSON.parse(body) as { error?: { details?: Array<{ '@type'?: string; retryDelay?: string }> } } | Array<{ error?: { details?: Array<{ retryDelay?: string }> } }>;
    const error = Array.isArray(parsed) ? parsed[0]?.error : parsed.error;
    for (const detail of error?.details ?? []) {
      if (typeof detail.retryDelay === 'string') return parseDurationText(detail.retryDelay);
    }
  } catch {
    const match = /"retryDelay"\s*:\s*"([^"]+)"/.exec(body);
    if (match !== null) return parseDurationText(match[1] as string);
  }
  return undefined;
}
