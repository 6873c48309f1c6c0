/**
 * Renders a run's results as BENCHMARKS.md: the machine, the table, the ratios of the
 * subject (cliproxy) to its baselines, and whether the issues' goals hold. Pure: results in,
 * Markdown out. Run on its own, it rebuilds BENCHMARKS.md from bench/results/latest.json:
 *
 *   node bench/report.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { renderLatencySvg, renderThroughputSvg } from './chart.ts';
import type { Cell, Measurement, OpenStreamsCell, RunResults, ScenarioSummary } from './results.ts';

const mebibyte = 1024 * 1024;
const megabyte = 1e6;
/** Issue 7: at most 80 MB RSS idle (MB as 10^6 bytes, the stricter reading). */
const maxIdleRssBytes = 80e6;

function cell(results: RunResults, scenario: string, target: string): Cell | undefined {
  return results.cells.find((entry) => entry.scenario === scenario && entry.target === target);
}

function measurement(results: RunResults, scenario: string, target: string): Measurement | undefined {
  const found = cell(results, scenario, target);
  return found?.status === 'ok' ? found.measurement : undefined;
}

function label(results: RunResults, target: string): string {
  return results.targets.find((entry) => entry.id === target)?.label ?? target;
}

const integer = (value: number): string => Math.round(value).toLocaleString('en-US');
const ms = (value: number | undefined): string => (value === undefined || Number.isNaN(value) ? '—' : value.toFixed(2));
const signedMs = (value: number | undefined): string =>
  value === undefined || Number.isNaN(value) ? '—' : `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)}`;
const mib = (bytes: number | undefined): string => (bytes === undefined || Number.isNaN(bytes) ? '—' : (bytes / mebibyte).toFixed(1));
const ratio = (value: number): string => `${value.toFixed(2)}×`;
/** A ratio checked against a goal: three decimals, so 0.896 does not read as a pass at 0.90. */
const goalRatio = (value: number): string => `${value.toFixed(3)}×`;

/** Markdown table cells cannot hold pipes or newlines; errors can be long. */
function escapeCell(text: string, limit = 240): string {
  const flat = text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
  return flat.length > limit ? `${flat.slice(0, limit - 1)}…` : flat;
}

export interface GoalCheck {
  scenario: string;
  description: string;
  /** Undefined when the figure is missing (a target failed). */
  pass: boolean | undefined;
}

/** Chunks per second of a streaming cell: completed answers per second × upstream chunks per answer. */
export function chunkRate(results: RunResults, scenario: ScenarioSummary, target: string): number | undefined {
  const found = measurement(results, scenario.id, target);
  return found === undefined || scenario.chunksPerResponse === undefined ? undefined : found.requestsPerSecond * scenario.chunksPerResponse;
}

/** The open-streams cell of a target, when measured. */
function openStreamsCell(results: RunResults, scenario: string, target: string): OpenStreamsCell | undefined {
  return results.openStreams.find((entry) => entry.scenario === scenario && entry.target === target);
}

