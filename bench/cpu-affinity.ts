/**
 * Where the benchmark's processes run. On a small machine the kernel's placement decides the
 * figures more than the code does: at one connection, a request that wakes a process on the
 * other core pays a cross-core wakeup (tens of µs in a VM) that a same-core handoff does not,
 * and which one happens changes from run to run. Measured here, unpinned: the direct call's
 * p50 at one connection was 0.03 ms in one run and 0.09 ms in the next. So by default the load
 * generator gets its own core and the servers (fake upstream and target) share the others,
 * the same for every target. `BENCH_PIN=0` turns this off; `BENCH_CPUS_LOAD` and
 * `BENCH_CPUS_SERVERS` (taskset lists, e.g. `0` and `1-3`) choose the cores.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface Affinity {
  /** taskset CPU list for the runner, which is the load generator. */
  loadGenerator: string;
  /** taskset CPU list for the fake upstream and the targets. */
  servers: string;
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The pinning for this run, or undefined when unpinned (opted out, one core, no taskset). */
export function planAffinity(): Affinity | undefined {
  if (process.env.BENCH_PIN === '0') return undefined;
  const cores = availableParallelism();
  if (cores < 2 || !hasTaskset()) return undefined;
  return {
    loadGenerator: process.env.BENCH_CPUS_LOAD ?? '0',
    servers: process.env.BENCH_CPUS_SERVERS ?? (cores === 2 ? '1' : `1-${cores - 1}`),
  };
}

/** Pins every thread of this process (and the threads it starts later) to `cpus`. */
export function pinSelf(cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' });
}
