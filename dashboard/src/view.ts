/**
 * What a view is: a titled section of the page, rendered into `<main>` when its tab is
 * chosen, given the API client and a scheduler whose loops stop when the view is left.
 */
import type { ApiClient } from './api.ts';

export interface ViewContext {
  readonly api: ApiClient;
  /** Aborted when the user leaves the view. */
  readonly signal: AbortSignal;
  /** The part of the hash after `?`, for linkable view state (`#/usage?range=day`). */
  readonly params: URLSearchParams;
  /** Rewrites the hash's parameters without re-rendering the view. */
  setParams(params: URLSearchParams): void;
  /**
   * Runs `task` now and again `intervalMs` after each run ends, until the view is left.
   * A run that cannot reach the gateway shows the banner; the next successful one hides it.
   * Returns a function that runs the task again at once.
   */
  every(intervalMs: number, task: () => Promise<void>): () => void;
}

export interface View {
  readonly id: string;
  readonly title: string;
  render(root: HTMLElement, context: ViewContext): void;
}