/** Checks each scenario's goals for the subject. */
export function checkGoals(results: RunResults): GoalCheck[] {
  const checks: GoalCheck[] = [];
  const subjectSummary = results.targets.find((target) => target.id === results.subject);
  if (subjectSummary !== undefined) {
    const idle = subjectSummary.idleRssBytes;
    checks.push({
      scenario: 'idle',
      description: `RSS ${idle === undefined ? 'not measured' : `${(idle / megabyte).toFixed(1)} MB (${mib(idle)} MiB)`} (goal ≤ ${maxIdleRssBytes / megabyte} MB)`,
      pass: idle === undefined ? undefined : idle <= maxIdleRssBytes,
    });
  }
  for (const scenario of results.scenarios) {
    const { minThroughputRatioToPortkey, minChunkRateRatio, maxPeakRssBytes } = scenario.goals;
    if (minThroughputRatioToPortkey !== undefined) {
      const subject = measurement(results, scenario.id, results.subject);
      const portkey = measurement(results, scenario.id, 'portkey');
      const value = subject !== undefined && portkey !== undefined ? subject.requestsPerSecond / portkey.requestsPerSecond : undefined;
      checks.push({
        scenario: scenario.label,
        description: `throughput ${value === undefined ? 'not measured' : goalRatio(value)} Portkey's (goal ≥ ${ratio(minThroughputRatioToPortkey)})`,
        pass: value === undefined ? undefined : value >= minThroughputRatioToPortkey,
      });
    }
    if (minChunkRateRatio !== undefined) {
      const reference = results.scenarios.find((other) => other.id === minChunkRateRatio.scenario);
      const own = chunkRate(results, scenario, results.subject);
      const base = reference === undefined ? undefined : chunkRate(results, reference, results.subject);
      const value = own !== undefined && base !== undefined ? own / base : undefined;
      checks.push({
        scenario: scenario.label,
        description:
          `${own === undefined ? 'chunk rate not measured' : `${integer(own)} chunks/s`}, ${value === undefined ? '—' : goalRatio(value)} the fast path's ` +
          `(${reference?.label ?? minChunkRateRatio.scenario}${base === undefined ? '' : `: ${integer(base)} chunks/s`}; goal ≥ ${ratio(minChunkRateRatio.ratio)})`,
        pass: value === undefined ? undefined : value >= minChunkRateRatio.ratio,
      });
    }
    if (maxPeakRssBytes !== undefined) {
      const found = openStreamsCell(results, scenario.id, results.subject);
      const peak = found?.status === 'ok' ? found.measurement.peakRssBytes : undefined;
      const whole = found?.status === 'ok' && found.measurement.completed === found.measurement.streams;
      const open = found?.status === 'ok' ? found.measurement.peakOpen : undefined;
      checks.push({
        scenario: scenario.label,
        description:
          `peak RSS ${peak === undefined ? 'not measured' : `${(peak / megabyte).toFixed(1)} MB (${mib(peak)} MiB)`} (goal ≤ ${maxPeakRssBytes / megabyte} MB)` +
          (found?.status === 'ok' && !whole ? `; only ${found.measurement.completed} of ${found.measurement.streams} streams completed` : '') +
          (found?.status === 'ok' && open !== undefined && open < found.measurement.streams ? `; at most ${open} of ${found.measurement.streams} streams were open at once, so the peak is for ${open}` : ''),
        pass: peak === undefined ? undefined : peak <= maxPeakRssBytes && whole,
      });
    }
  }
  for (const scenario of results.scenarios) {
    const subject = measurement(results, scenario.id, results.subject);
    const { minThroughputRatioToRelay, maxAddedP50Ms } = scenario.goals;
    if (minThroughputRatioToRelay !== undefined) {
      const relay = measurement(results, scenario.id, 'relay');
      const value = subject !== undefined && relay !== undefined ? subject.requestsPerSecond / relay.requestsPerSecond : undefined;
      checks.push({
        scenario: scenario.label,
        description: `throughput ${value === undefined ? 'not measured' : goalRatio(value)} of the relay's (goal ≥ ${ratio(minThroughputRatioToRelay)})`,
        pass: value === undefined ? undefined : value >= minThroughputRatioToRelay,
      });
    }
    if (maxAddedP50Ms !== undefined) {
      const value = subject?.addedLatencyMs?.p50;
      checks.push({
        scenario: scenario.label,
        description: `added p50 ${value === undefined ? 'not measured' : `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(3)} ms`} (goal ≤ ${maxAddedP50Ms.toFixed(2)} ms; within 0.03 ms is a draw, see bench/README.md)`,
        pass: value === undefined ? undefined : value <= maxAddedP50Ms,
      });
    }
  }
  return checks;
}

