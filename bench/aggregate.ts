/**
 * From rounds to cells: each figure's median over the rounds a cell was measured in (the
 * rounds interleave the targets, so a burst of other load on the machine hits one round of
 * every target rather than every round of one), then what the direct call sets as the base:
 * added latency, and whether a proxy's answer was the upstream's bytes unchanged.
 */
import type { LatencySummary } from './load.ts';
import type { Cell, Measurement, RoundMeasurement } from './results.ts';

function median(values: number[]): number {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((left, right) => left - right);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function medianOf(rounds: RoundMeasurement[], pick: (round: RoundMeasurement) => number | undefined): number | undefined {
  const values = rounds.map(pick);
  if (values.some((value) => value === undefined)) return undefined;
  return median(values as number[]);
}

function sum(rounds: RoundMeasurement[], pick: (round: RoundMeasurement) => number): number {
  return rounds.reduce((total, round) => total + pick(round), 0);
}

export function combineRounds(rounds: RoundMeasurement[]): Measurement {
  const latency = (key: keyof LatencySummary): number => median(rounds.map((round) => round.latencyMs[key]));
  const statusCodes: Record<string, number> = {};
  for (const round of rounds) {
    for (const [code, count] of Object.entries(round.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + count;
  }
  return {
    requestsPerSecond: median(rounds.map((round) => round.requestsPerSecond)),
    requests: sum(rounds, (round) => round.requests),
    durationSeconds: sum(rounds, (round) => round.durationSeconds),
    latencyMs: { mean: latency('mean'), p50: latency('p50'), p90: latency('p90'), p99: latency('p99'), p99_9: latency('p99_9'), max: latency('max') },
    non2xx: sum(rounds, (round) => round.non2xx),
    errors: sum(rounds, (round) => round.errors),
    timeouts: sum(rounds, (round) => round.timeouts),
    statusCodes,
    bytesPerSecond: median(rounds.map((round) => round.bytesPerSecond)),
    cpuMicrosecondsPerRequest: medianOf(rounds, (round) => round.cpuMicrosecondsPerRequest),
    cpuCores: medianOf(rounds, (round) => round.cpuCores),
    peakRssBytes: rounds.some((round) => round.peakRssBytes === undefined) ? undefined : Math.max(...rounds.map((round) => round.peakRssBytes ?? 0)),
    otherCpuCores: median(rounds.map((round) => round.otherCpuCores)),
    quietBeforeStart: rounds.every((round) => round.quietBeforeStart),
    addedLatencyMs: undefined,
    identicalToDirect: undefined,
    rounds,
  };
}

/** Fills in added latency (target minus direct) and whether the answer was the direct call's bytes. */
export function compareWithDirect(cells: Cell[], probeBodies: Map<string, string>): void {
  for (const entry of cells) {
    if (entry.status !== 'ok' || entry.target === 'direct') continue;
    const direct = cells.find((other) => other.scenario === entry.scenario && other.target === 'direct');
    if (direct?.status !== 'ok') continue;
    const own = entry.measurement.latencyMs;
    const base = direct.measurement.latencyMs;
    entry.measurement.addedLatencyMs = { p50: own.p50 - base.p50, p99: own.p99 - base.p99, p99_9: own.p99_9 - base.p99_9 };
    const ownBody = probeBodies.get(`${entry.scenario} ${entry.target}`);
    const directBody = probeBodies.get(`${entry.scenario} direct`);
    if (ownBody !== undefined && directBody !== undefined) {
      entry.measurement.identicalToDirect = ownBody === directBody;
      if (ownBody !== directBody) entry.notes.push("answer differs from the upstream's bytes");
    }
  }
}
