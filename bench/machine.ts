/**
 * The machine and versions a run happened on, for the head of BENCHMARKS.md: figures from
 * different machines are not comparable, so every report says where it came from.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, release, totalmem } from 'node:os';
import { join } from 'node:path';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  kernel: string;
  node: string;
  versions: Record<string, string>;
  /** Short commit of the working tree, when there is one. */
  commit: string | undefined;
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return match?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function packageVersion(path: string): string {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function commit(repoRoot: string): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/**
 * What code the targets run: HEAD plus a hash of the uncommitted changes under src/ (read-only
 * git). Taken at the start and the end of a run: other work on the repository during a run
 * (targets are started once per environment, minutes apart) would mix two versions.
 */
export function sourceFingerprint(repoRoot: string): string | undefined {
  const head = commit(repoRoot);
  if (head === undefined) return undefined;
  try {
    const diff = execFileSync('git', ['diff', 'HEAD', '--', 'src'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 });
    return diff === '' ? head : `${head}+${createHash('sha1').update(diff).digest('hex').slice(0, 8)} (uncommitted changes in src/)`;
  } catch {
    return head;
  }
}

export function describeMachine(repoRoot: string): Machine {
  return {
    cpuModel: cpuModel(),
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    kernel: `Linux ${release()}`,
    node: process.version,
    versions: {
      cliproxy: packageVersion(join(repoRoot, 'package.json')),
      autocannon: packageVersion(join(repoRoot, 'node_modules/autocannon/package.json')),
      undici: packageVersion(join(repoRoot, 'node_modules/undici/package.json')),
      '@portkey-ai/gateway': packageVersion(join(repoRoot, 'node_modules/@portkey-ai/gateway/package.json')),
    },
    commit: sourceFingerprint(repoRoot),
  };
}