function verdict(checks: GoalCheck[]): string {
  const missed = checks.filter((check) => check.pass === false);
  const unknown = checks.filter((check) => check.pass === undefined);
  if (checks.length === 0) return 'no goals were checked in this run.';
  if (missed.length === 0 && unknown.length === 0) return `**the targets hold** (${checks.length} of ${checks.length} checks).`;
  const parts: string[] = [];
  if (missed.length > 0) parts.push(`**missed** ${missed.length} of ${checks.length} checks`);
  if (unknown.length > 0) parts.push(`${unknown.length} not measured`);
  return `${parts.join('; ')}.`;
}

/** A warning when other work on the machine overlapped the measured windows, or undefined. */
export function busyWarning(results: RunResults, threshold = 0.2): string | undefined {
  const windows = results.cells.flatMap((entry) => (entry.status === 'ok' ? entry.measurement.rounds : []));
  const busy = windows.filter((round) => round.otherCpuCores > threshold);
  if (busy.length === 0) return undefined;
  const worst = Math.max(...busy.map((round) => round.otherCpuCores));
  return (
    `Warning: other processes used more than ${threshold} cores during ${busy.length} of ${windows.length} measured windows ` +
    `(up to ${worst.toFixed(2)} cores of ${results.machine.cores}). Throughput and tail latency from this run are unreliable; ` +
    'CPU per request is less affected. Re-run on a quiet machine.'
  );
}

function tableRows(results: RunResults): string[] {
  const rows = [
    '| Scenario | Target | req/s | p50 ms | p99 ms | p99.9 ms | added p50 ms | added p99 ms | CPU µs/req | peak RSS MiB | Notes |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|',
  ];
  for (const scenario of results.scenarios) {
    for (const target of results.targets) {
      const found = cell(results, scenario.id, target.id);
      const head = `| ${scenario.label} | ${target.label} |`;
      if (found === undefined) continue;
      if (found.status === 'failed') {
        const error = target.error !== undefined && found.error.startsWith('did not start') ? 'did not start (see Targets below)' : found.error;
        rows.push(`${head} — | — | — | — | — | — | — | — | error: ${escapeCell(error)} |`);
        continue;
      }
      if (found.status === 'skipped') {
        rows.push(`${head} — | — | — | — | — | — | — | — | n/a: ${escapeCell(found.reason)} |`);
        continue;
      }
      const result = found.measurement;
      const cpu = result.cpuMicrosecondsPerRequest === undefined ? '—' : result.cpuMicrosecondsPerRequest.toFixed(1);
      rows.push(
        `${head} ${integer(result.requestsPerSecond)} | ${ms(result.latencyMs.p50)} | ${ms(result.latencyMs.p99)} | ${ms(result.latencyMs.p99_9)} | ` +
          `${signedMs(result.addedLatencyMs?.p50)} | ${signedMs(result.addedLatencyMs?.p99)} | ${cpu} | ${mib(result.peakRssBytes)} | ${escapeCell(found.notes.join('; '))} |`,
      );
    }
  }
  return rows;
}

function ratioRows(results: RunResults): string[] {
  const rows: string[] = [];
  const subject = label(results, results.subject);
  for (const baseline of results.baselines) {
    const other = label(results, baseline);
    rows.push(
      `| Scenario | req/s, ${subject} / ${other} | CPU per request, ${subject} / ${other} | added p50 ms, ${subject} | added p50 ms, ${other} |`,
      '|---|--:|--:|--:|--:|',
    );
    for (const scenario of results.scenarios) {
      if (scenario.kind !== 'load') continue;
      const mine = measurement(results, scenario.id, results.subject);
      const theirs = measurement(results, scenario.id, baseline);
      // A scenario the baseline cannot run (the relay does not translate) has no ratio to show.
      if (cell(results, scenario.id, baseline)?.status === 'skipped' || (mine === undefined && theirs === undefined)) continue;
      const throughput = mine !== undefined && theirs !== undefined ? ratio(mine.requestsPerSecond / theirs.requestsPerSecond) : '—';
      const cpu =
        mine?.cpuMicrosecondsPerRequest !== undefined && theirs?.cpuMicrosecondsPerRequest !== undefined
          ? ratio(mine.cpuMicrosecondsPerRequest / theirs.cpuMicrosecondsPerRequest)
          : '—';
      rows.push(`| ${scenario.label} | ${throughput} | ${cpu} | ${signedMs(mine?.addedLatencyMs?.p50)} | ${signedMs(theirs?.addedLatencyMs?.p50)} |`);
    }
    rows.push('');
  }
  return rows;
}

