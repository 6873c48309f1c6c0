/**
 * Client-side tools for gateway tests: a `fetch` that keeps a copy of every response body
 * it hands to the SDK (so a test sees the exact bytes the SDK parsed), and a plain raw-bytes
 * request for checks beside the SDK's.
 */

/** One response the recording fetch passed on. */
export interface CapturedExchange {
  readonly url: string;
  readonly method: string;
  readonly requestHeaders: Headers;
  /** The request body as sent, when it was a string or bytes. */
  readonly requestBody: string | undefined;
  readonly status: number;
  readonly headers: Headers;
  /** Every body byte the caller could read; settles when the body ends or fails. */
  readonly body: Promise<Buffer>;
}

export interface RecordingFetch {
  readonly fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  readonly exchanges: CapturedExchange[];
}

/**
 * A `fetch` for `new OpenAI({ fetch })` that tees every response body: the SDK reads one
 * branch, the test reads the other.
 */
export function recordingFetch(): RecordingFetch {
  const exchanges: CapturedExchange[] = [];
  const wrapped = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const response = await fetch(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const requestBody = typeof init?.body === 'string' ? init.body : init?.body instanceof Uint8Array ? Buffer.from(init.body).toString('utf8') : undefined;
    const base = {
      url,
      method: init?.method ?? 'GET',
      requestHeaders: new Headers(init?.headers),
      requestBody,
      status: response.status,
      headers: response.headers,
    };
    if (response.body === null) {
      exchanges.push({ ...base, body: Promise.resolve(Buffer.alloc(0)) });
      return response;
    }
    const [forCaller, forRecord] = response.body.tee();
    const body = new Response(forRecord).arrayBuffer().then((buffer) => Buffer.from(buffer));
    body.catch(() => {}); // an aborted stream rejects; a test that awaits it sees that
    exchanges.push({ ...base, body });
    return new Response(forCaller, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return { fetch: wrapped, exchanges };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  readonly json: unknown;
}

/** A request with `fetch`, the whole body read as bytes. Times out instead of hanging. */
export async function rawRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array; timeoutMs?: number } = {},
): Promise<RawResponse> {
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: init.headers ?? {},
    ...(init.body === undefined ? {} : { body: init.body }),
    signal: AbortSignal.timeout(init.timeoutMs ?? 10_000),
  });
  const body = Buffer.from(await response.arrayBuffer());
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, body, json };
}

/** The OpenAI-shaped error object of a response body, or a failure naming what came back. */
export function openAIErrorOf(response: RawResponse): { message: string; type: string; param: unknown; code: unknown } {
  const json = response.json;
  if (typeof json === 'object' && json !== null && 'error' in json) {
    const error = json.error;
    if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string' && 'type' in error && typeof error.type === 'string') {
      return {
        message: error.message,
        type: error.type,
        param: 'param' in error ? error.param : undefined,
        code: 'code' in error ? error.code : undefined,
      };
    }
  }
  throw new Error(`not an OpenAI error body (status ${response.status}): ${response.body.toString('utf8').slice(0, 500)}`);
}
