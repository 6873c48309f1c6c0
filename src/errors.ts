/**
 * The one error type of the gateway. Thrown anywhere (config, routing, providers, server),
 * rendered in exactly one place per client wire format (`src/server/render-error.ts`).
 * `code` is stable and machine-readable: tests and callers match on it, never on `message`.
 */

export type GatewayErrorCode =
  | 'invalid_request'
  | 'invalid_json'
  | 'missing_model'
  | 'model_not_found'
  | 'provider_not_found'
  | 'body_too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'unsupported_translation'
  | 'no_credentials'
  | 'provider_disabled'
  | 'rate_limited'
  | 'all_candidates_cooling'
  | 'upstream_error'
  | 'upstream_unreachable'
  | 'upstream_timeout'
  | 'upstream_protocol_error'
  | 'internal_error';

export interface GatewayErrorOptions {
  cause?: unknown;
  /** Extra response headers (for example `retry-after`). */
  headers?: Record<string, string>;
  /** The offending request field, when there is one (OpenAI's `param`). */
  param?: string;
  /** Whether another candidate might succeed where this one failed. */
  retryable?: boolean;
  /** Structured details rendered beside the message (never secrets). */
  details?: Record<string, unknown>;
}

export class GatewayError extends Error {
  readonly status: number;
  readonly code: GatewayErrorCode;
  readonly headers: Record<string, string>;
  readonly param: string | undefined;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(status: number, code: GatewayErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.status = status;
    this.code = code;
    this.headers = options.headers ?? {};
    this.param = options.param;
    this.retryable = options.retryable ?? status >= 500;
    this.details = options.details;
  }
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}

/** Wraps anything thrown into a GatewayError without losing it as the cause. */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  return new GatewayError(500, 'internal_error', 'internal error', { cause: error });
}