/** Issue 3: chunks per second and CPU per 1,000 chunks, the translated path beside the fast path. */
function translatedRows(results: RunResults): string[] {
  const streaming = results.scenarios.filter((scenario) => scenario.kind === 'load' && scenario.chunksPerResponse !== undefined);
  if (!streaming.some((scenario) => scenario.translated)) return [];
  const fastPath = results.scenarios.find((scenario) => scenario.id === 'stream-10c');
  const rows = [
    '## Translated streaming',
    '',
    'Chunks per second are streamed answers per second × the upstream\'s chunks per answer (100); CPU per 1,000 chunks is the ' +
      'target process\'s CPU per answer ÷ chunks × 1,000. The last column divides by the same target\'s fast-path rate ' +
      `(${fastPath?.label ?? 'stream-10c'}), measured in the same run.`,
    '',
    '| Scenario | Target | chunks/s | CPU ms per 1,000 chunks | × its fast-path chunk rate |',
    '|---|---|--:|--:|--:|',
  ];
  for (const scenario of streaming) {
    if (scenario.connections !== fastPath?.connections) continue;
    for (const target of results.targets) {
      const found = cell(results, scenario.id, target.id);
      if (found === undefined || found.status === 'skipped') continue;
      const head = `| ${scenario.label} | ${target.label} |`;
      if (found.status === 'failed') {
        rows.push(`${head} — | — | error: ${escapeCell(found.error, 160)} |`);
        continue;
      }
      const rate = chunkRate(results, scenario, target.id);
      const base = fastPath === undefined ? undefined : chunkRate(results, fastPath, target.id);
      const cpu = found.measurement.cpuMicrosecondsPerRequest;
      const perThousand = cpu === undefined || scenario.chunksPerResponse === undefined ? '—' : ((cpu / scenario.chunksPerResponse) * 1000 / 1000).toFixed(2);
      rows.push(`${head} ${rate === undefined ? '—' : integer(rate)} | ${perThousand} | ${rate !== undefined && base !== undefined ? ratio(rate / base) : '—'} |`);
    }
  }
  rows.push('');
  return rows;
}

function openStreamsRows(results: RunResults): string[] {
  const scenarios = results.scenarios.filter((scenario) => scenario.kind === 'open-streams');
  if (scenarios.length === 0) return [];
  const rows = [
    '## Open streams',
    '',
    'The load generator opens the streams 100 per 100 ms and reads every chunk; the paced upstream holds each open for about 10 s. ' +
      'Peak RSS is the target process\'s VmHWM over the run (reset before it). Event-loop delay is measured from outside, as nothing is ' +
      'added to the gateway: a `GET` of its health route every 50 ms on a connection of its own, timed with the target idle (just before) ' +
      'and under load. A request that arrives while the loop is busy waits for it, so the round trip under load bounds the loop\'s delay ' +
      'from above (the shared core adds to it for every target alike); the last figure is its p99 minus the idle p50. ' +
      'Under load the median round trip can be shorter than idle: a busy core answers without waking from sleep.',
    '',
    '| Scenario | Target | streams completed | peak open | RSS before MiB | peak RSS MiB | CPU s | health idle p50 ms | under load p50 ms | p99 ms | max ms | loop delay ≤ ms (p99 − idle p50) | Notes |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|',
  ];
  for (const scenario of scenarios) {
    for (const target of results.targets) {
      const found = openStreamsCell(results, scenario.id, target.id);
      if (found === undefined) continue;
      const head = `| ${scenario.label} | ${target.label} |`;
      if (found.status !== 'ok') {
        rows.push(`${head} — | — | — | — | — | — | — | — | — | — | ${found.status === 'failed' ? `error: ${escapeCell(found.error)}` : `n/a: ${escapeCell(found.reason)}`} |`);
        continue;
      }
      const result = found.measurement;
      const notes = [
        result.peakOpen < result.streams ? `at most ${result.peakOpen} open at once: the rest waited for a slot (all done in ${(result.wallMs / 1000).toFixed(1)} s)` : '',
        result.failed > 0 ? `${result.failed} failed: ${escapeCell(result.firstError ?? '', 160)}` : '',
      ].filter((note) => note !== '').join('; ');
      rows.push(
        `${head} ${result.completed} / ${result.streams} | ${result.peakOpen} | ${mib(result.rssBeforeBytes)} | ${mib(result.peakRssBytes)} | ` +
          `${result.cpuSeconds === undefined ? '—' : result.cpuSeconds.toFixed(2)} | ${ms(result.idleHealthMs.p50)} | ${ms(result.loadedHealthMs.p50)} | ` +
          `${ms(result.loadedHealthMs.p99)} | ${ms(result.loadedHealthMs.max)} | ${ms(result.loopDelayMs.p99)} | ${notes} |`,
      );
    }
  }
  rows.push('');
  return rows;
}

