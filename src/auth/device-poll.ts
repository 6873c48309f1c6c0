/**
 * The polling loop of an OAuth device authorization (RFC 8628 §3.4–3.5), shared by GitHub's
 * and AWS's flows: wait `interval` seconds, ask, keep waiting on `authorization_pending`,
 * wait five seconds longer after each `slow_down`, stop at the code's expiry. Time and
 * sleep are injected, so tests run the whole loop without waiting.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { GatewayError } from '../errors.ts';

export type Sleep = (milliseconds: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (milliseconds, signal) =>
  delay(milliseconds, undefined, signal === undefined ? undefined : { signal });

/** One poll's verdict. Errors other than these two are thrown by `attempt` itself. */
export type PollAnswer<T> = { state: 'pending' } | { state: 'slow_down' } | { state: 'done'; value: T };

export interface PollOptions<T> {
  /** What is being authorized, for messages: "GitHub", "AWS Builder ID". */
  what: string;
  intervalSeconds: number;
  /** Epoch milliseconds after which the device code is dead. */
  expiresAt?: number;
  now: () => number;
  sleep: Sleep;
  signal?: AbortSignal;
  attempt: () => Promise<PollAnswer<T>>;
}

export const SLOW_DOWN_STEP_SECONDS = 5;
const DEFAULT_INTERVAL_SECONDS = 5;

export async function pollDeviceAuthorization<T>(options: PollOptions<T>): Promise<T> {
  let interval = options.intervalSeconds > 0 ? options.intervalSeconds : DEFAULT_INTERVAL_SECONDS;
  for (;;) {
    if (options.expiresAt !== undefined && options.now() >= options.expiresAt) throw loginExpired(options.what);
    try {
      await options.sleep(interval * 1000, options.signal);
    } catch (error) {
      if (aborted(options.signal)) throw loginCancelled(options.what);
      throw error;
    }
    if (aborted(options.signal)) throw loginCancelled(options.what);
    let answer: PollAnswer<T>;
    try {
      answer = await options.attempt();
    } catch (error) {
      if (aborted(options.signal)) throw loginCancelled(options.what);
      throw error;
    }
    if (answer.state === 'done') return answer.value;
    if (answer.state === 'slow_down') interval += SLOW_DOWN_STEP_SECONDS;
  }
}

export function loginExpired(what: string): GatewayError {
  return new GatewayError(401, 'unauthorized', `the ${what} device code expired before it was authorized; start the login again`, {
    details: { auth_error: 'expired_token' },
  });
}

export function loginDenied(what: string): GatewayError {
  return new GatewayError(403, 'forbidden', `the ${what} authorization was denied`, { details: { auth_error: 'access_denied' } });
}

export function loginCancelled(what: string): GatewayError {
  return new GatewayError(499, 'invalid_request', `the ${what} login was cancelled`, { details: { auth_error: 'cancelled' } });
}

/** A function, so that TypeScript does not narrow `aborted` across awaits. */
function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}
