/**
 * `npm run bench`: runs every scenario against every target, each target in its own process
 * in front of a fake upstream in its own process, and writes BENCHMARKS.md and
 * bench/results/latest.json. The method, and what the figures can and cannot say, are in
 * bench/README.md.
 *
 * Environment: BENCH_DURATION (s per cell and round, default 5), BENCH_WARMUP (s, default 1),
 * BENCH_ROUNDS (default 3), BENCH_TARGETS and BENCH_SCENARIOS (comma-separated ids, default
 * all), BENCH_PROFILE (comma-separated target ids to run under --cpu-prof, profiles in
 * bench/results/profiles), BENCH_STREAM_CHUNKS (default 100), BENCH_CHUNK_INTERVAL_MS
 * (default 0), BENCH_QUIET_WAIT (longest wait, in s, for other load on the machine to stop
 * before each cell; default 5), BENCH_PIN / BENCH_CPUS_LOAD / BENCH_CPUS_SERVERS (see
 * cpu-affinity.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { combineRounds, compareWithDirect } from './aggregate.ts';
import { killAllChildren, spawnNode, stopAllChildren, waitForReadyLine } from './child-process.ts';
import type { Child } from './child-process.ts';
import { pinSelf, planAffinity } from './cpu-affinity.ts';
import { describeMachine, sourceFingerprint } from './machine.ts';
import { renderLatencySvg, renderThroughputSvg } from './chart.ts';
import { measureLoad } from './measure-load.ts';
import type { RoundOutcome } from './measure-load.ts';
import { measureOpenStreams } from './open-streams.ts';
import type { OpenStreamsOutcome } from './open-streams.ts';
import { readMemory } from './process-stats.ts';
import { renderMarkdown } from './report.ts';
import type { Cell, OpenStreamsCell, RunResults, Section, TargetSummary } from './results.ts';
import { measureRoutingCost } from './routing-cost.ts';
import { buildServer } from '../scripts/build.ts';
import type { RoutingCostRow } from './routing-cost.ts';
import { scenarios as allScenarios } from './scenarios.ts';
import type { Environment, LoadScenario, OpenStreamsScenario, Scenario } from './scenarios.ts';
import { measureStateDrivers } from './state-drivers.ts';
import type { StateDriversResult } from './state-drivers.ts';
import { targets as allTargets } from './targets.ts';
import type { RunningTarget, Target } from './targets.ts';

const repoRoot = resolve(import.meta.dirname, '..');
const resultsDir = join(repoRoot, 'bench/results');
const logDir = join(resultsDir, 'logs');
const profileDir = join(resultsDir, 'profiles');

function numberFromEnv(name: string, fallback: number, minimum: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < minimum) throw new Error(`${name} must be a number ≥ ${minimum}, got ${JSON.stringify(raw)}`);
  return value;
}

function listFromEnv(name: string): Set<string> | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  return new Set(raw.split(',').map((item) => item.trim()).filter((item) => item !== ''));
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const durationSeconds = numberFromEnv('BENCH_DURATION', 5, 1);
const warmupSeconds = numberFromEnv('BENCH_WARMUP', 1, 0);
const rounds = Math.floor(numberFromEnv('BENCH_ROUNDS', 3, 1));
const quietWaitSeconds = numberFromEnv('BENCH_QUIET_WAIT', 5, 0);
const targetFilter = listFromEnv('BENCH_TARGETS');
const scenarioFilter = listFromEnv('BENCH_SCENARIOS');
const profiled = listFromEnv('BENCH_PROFILE') ?? new Set<string>();
const affinity = planAffinity();
const targets = allTargets.filter((target) => targetFilter === undefined || targetFilter.has(target.id));
const scenarios = allScenarios.filter((scenario) => scenarioFilter === undefined || scenarioFilter.has(scenario.id));
// Measurements beside the scenario × target table, selected by id in BENCH_SCENARIOS too.
const runRouting = scenarioFilter === undefined || scenarioFilter.has('routing-cost');
const runStateDrivers = scenarioFilter === undefined || scenarioFilter.has('state-drivers');
const chartDir = join(repoRoot, 'docs/bench');

const abort = new AbortController();
let interrupts = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupts++;
    if (interrupts > 1) {
      killAllChildren();
      process.exit(130);
    }
    console.error(`\n${signal}: stopping the run and its processes…`);
    abort.abort(new Error(`interrupted by ${signal}`));
  });
}
process.on('exit', killAllChildren);

interface Upstream {
  child: Child;
  origin: string;
}

async function startUpstream(environment: Environment, index: number): Promise<Upstream> {
  const child = spawnNode('fake-upstream', {
    args: [
      join(repoRoot, 'bench/fake-upstream.ts'),
      ...['--port', '0', '--chunks', String(environment.upstream.chunks), '--chunk-interval-ms', String(environment.upstream.chunkIntervalMs)],
      ...['--format', environment.upstream.format],
    ],
    logPath: join(logDir, `fake-upstream-${index}.log`),
    readyLine: true,
    cpus: affinity?.servers,
  });
  try {
    const port = await waitForReadyLine(child);
    return { child, origin: `http://127.0.0.1:${port}` };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

async function runRound(scenario: LoadScenario, target: RunningTarget, upstream: Upstream): Promise<RoundOutcome> {
  const settings = { durationSeconds, warmupSeconds, upstreamPid: upstream.child.pid, quietWaitMs: quietWaitSeconds * 1000, signal: abort.signal };
  return measureLoad(scenario, target, settings);
}

function describeOpenStreams(outcome: OpenStreamsOutcome): string {
  if (!outcome.ok) return `FAILED ${outcome.error.slice(0, 300)}`;
  const result = outcome.measurement;
  const mib = (bytes: number | undefined): string => (bytes === undefined ? '—' : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);
  return (
    `${result.completed}/${result.streams} streams (peak ${result.peakOpen} open) in ${(result.wallMs / 1000).toFixed(1)} s, ` +
    `RSS ${mib(result.rssBeforeBytes)} → peak ${mib(result.peakRssBytes)}, health p50 ${result.loadedHealthMs.p50.toFixed(2)} ms ` +
    `(idle ${result.idleHealthMs.p50.toFixed(2)}), p99 ${result.loadedHealthMs.p99.toFixed(2)} ms, max ${result.loadedHealthMs.max.toFixed(2)} ms` +
    `${result.failed > 0 ? `, ${result.failed} failed: ${result.firstError ?? ''}` : ''}`
  );
}

/** The open-streams scenarios of one environment: one run per target (memory, not rate). */
async function runOpenStreams(group: OpenStreamsScenario[], started: Started[], upstream: Upstream): Promise<OpenStreamsCell[]> {
  const cells: OpenStreamsCell[] = [];
  for (const scenario of group) {
    for (const { target, running } of started) {
      if (abort.signal.aborted) break;
      const reason = target.skip?.(scenario);
      if (reason !== undefined) {
        cells.push({ scenario: scenario.id, target: target.id, status: 'skipped', reason });
        continue;
      }
      running.markLog?.();
      let outcome = await measureOpenStreams(scenario, running, abort.signal);
      const death = running.death() ?? upstream.child.death();
      if (death !== undefined) outcome = { ok: false, error: `${death}${outcome.ok ? '' : ` (${outcome.error})`}` };
      else if (!outcome.ok) {
        const hint = running.logHint?.();
        if (hint !== undefined) outcome = { ok: false, error: `${outcome.error}; its log: ${hint}` };
      }
      console.log(`${scenario.id.padEnd(12)} ${target.id.padEnd(10)} ${describeOpenStreams(outcome)}`);
      cells.push(outcome.ok ? { scenario: scenario.id, target: target.id, status: 'ok', measurement: outcome.measurement } : { scenario: scenario.id, target: target.id, status: 'failed', error: outcome.error });
      // Let the sockets of 1,000 streams close before the next target.
      await sleep(1_000);
    }
  }
  return cells;
}

