/**
 * Small JSON-over-HTTP calls for the login and token endpoints, on the gateway's upstream
 * client. Auth endpoints answer small bodies, so a response is read whole and parsed once.
 * Errors built here name the endpoint and the provider's error code, never a token.
 */
import type { UpstreamClient } from '../providers/upstream-client.ts';
import { GatewayError } from '../errors.ts';

export interface AuthHttpOptions {
  client: UpstreamClient;
  /** Time allowed for the whole exchange. Default 30 s. */
  timeoutMs?: number;
}

export interface AuthRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  /** Sent as `application/x-www-form-urlencoded`. */
  form?: Record<string, string>;
  /** Sent as `application/json`. */
  json?: unknown;
  signal?: AbortSignal;
}

export interface AuthResponse {
  status: number;
  /** The parsed JSON body, or undefined when the body was not JSON. */
  body: unknown;
}

export async function sendAuthRequest(options: AuthHttpOptions, request: AuthRequest): Promise<AuthResponse> {
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'cliproxy', ...request.headers };
  let body: string | undefined;
  if (request.form !== undefined) {
    body = new URLSearchParams(request.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else if (request.json !== undefined) {
    body = JSON.stringify(request.json);
    headers['content-type'] = 'application/json';
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  const url = new URL(request.url);
  const response = await options.client.send({
    url,
    method: request.method,
    headers,
    ...(body === undefined ? {} : { body }),
    ...(request.signal === undefined ? {} : { signal: request.signal }),
    firstByteTimeoutMs: timeoutMs,
    idleTimeoutMs: timeoutMs,
  });
  const raw = await response.readAll();
  let parsed: unknown;
  try {
    parsed = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed };
}

/** A plain object view of a JSON body (empty when it was something else). */
export function fieldsOf(body: unknown): Record<string, unknown> {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

export function stringField(body: unknown, key: string): string | undefined {
  const value = fieldsOf(body)[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function numberField(body: unknown, key: string): number | undefined {
  const value = fieldsOf(body)[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** An answer that is not what the endpoint promises: a 502 naming what was missing. */
export function malformedAnswer(what: string, missing: string): GatewayError {
  return new GatewayError(502, 'upstream_protocol_error', `${what} answered without ${missing}`);
}

/**
 * An HTTP failure of an auth endpoint, with the provider's own error code and description
 * but no body. 400/401/403 become 401 `unauthorized` (the credential was refused, status
 * below 500); everything else 502 `upstream_error` (try again later).
 */
export function endpointFailure(what: string, response: AuthResponse): GatewayError {
  const code = stringField(response.body, 'error') ?? stringField(response.body, '__type');
  const description = stringField(response.body, 'error_description') ?? stringField(response.body, 'message');
  const detail = [code, description].filter((part) => part !== undefined).join(': ');
  const message = `${what} failed (HTTP ${response.status}${detail === '' ? '' : `, ${detail}`})`;
  // Only these say the credentials themselves were refused; anything else (404 from a wrong
  // URL, 429, 5xx) is the endpoint's trouble and must not condemn a credential.
  if (response.status === 400 || response.status === 401 || response.status === 403) {
    return new GatewayError(401, 'unauthorized', message, { retryable: true, details: { upstream_status: response.status } });
  }
  return new GatewayError(502, 'upstream_error', message, { details: { upstream_status: response.status } });
}
