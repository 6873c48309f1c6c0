/**
 * What the benchmark reads about a target's process from Linux's /proc: CPU time (user +
 * system, all threads) and resident memory, current and peak. Reading /proc costs the load
 * generator nothing during a measurement: it is read before and after.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

let clockTicks: number | undefined;

/** Kernel clock ticks per second, the unit of utime and stime in /proc/<pid>/stat. */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU seconds the process has used so far (utime + stime over all its threads). */
export function readCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is parenthesised and may itself hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line; the slice starts at field 3.
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond();
}

export interface MemoryReading {
  /** Resident set size now, in bytes. */
  rssBytes: number;
  /** Peak resident set size (VmHWM) since start or since the last `resetPeakRss`, in bytes. */
  peakRssBytes: number;
}

export function readMemory(pid: number): MemoryReading {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kibibytes = (key: string): number => {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
    return match === null ? Number.NaN : Number(match[1]) * 1024;
  };
  return { rssBytes: kibibytes('VmRSS'), peakRssBytes: kibibytes('VmHWM') };
}

/**
 * Resets the peak RSS to the current RSS (Linux >= 4.0: `5` to clear_refs), so each cell
 * reports its own peak. Returns false where the kernel refuses; the peak is then the
 * process's peak since start, and the report says so.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU seconds the whole machine has been busy (every core; user, nice, system, irq, softirq,
 * steal), from the first line of /proc/stat. Busy time not accounted to the benchmark's own
 * processes is someone else's work, or the kernel's loopback networking.
 */
export function readMachineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + (steal ?? 0)) / clockTicksPerSecond();
}

/**
 * Waits until the machine has been quiet (under `threshold` cores busy) for one `window`, or
 * until `maxMs` has passed. Between cells the benchmark's own processes are idle, so what is
 * busy then is someone else. Returns how long it waited and whether it found quiet.
 */
export async function waitForQuiet(maxMs: number, threshold = 0.15, windowMs = 500): Promise<{ waitedMs: number; quiet: boolean }> {
  const started = Date.now();
  for (;;) {
    const before = readMachineBusySeconds();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const cores = (readMachineBusySeconds() - before) / (windowMs / 1000);
    const waitedMs = Date.now() - started;
    if (cores < threshold) return { waitedMs, quiet: true };
    if (waitedMs >= maxMs) return { waitedMs, quiet: false };
  }
}