function describeRound(outcome: RoundOutcome): string {
  if (!outcome.ok) return `FAILED ${outcome.error.slice(0, 300)}`;
  const result = outcome.measurement;
  const cpu = result.cpuMicrosecondsPerRequest === undefined ? '' : `, ${result.cpuMicrosecondsPerRequest.toFixed(1)} µs CPU/req`;
  const errors = result.non2xx + result.errors > 0 ? `, ${result.non2xx} non-2xx, ${result.errors} errors` : '';
  return (
    `${Math.round(result.requestsPerSecond)} req/s, p50 ${result.latencyMs.p50.toFixed(3)} ms, p99 ${result.latencyMs.p99.toFixed(3)} ms` +
    `${cpu}, other CPU ${result.otherCpuCores.toFixed(2)} cores${result.quietBeforeStart ? '' : ' (busy at start)'}${errors}`
  );
}

interface Started {
  target: Target;
  running: RunningTarget;
}

async function startTargets(group: Scenario[], upstream: Upstream, summaries: Map<string, TargetSummary>, cells: Cell[], openCells: OpenStreamsCell[]): Promise<Started[]> {
  const started: Started[] = [];
  for (const target of targets) {
    if (abort.signal.aborted) break;
    const begin = performance.now();
    try {
      const running = await target.start({
        upstreamOrigin: upstream.origin,
        upstreamPid: upstream.child.pid,
        environment: group[0].environment,
        repoRoot,
        logPath: join(logDir, `${target.id}.log`),
        nodeFlags: profiled.has(target.id) ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
        cpus: affinity?.servers,
      });
      const readyMs = performance.now() - begin;
      started.push({ target, running });
      if (!summaries.has(target.id)) {
        // Let a freshly started process settle (JIT, first GC) before reading its idle RSS.
        await sleep(500);
        summaries.set(target.id, {
          id: target.id,
          label: target.label,
          idleRssBytes: running.pid === undefined ? undefined : readMemory(running.pid).rssBytes,
          startupMs: running.ownProcess ? readyMs : undefined,
          error: undefined,
        });
      }
    } catch (error) {
      const reason = message(error);
      console.error(`${target.id}: did not start: ${reason}`);
      summaries.set(target.id, { id: target.id, label: target.label, idleRssBytes: undefined, startupMs: undefined, error: reason });
      for (const scenario of group) {
        if (scenario.kind === 'load') cells.push({ scenario: scenario.id, target: target.id, status: 'failed', error: `did not start: ${reason}` });
        else openCells.push({ scenario: scenario.id, target: target.id, status: 'failed', error: `did not start: ${reason}` });
      }
    }
  }
  return started;
}

