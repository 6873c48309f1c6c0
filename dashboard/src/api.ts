/**
 * The management API client. Every call carries the management key of this tab (when one
 * is needed) in `x-management-key` — never in a URL — and every failure becomes an
 * `ApiError` with a stable `code`: `gateway_unreachable` when nothing answered, otherwise
 * the gateway's own code (`unauthorized`, `forbidden`, `provider_not_found`, …).
 */
import type { Credentials } from './session.ts';

export class ApiError extends Error {
  /** HTTP status; 0 when the gateway could not be reached. */
  readonly status: number;
  readonly code: string;
  /** The rest of the gateway's error object (`param`, `suggestions`, …). */
  readonly details: Record<string, unknown>;

  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** A wrong or missing management key. */
  get isAuth(): boolean {
    return this.status === 401 || this.status === 403;
  }

  get isUnreachable(): boolean {
    return this.code === 'gateway_unreachable';
  }
}

export interface ApiClient {
  get<T>(path: string): Promise<T>;
  send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T>;
}

const TIMEOUT_MS = 15_000;

/** What the gateway said, as one readable sentence. */
async function errorOf(response: Response): Promise<ApiError> {
  let code = response.status === 401 ? 'unauthorized' : response.status === 403 ? 'forbidden' : `http_${response.status}`;
  let message = response.statusText || `HTTP ${response.status}`;
  let details: Record<string, unknown> = {};
  try {
    const body = (await response.json()) as { error?: Record<string, unknown> };
    if (typeof body.error === 'object' && body.error !== null) details = body.error;
    if (typeof details.message === 'string') message = details.message;
    if (typeof details.code === 'string') code = details.code;
  } catch {
    // Not JSON (a proxy's error page): keep the status text.
  }
  return new ApiError(response.status, code, message, details);
}

/**
 * @example
 *   const api = createApi({ management: 'the-key' });
 *   const providers = await api.get<List<ProviderSummary>>('/v1/providers');
 */
export function createApi(credentials: Credentials, onAuthFailure?: (error: ApiError) => void): ApiClient {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (credentials.management !== undefined) headers['x-management-key'] = credentials.management;
    if (credentials.client !== undefined) headers.authorization = `Bearer ${credentials.client}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch {
      throw new ApiError(0, 'gateway_unreachable', 'The gateway cannot be reached. Is it running?');
    }
    if (!response.ok) {
      const error = await errorOf(response);
      if (error.isAuth) onAuthFailure?.(error);
      throw error;
    }
    return (await response.json()) as T;
  }
  return {
    get: (path) => call('GET', path),
    send: (method, path, body) => call(method, path, body),
  };
}

/** A readable sentence for any failure. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return `The management key is missing or wrong (${error.message}).`;
    if (error.status === 403) return `The management key was refused (${error.message}).`;
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
