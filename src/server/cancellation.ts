/**
 * The client-went-away signal of one request. The fast path only asks "aborted yet?" and
 * hangs one listener on it, which a plain flag and a list do; a real AbortController (an
 * EventTarget: ~0.5 µs per request in the profiles) is made only for what needs one — a
 * module provider's execute(), the image fetcher.
 */

import type { AbortLike } from '../providers/upstream-client.ts';

export class Cancellation implements AbortLike {
  aborted = false;
  private listeners: Array<() => void> | undefined;
  private controller: AbortController | undefined;

  /** An AbortSignal that follows this cancellation, made on first use. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort();
    }
    return this.controller.signal;
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = this.listeners;
    this.listeners = undefined;
    this.controller?.abort();
    if (listeners !== undefined) for (const listener of listeners) listener();
  }

  /** Listeners run once, on abort (`once` is implied). */
  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted) return;
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const listeners = this.listeners;
    if (listeners === undefined) return;
    const at = listeners.indexOf(listener);
    if (at >= 0) listeners.splice(at, 1);
  }
}
