/**
 * Starting and stopping the benchmark's child processes (fake upstream, relay, cliproxy),
 * each alone in its process so none shares an event loop with the load generator. Every
 * child is remembered until it exits, and `killAllChildren` is wired to the runner's exit,
 * errors and SIGINT, so no run leaves a process behind. A child's stdout and stderr go to a
 * log file rather than through the load generator, which would otherwise pay to read them.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReadyMessage } from './child-entry.ts';

export interface Child {
  name: string;
  pid: number;
  logPath: string;
  process: ChildProcess;
  /** Resolves with the exit code (or signal) once the child has exited. */
  exited: Promise<string>;
  /** If it has exited: how, and the gist of its log; otherwise undefined. */
  death(): string | undefined;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** The gist of its log for an error message: the last error line, or the last line. */
  logGist(): string;
}

const live = new Set<Child>();

export interface SpawnOptions {
  args: string[];
  logPath: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Pipe stdout to the runner (for the ready line) instead of the log file. */
  readyLine?: boolean;
  /** taskset CPU list to run on; taskset execs Node, so the pid is Node's. */
  cpus?: string;
}

/** Starts `node <args>` with the runner's own Node binary (the pinned Node 24). */
export function spawnNode(name: string, options: SpawnOptions): Child {
  const log = openSync(options.logPath, 'w');
  const [command, args] =
    options.cpus === undefined ? [process.execPath, options.args] : ['taskset', ['-c', options.cpus, process.execPath, ...options.args]];
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['pipe', options.readyLine === true ? 'pipe' : log, log],
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`));
    child.once('error', (error) => resolve(error.message));
  });
  let outcome: string | undefined;
  void exited.then((how) => (outcome = how));
  const handle: Child = {
    name,
    pid: child.pid,
    logPath: options.logPath,
    process: child,
    exited,
    death() {
      return outcome === undefined ? undefined : `${name} exited (${outcome}): ${handle.logGist()}`;
    },
    async stop(graceMs = 3000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const outcome = await Promise.race([exited, sleep(graceMs, 'timeout')]);
        if (outcome === 'timeout') {
          child.kill('SIGKILL');
          await exited;
        }
      }
      live.delete(handle);
    },
    logGist() {
      let lines: string[];
      try {
        lines = readFileSync(options.logPath, 'utf8').split('\n').map((line) => line.trim()).filter((line) => line !== '');
      } catch {
        return `(no log at ${options.logPath})`;
      }
      const errorLine = lines.findLast((line) => /^(\w*Error\b|error\b|\{.*"level":\s*(50|60))/i.test(line));
      const gist = errorLine ?? lines.at(-1) ?? '(empty log)';
      return `${gist.slice(0, 400)} (log: ${relative(process.cwd(), options.logPath)})`;
    },
  };
  live.add(handle);
  void exited.then(() => live.delete(handle));
  return handle;
}

/** Waits for the `{"event":"ready","port":N}` line a bench child prints, and returns N. */
export function waitForReadyLine(child: Child, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const stdout = child.process.stdout;
    if (stdout === null) {
      reject(new Error(`${child.name}: stdout is not piped`));
      return;
    }
    let buffered = '';
    const timer = setTimeout(() => fail(new Error(`${child.name} not ready after ${timeoutMs} ms`)), timeoutMs);
    const onData = (data: Buffer): void => {
      buffered += data.toString('utf8');
      const newline = buffered.indexOf('\n');
      if (newline === -1) return;
      try {
        const message = JSON.parse(buffered.slice(0, newline)) as ReadyMessage;
        clearTimeout(timer);
        stdout.off('data', onData);
        // Keep draining, so a chatty child never blocks on a full pipe.
        stdout.resume();
        resolve(message.port);
      } catch (error) {
        fail(error instanceof Error ? error : new Error(String(error)));
      }
    };
    const fail = (error: Error): void => {
      clearTimeout(timer);
      stdout.off('data', onData);
      reject(error);
    };
    stdout.on('data', onData);
    void child.exited.then((outcome) => fail(new Error(`${child.name} exited (${outcome}) before it was ready: ${child.logGist()}`)));
  });
}

/**
 * Polls `urls` in order until one answers 200 (the first that answers anything but 404 is
 * kept), or fails when the child exits or `timeoutMs` passes.
 */
export async function waitForHttp(child: Child, urls: string[], timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let exit: string | undefined;
  void child.exited.then((outcome) => (exit = outcome));
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (exit !== undefined) throw new Error(`${child.name} exited (${exit}) before it was ready: ${child.logGist()}`);
    for (const url of urls) {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
        await response.arrayBuffer();
        if (response.status === 200) return url;
        last = `${url} answered ${response.status}`;
        if (response.status !== 404) break;
      } catch (error) {
        last = `${url}: ${error instanceof Error ? error.message : String(error)}`;
        break;
      }
    }
    await sleep(100);
  }
  throw new Error(`${child.name} not ready after ${timeoutMs} ms (${last}): ${child.logGist()}`);
}

/** Synchronous last resort for `process.on('exit')`: SIGKILL whatever is still running. */
export function killAllChildren(): void {
  for (const child of live) child.process.kill('SIGKILL');
  live.clear();
}

/** Graceful: SIGTERM every live child and wait for them. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map((child) => child.stop()));
}