/** One cell per scenario and started target, from its rounds' outcomes. */
function cellsFrom(group: LoadScenario[], started: Started[], outcomes: Map<string, RoundOutcome[]>): Cell[] {
  const cells: Cell[] = [];
  for (const scenario of group) {
    for (const { target } of started) {
      const reason = target.skip?.(scenario);
      if (reason !== undefined) {
        cells.push({ scenario: scenario.id, target: target.id, status: 'skipped', reason });
        continue;
      }
      const list = outcomes.get(`${scenario.id} ${target.id}`) ?? [];
      const measured = list.flatMap((outcome) => (outcome.ok ? [outcome.measurement] : []));
      const errors = list.flatMap((outcome) => (outcome.ok ? [] : [outcome.error]));
      if (measured.length === 0) {
        cells.push({ scenario: scenario.id, target: target.id, status: 'failed', error: errors[0] ?? 'not measured' });
        continue;
      }
      const measurement = combineRounds(measured);
      const notes: string[] = [];
      if (errors.length > 0) notes.push(`failed in ${errors.length} of ${list.length} rounds: ${errors[0]}`);
      if (measurement.non2xx > 0) notes.push(`${measurement.non2xx} non-2xx (${JSON.stringify(measurement.statusCodes)})`);
      if (measurement.errors > 0) notes.push(`${measurement.errors} connection errors (${measurement.timeouts} timeouts)`);
      if (measurement.otherCpuCores > 0.2) notes.push(`machine busy: ${measurement.otherCpuCores.toFixed(2)} cores of other CPU`);
      cells.push({ scenario: scenario.id, target: target.id, status: 'ok', measurement, notes });
    }
  }
  return cells;
}