function routingRows(results: RunResults): string[] {
  const section = results.routingCost;
  if (section === undefined) return [];
  const rows = ['## Routing cost', '', 'Issue 4: mean wall time of one `Router.select()` for one model, in process (no network), by strategy and number of credentials. It should stay flat as credentials grow.', ''];
  if (!section.ok) return [...rows, `Not measured: ${escapeCell(section.error, 600)}`, ''];
  const counts = [...new Set(section.value.map((row) => row.credentials))].sort((a, b) => a - b);
  const strategies = [...new Set(section.value.map((row) => row.strategy))];
  rows.push(`| Strategy | ${counts.map((count) => `µs/select, ${integer(count)} credential${count === 1 ? '' : 's'}`).join(' | ')} |`, `|---|${counts.map(() => '--:').join('|')}|`);
  for (const strategy of strategies) {
    const values = counts.map((count) => section.value.find((row) => row.strategy === strategy && row.credentials === count)?.meanMicroseconds);
    rows.push(`| ${strategy} | ${values.map((value) => (value === undefined ? '—' : value.toFixed(2))).join(' | ')} |`);
  }
  rows.push('');
  return rows;
}

function stateDriverRows(results: RunResults): string[] {
  const section = results.stateDrivers;
  if (section === undefined) return [];
  const rows = ['## State drivers', ''];
  if (!section.ok) return [...rows, `Issue 6: not measured (the redis row needs a reachable Redis): ${escapeCell(section.error, 600)}`, ''];
  const value = section.value;
  rows.push(
    `Issue 6: cliproxy's fast path (non-streaming, ${value.connections} connections, with a client key) with each state driver, in processes of its own ` +
      `(not pinned), ${value.durationSeconds} s × ${value.rounds} rounds alternating; Redis: ${value.redis}. redis / local: **${ratio(value.redisToLocal)}**.`,
    '',
    '| Driver | req/s | p50 ms | p99 ms | requests | non-2xx | errors |',
    '|---|--:|--:|--:|--:|--:|--:|',
    ...value.rows.map((row) => `| ${row.driver} | ${integer(row.requestsPerSecond)} | ${ms(row.p50Ms)} | ${ms(row.p99Ms)} | ${integer(row.requests)} | ${row.non2xx} | ${row.errors} |`),
    '',
  );
  return rows;
}

