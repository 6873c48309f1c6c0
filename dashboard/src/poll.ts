/**
 * A refresh loop: runs a task now and again a while after each run ends (never two runs at
 * once; a wake-up during a run schedules one more right after it), until its signal aborts.
 */

export interface PollOptions {
  signal: AbortSignal;
  intervalMs: number;
  task: () => Promise<void>;
  /** After each run: `undefined` when it succeeded, else what it threw. */
  settled: (error: unknown) => void;
}

/**
 * @example
 *   const refresh = poll({ signal, intervalMs: 5000, task: load, settled: showBanner });
 *   button.onclick = refresh; // run again now
 */
export function poll(options: PollOptions): () => void {
  const { signal, intervalMs, task, settled } = options;
  let timer: number | undefined;
  let running = false;
  let again = false;
  const run = async (): Promise<void> => {
    if (signal.aborted) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    window.clearTimeout(timer);
    let failure: unknown;
    try {
      await task();
    } catch (error) {
      failure = error ?? new Error('failed');
    }
    running = false;
    if (signal.aborted) return;
    settled(failure);
    timer = window.setTimeout(() => void run(), again ? 0 : intervalMs);
  };
  signal.addEventListener('abort', () => window.clearTimeout(timer));
  void run();
  return () => void run();
}
