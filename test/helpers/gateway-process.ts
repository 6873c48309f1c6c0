/**
 * A gateway as its own process (`node src/cli.ts serve --config FILE`), the way a deployment
 * runs several instances: the config is written to a file in a temporary folder (JSON is
 * YAML), the URL is read from the `"msg":"listening"` log line, and every stdout line is
 * kept so a test can look for what the gateway logged. Every process started here is
 * stopped by `stop()`, and killed at the latest when the test process exits.
 *
 * @example
 *   const gateway = await startGatewayProcess({ port: 0, log_level: 'info', data_dir: dir, providers });
 *   await fetch(`${gateway.url}/health`);
 *   await gateway.waitForLog((line) => line.msg === 'state driver degraded');
 *   await gateway.stop();
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { scratchDir } from './scratch-dir.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** One parsed JSON log line (pino). */
export type LogLine = Record<string, unknown>;

export interface GatewayProcess {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly pid: number;
  /** The config file it was started with. */
  readonly configPath: string;
  /** Every stdout line that parsed as JSON, in order. */
  readonly logs: LogLine[];
  /** Everything written to stderr (for failure messages). */
  stderr(): string;
  /** Resolves with the first line (already logged or still to come) matching `match`. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. Safe twice. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface GatewayProcessOptions {
  /** How long to wait for the listening line; default 20 s. */
  startTimeoutMs?: number;
  /** Extra environment (PATH and a private HOME are always set, nothing else is inherited). */
  env?: Record<string, string>;
  /** The script that runs the CLI; default `src/cli.ts` (the bundle test passes its `cli.js`). */
  entry?: string;
}

/** Starts `cliproxy serve` with `config` (raw, YAML schema); set `log_level: info` or lower. */
export async function startGatewayProcess(config: Record<string, unknown>, options: GatewayProcessOptions = {}): Promise<GatewayProcess> {
  const home = await scratchDir('cliproxy-process-');
  const configPath = join(home, 'cliproxy.yaml');
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  const child = spawn(process.execPath, [options.entry ?? 'src/cli.ts', 'serve', '--config', configPath], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: home, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const exited = once(child, 'exit').then(() => {
    live.delete(child);
  });
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  let pending = '';
  let errors = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const text = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      try {
        logs.push(JSON.parse(text) as LogLine);
      } catch {
        // not a log line
      }
      newline = pending.indexOf('\n');
    }
    for (const waiter of waiters) waiter();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk.toString('utf8');
  });

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 5_000): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };

  const waitForLog = (match: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> => {
    const found = logs.find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolvePromise, reject) => {
      const check = (): void => {
        const line = logs.find(match);
        if (line === undefined) return;
        finish();
        resolvePromise(line);
      };
      const onExit = (): void => {
        finish();
        reject(new Error(`gateway ${child.pid} exited before logging what was awaited; stderr: ${errors.slice(-2000)}`));
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`gateway ${child.pid}: the awaited log line did not come within ${timeoutMs} ms; last lines: ${logs.slice(-5).map((line) => JSON.stringify(line)).join('\n')}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
        child.off('exit', onExit);
      };
      waiters.add(check);
      child.once('exit', onExit);
    });
  };

  let url: string;
  try {
    const listening = await waitForLog((line) => line.msg === 'listening' && typeof line.url === 'string', options.startTimeoutMs ?? 20_000);
    url = String(listening.url);
  } catch (error) {
    await stop(0);
    throw error;
  }
  return {
    url,
    pid: child.pid ?? 0,
    configPath,
    logs,
    stderr: () => errors,
    waitForLog,
    stop,
  };
}