export function renderMarkdown(results: RunResults): string {
  const { machine, settings } = results;
  const checks = checkGoals(results);
  const versions = Object.entries(machine.versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  const targetNotes = results.targets.map((target) => {
    if (target.error !== undefined) return `- ${target.label}: did not start: ${escapeCell(target.error, 600)}`;
    const peaks = results.cells.flatMap((entry) =>
      entry.target === target.id && entry.status === 'ok' && entry.measurement.peakRssBytes !== undefined ? [entry.measurement.peakRssBytes] : [],
    );
    const memory = `idle RSS ${mib(target.idleRssBytes)} MiB${peaks.length > 0 ? `, peak ${mib(Math.max(...peaks))} MiB under load` : ''}`;
    if (target.startupMs === undefined) return `- ${target.label}: the fake upstream's own process; ${memory}`;
    return `- ${target.label}: ready in ${integer(target.startupMs)} ms; ${memory}`;
  });
  const lines = [
    '# Benchmarks',
    '',
    `Generated by \`npm run bench\` on ${results.generatedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}` +
      `${machine.commit === undefined ? '' : ` at commit ${machine.commit}`}. ` +
      'Do not edit by hand: the next run rewrites this file. How it is measured, and what the figures can and cannot say: ' +
      '[bench/README.md](bench/README.md).',
    '',
    '## Machine',
    '',
    `- CPU: ${machine.cpuModel}, ${machine.cores} cores, shared by the load generator, the fake upstream and the target` +
      (settings.affinity === undefined
        ? ' (unpinned)'
        : ` (load generator pinned to CPU ${settings.affinity.loadGenerator}, fake upstream and target to CPU ${settings.affinity.servers})`),
    `- Memory: ${(machine.memoryBytes / 1024 ** 3).toFixed(1)} GiB; ${machine.kernel}`,
    `- Node.js ${machine.node}; ${versions}`,
    `- ${settings.durationSeconds} s of load per cell after a ${settings.warmupSeconds} s warm-up` +
      `${settings.rounds > 1 ? `, ${settings.rounds} rounds with the targets interleaved, each figure the median over rounds` : ', one round'}; loopback only` +
      `; each cell waits up to ${settings.quietWaitSeconds} s for other load on the machine to stop` +
      `; peak RSS ${settings.peakRssPerCell ? 'per cell' : 'since the process started'}`,
    '',
    '## Issue targets',
    '',
    `${label(results, results.subject)} against issues 2, 3 and 7's targets: ${verdict(checks)}`,
    '',
    ...(busyWarning(results) === undefined ? [] : [`> ${busyWarning(results)}`, '']),
    ...(results.sourceChangedTo === undefined
      ? []
      : [
          `> Warning: the code changed during the run (${results.machine.commit ?? 'unknown'} at the start, ${results.sourceChangedTo} at the end); ` +
            'targets are started once per environment, so scenarios may have measured different versions. Re-run.',
          '',
        ]),
    ...checks.map((check) => `- ${check.pass === undefined ? '?' : check.pass ? 'pass' : 'MISS'} · ${check.scenario}: ${check.description}`),
    '',
    '![Throughput per target](docs/bench/throughput.svg)',
    '',
    '![Added latency per target](docs/bench/latency.svg)',
    '',
    '## Ratios',
    '',
    ...ratioRows(results),
    '## Results',
    '',
    'Added latency is the target\'s percentile minus the direct call\'s at the same scenario and connections. ' +
      'CPU is the target process\'s user + system time over the measured window divided by the requests it completed; ' +
      'for the direct call that process is the fake upstream, which shares its core with each proxy it stands behind.',
    '',
    ...tableRows(results),
    '',
    ...translatedRows(results),
    ...openStreamsRows(results),
    ...routingRows(results),
    ...stateDriverRows(results),
    '## Targets',
    '',
    ...targetNotes,
    '',
  ];
  return lines.join('\n');
}

if (import.meta.main) {
  const results = JSON.parse(readFileSync(new URL('results/latest.json', import.meta.url), 'utf8')) as RunResults;
  writeFileSync(new URL('../BENCHMARKS.md', import.meta.url), renderMarkdown(results));
  writeFileSync(new URL('../docs/bench/throughput.svg', import.meta.url), renderThroughputSvg(results));
  writeFileSync(new URL('../docs/bench/latency.svg', import.meta.url), renderLatencySvg(results));
  console.log('wrote BENCHMARKS.md and docs/bench/*.svg from bench/results/latest.json');
}
