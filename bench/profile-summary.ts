/**
 * Summarises a `--cpu-prof` profile (from `BENCH_PROFILE=<target> npm run bench`) as text:
 * busy time by file and by function (self), and the inclusive time of the repository's own
 * functions, each as a share of the process's busy (non-idle) time.
 *
 *   node bench/profile-summary.ts bench/results/profiles/CPU.*.cpuprofile [--top 30]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' } } });
const top = Number(values.top);
const root = new URL('..', import.meta.url).href;

function where(frame: CallFrame): string {
  return frame.url === '' ? '(native)' : frame.url.replace(root, '');
}

function fileOf(frame: CallFrame): string {
  const file = where(frame);
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  return dependency === null ? file : `npm:${dependency[1]}`;
}

function functionOf(frame: CallFrame): string {
  return `${frame.functionName === '' ? '(anonymous)' : frame.functionName} ${where(frame)}:${frame.lineNumber + 1}`;
}

function add(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

function summarize(path: string): void {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

  const selfTime = new Map<number, number>();
  profile.samples.forEach((id, index) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));

  let total = 0;
  let idle = 0;
  const byFile = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, time] of selfTime) {
    const node = nodes.get(id);
    if (node === undefined) continue;
    total += time;
    if (node.callFrame.functionName === '(idle)') {
      idle += time;
      continue;
    }
    add(byFile, fileOf(node.callFrame), time);
    add(byFunction, functionOf(node.callFrame), time);
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parents.get(current)) {
      const frame = nodes.get(current)?.callFrame;
      if (frame === undefined) break;
      const key = functionOf(frame);
      if (frame.url.startsWith(root) && !frame.url.includes('/node_modules/') && !seen.has(key)) {
        seen.add(key);
        add(inclusive, key, time);
      }
    }
  }

  const busy = total - idle;
  const share = (time: number): string => `${((100 * time) / busy).toFixed(1).padStart(5)}%`;
  const list = (title: string, map: Map<string, number>): void => {
    console.log(`\n${title}`);
    for (const [key, time] of [...map].sort((left, right) => right[1] - left[1]).slice(0, top)) console.log(`${share(time)}  ${key}`);
  };
  console.log(`${path}\nbusy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s profiled (shares below are of busy time)`);
  list('self time by file', byFile);
  list('self time by function', byFunction);
  list("inclusive time of the repository's functions", inclusive);
}

if (positionals.length === 0) {
  console.error('usage: node bench/profile-summary.ts PROFILE.cpuprofile… [--top N]');
  process.exitCode = 2;
}
for (const path of positionals) summarize(path);