async function main(): Promise<void> {
  mkdirSync(logDir, { recursive: true });
  if (profiled.size > 0) mkdirSync(profileDir, { recursive: true });
  // cliproxy runs as users run it (`npm start`, the bin): the bundle, rebuilt from this tree.
  await buildServer();
  const machine = describeMachine(repoRoot);
  if (affinity !== undefined) pinSelf(affinity.loadGenerator);
  const pinning = affinity === undefined ? 'unpinned' : `load generator on CPU ${affinity.loadGenerator}, servers on CPU ${affinity.servers}`;
  console.log(
    `bench: ${targets.length} targets × ${scenarios.length} scenarios × ${rounds} round(s), ${warmupSeconds} s warm-up + ` +
      `${durationSeconds} s per cell, ${machine.cores} cores (${pinning}), Node ${machine.node}`,
  );

  const cells: Cell[] = [];
  const openCells: OpenStreamsCell[] = [];
  const summaries = new Map<string, TargetSummary>();
  const probeBodies = new Map<string, string>();
  let peakRssPerCell = true;
  const environments = new Map<string, Scenario[]>();
  for (const scenario of scenarios) {
    const key = JSON.stringify(scenario.environment);
    environments.set(key, [...(environments.get(key) ?? []), scenario]);
  }

  let environmentIndex = 0;
  for (const group of environments.values()) {
    if (abort.signal.aborted) break;
    const upstream = await startUpstream(group[0].environment, environmentIndex++);
    const started = await startTargets(group, upstream, summaries, cells, openCells);
    const loadGroup = group.filter((scenario): scenario is LoadScenario => scenario.kind === 'load');
    const openGroup = group.filter((scenario): scenario is OpenStreamsScenario => scenario.kind === 'open-streams');
    try {
      const outcomes = new Map<string, RoundOutcome[]>();
      // Rounds outermost and targets innermost: each target's measurements of a scenario sit
      // side by side in time, so drift and bursts of other load touch all of them alike.
      for (let round = 1; round <= rounds && !abort.signal.aborted; round++) {
        for (const scenario of loadGroup) {
          for (const { target, running } of started) {
            if (abort.signal.aborted || target.skip?.(scenario) !== undefined) continue;
            let outcome: RoundOutcome;
            running.markLog?.();
            try {
              outcome = await runRound(scenario, running, upstream);
            } catch (error) {
              if (abort.signal.aborted) break;
              outcome = { ok: false, error: message(error) };
            }
            const death = running.death() ?? upstream.child.death();
            if (death !== undefined && !outcome.ok) outcome = { ok: false, error: `${death} (${outcome.error})` };
            else if (!outcome.ok) {
              const hint = running.logHint?.();
              if (hint !== undefined && !outcome.error.includes(hint)) outcome = { ok: false, error: `${outcome.error}; its log: ${hint}` };
            }
            const key = `${scenario.id} ${target.id}`;
            outcomes.set(key, [...(outcomes.get(key) ?? []), outcome]);
            if (outcome.ok) {
              probeBodies.set(key, outcome.probeBody);
              peakRssPerCell &&= outcome.peakRssPerCell;
            }
            const prefix = rounds > 1 ? `[${round}/${rounds}] ` : '';
            console.log(`${prefix}${scenario.id.padEnd(12)} ${target.id.padEnd(10)} ${describeRound(outcome)}`);
            await sleep(200);
          }
        }
      }
      cells.push(...cellsFrom(loadGroup, started, outcomes));
      openCells.push(...(await runOpenStreams(openGroup, started, upstream)));
    } finally {
      for (const { running } of started) await running.stop();
      await upstream.child.stop();
    }
  }
  if (abort.signal.aborted) throw abort.signal.reason;

  let routingCost: Section<RoutingCostRow[]> | undefined;
  if (runRouting) {
    console.log('routing-cost: Router.select() with 1, 100 and 10,000 credentials…');
    try {
      routingCost = { ok: true, value: await measureRoutingCost([1, 100, 10_000]) };
      for (const row of routingCost.value) console.log(`routing-cost ${row.strategy.padEnd(16)} ${String(row.credentials).padStart(6)} credentials: ${row.meanMicroseconds} µs/select`);
    } catch (error) {
      routingCost = { ok: false, error: message(error) };
      console.error(`routing-cost: ${message(error)}`);
    }
  }
  let stateDrivers: Section<StateDriversResult> | undefined;
  if (runStateDrivers && !abort.signal.aborted) {
    console.log('state-drivers: cliproxy with the local and the redis driver…');
    try {
      const value = await measureStateDrivers({ durationSeconds, warmupSeconds, rounds, connections: 10, logDir, signal: abort.signal });
      stateDrivers = { ok: true, value };
      for (const row of value.rows) console.log(`state-drivers ${row.driver.padEnd(6)} ${row.requestsPerSecond} req/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms`);
    } catch (error) {
      if (abort.signal.aborted) throw abort.signal.reason;
      stateDrivers = { ok: false, error: message(error) };
      console.error(`state-drivers: ${message(error)}`);
    }
  }

  compareWithDirect(cells, probeBodies);
  const endSource = sourceFingerprint(repoRoot);
  const results: RunResults = {
    generatedAt: new Date().toISOString(),
    machine,
    settings: { durationSeconds, warmupSeconds, rounds, quietWaitSeconds, peakRssPerCell, affinity },
    subject: 'cliproxy',
    baselines: ['relay', 'portkey'],
    targets: targets.map(
      (target) => summaries.get(target.id) ?? { id: target.id, label: target.label, idleRssBytes: undefined, startupMs: undefined, error: undefined },
    ),
    scenarios: scenarios.map((scenario) => ({
      id: scenario.id,
      label: scenario.label,
      kind: scenario.kind,
      connections: scenario.connections,
      chunksPerResponse: scenario.kind === 'load' ? scenario.chunksPerResponse : scenario.chunks,
      translated: scenario.kind === 'load' && scenario.translated === true,
      goals: scenario.goals,
    })),
    cells,
    openStreams: openCells,
    ...(endSource !== machine.commit && endSource !== undefined ? { sourceChangedTo: endSource } : {}),
    routingCost,
    stateDrivers,
  };
  writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  const markdown = renderMarkdown(results);
  writeFileSync(join(repoRoot, 'BENCHMARKS.md'), markdown);
  mkdirSync(chartDir, { recursive: true });
  writeFileSync(join(chartDir, 'throughput.svg'), renderThroughputSvg(results));
  writeFileSync(join(chartDir, 'latency.svg'), renderLatencySvg(results));
  console.log('\nwrote BENCHMARKS.md, docs/bench/throughput.svg, docs/bench/latency.svg and bench/results/latest.json\n');
  console.log(markdown.slice(markdown.indexOf('## Issue targets'), markdown.indexOf('## Results')).trim());
}

try {
  await main();
} catch (error) {
  console.error(`bench: ${abort.signal.aborted ? message(error) : error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = abort.signal.aborted ? 130 : 1;
} finally {
  await stopAllChildren();
}
// Idle keep-alive sockets (the probe's, the readiness poll's) would hold the process open
// for seconds after the work is done.
process.exit();
