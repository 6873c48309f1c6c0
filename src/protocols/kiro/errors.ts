/**
 * Kiro's errors → GatewayError and IR error events.
 *
 * Kiro fails the AWS way, either as an HTTP error (JSON body `{message, reason?}` or
 * `{__type, message}`, type in the `x-amzn-errortype` header) or, once a 200 stream has
 * begun, as an event-stream frame of `:message-type` `exception` (type in `:exception-type`,
 * JSON payload) or `error` (`:error-code` and `:error-message` headers). Both carry an AWS
 * exception name, which decides the status; the upstream's own HTTP status is the fallback.
 */
import { GatewayError } from '../../errors.ts';
import type { IRStreamEvent } from '../ir.ts';
import { isRecord, parseJsonOrUndefined, stringOrUndefined } from '../shared/json-value-guards.ts';

const STATUS_BY_EXCEPTION: Readonly<Record<string, number>> = {
  ValidationException: 400,
  ContentLengthExceededException: 400,
  UnauthorizedException: 401,
  ExpiredTokenException: 401,
  UnrecognizedClientException: 401,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  ConflictException: 409,
  ThrottlingException: 429,
  ServiceQuotaExceededException: 429,
  InternalServerException: 500,
  ModelStreamErrorException: 502,
  ServiceUnavailableException: 503,
  // Event types some CodeWhisperer streams use for the same failures.
  ValidationError: 400,
  ThrottlingError: 429,
  ServiceUnavailableError: 503,
};

/** `ValidationException:http://internal.amazon.com/…`, `com.amazon…#ThrottlingException`, `throttlingException` → the bare name. */
export function normalizeKiroErrorType(raw: string): string {
  const name = (raw.split('#').at(-1) ?? raw).split(':')[0] ?? raw;
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** The HTTP status an AWS exception name stands for, else `fallback`. */
export function kiroErrorStatus(type: string | undefined, fallback: number): number {
  return (type === undefined ? undefined : STATUS_BY_EXCEPTION[normalizeKiroErrorType(type)]) ?? fallback;
}

export interface KiroErrorReading {
  status: number;
  type: string | undefined;
  message: string;
  reason: string | undefined;
}

/** Reads a Kiro error body (HTTP or exception-frame payload) with the type named outside it, if any. */
export function readKiroError(fallbackStatus: number, headerType: string | undefined, body: Uint8Array | string): KiroErrorReading {
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  const parsed = parseJsonOrUndefined(text);
  const json = isRecord(parsed) ? parsed : {};
  const rawType = headerType ?? stringOrUndefined(json['__type']) ?? stringOrUndefined(json['code']);
  const type = rawType === undefined || rawType === '' ? undefined : normalizeKiroErrorType(rawType);
  const message = stringOrUndefined(json['message']) ?? stringOrUndefined(json['Message']) ?? (text.trim() === '' ? 'Kiro request failed' : text.trim());
  return { status: kiroErrorStatus(type, fallbackStatus), type, message, reason: stringOrUndefined(json['reason']) };
}

/**
 * An HTTP error answer from Kiro → GatewayError.
 *
 * @example
 * kiroHttpError(400, { 'x-amzn-errortype': 'ValidationException:http://…' }, '{"message":"Improperly formed request."}').status; // 400
 */
export function kiroHttpError(status: number, headers: Record<string, string | string[] | undefined>, body: Uint8Array | string): GatewayError {
  const reading = readKiroError(status, headerValue(headers, 'x-amzn-errortype'), body);
  const retryAfter = headerValue(headers, 'retry-after');
  const options: ConstructorParameters<typeof GatewayError>[3] = { retryable: isRetryable(reading), details: details(reading) };
  if (retryAfter !== undefined && reading.status === 429) options.headers = { 'retry-after': retryAfter };
  return new GatewayError(reading.status, 'upstream_error', describe(reading), options);
}

/** An `exception` / `error` frame inside a 200 stream → IR error event. */
export function kiroStreamErrorEvent(type: string | undefined, headerMessage: string | undefined, payload: Uint8Array): Extract<IRStreamEvent, { type: 'error' }> {
  // An in-stream failure of unknown kind is the upstream's fault, hence 502.
  const reading = readKiroError(502, type, payload);
  if (headerMessage !== undefined && headerMessage !== '') reading.message = headerMessage;
  const event: Extract<IRStreamEvent, { type: 'error' }> = { type: 'error', status: reading.status, message: describe(reading) };
  if (reading.type !== undefined) event.code = reading.type;
  return event;
}

/** A frame that failed its checksum or framing → IR error event. */
export function kiroProtocolErrorEvent(message: string): Extract<IRStreamEvent, { type: 'error' }> {
  return { type: 'error', status: 502, code: 'upstream_protocol_error', message: `Kiro stream is corrupt: ${message}` };
}

function describe(reading: KiroErrorReading): string {
  return reading.type === undefined ? `Kiro: ${reading.message}` : `Kiro ${reading.type}: ${reading.message}`;
}

function details(reading: KiroErrorReading): Record<string, unknown> | undefined {
  const found: Record<string, unknown> = {};
  if (reading.type !== undefined) found['upstreamType'] = reading.type;
  if (reading.reason !== undefined) found['reason'] = reading.reason;
  return Object.keys(found).length > 0 ? found : undefined;
}

/**
 * Whether another candidate might succeed. Besides the usual (auth, quota, 5xx), a
 * ValidationException is worth failing over: what Kiro calls improperly formed, another
 * provider may well accept.
 */
function isRetryable(reading: KiroErrorReading): boolean {
  if (reading.type === 'ValidationException') return true;
  const status = reading.status;
  return status === 401 || status === 402 || status === 403 || status === 404 || status === 408 || status === 409 || status === 429 || status >= 500;
}

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}
