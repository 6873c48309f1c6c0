/**
 * The shape of a run's raw results, written to bench/results/latest.json and rendered into
 * BENCHMARKS.md. Times are in ms, memory in bytes, CPU in microseconds per request.
 */
import type { Affinity } from './cpu-affinity.ts';
import type { LatencySummary, LoadResult } from './load.ts';
import type { Machine } from './machine.ts';
import type { OpenStreamsMeasurement } from './open-streams.ts';
import type { RoutingCostRow } from './routing-cost.ts';
import type { Goals } from './scenarios.ts';
import type { StateDriversResult } from './state-drivers.ts';

export interface Settings {
  durationSeconds: number;
  warmupSeconds: number;
  /** Times each cell was measured, targets interleaved within a round. */
  rounds: number;
  /** Longest wait for a quiet machine before each cell, in s. */
  quietWaitSeconds: number;
  /** Whether peak RSS is per cell (clear_refs worked) or since the process started. */
  peakRssPerCell: boolean;
  /** CPU pinning of the load generator and the servers; undefined when unpinned. */
  affinity: Affinity | undefined;
}

/** One measured window of one cell. */
export interface RoundMeasurement extends LoadResult {
  /** Target process CPU (user + system) per completed request, in µs. */
  cpuMicrosecondsPerRequest: number | undefined;
  /** Target process CPU over the window, in cores (1 = one core busy). */
  cpuCores: number | undefined;
  peakRssBytes: number | undefined;
  /**
   * Machine CPU over the window not used by the load generator, the fake upstream or the
   * target, in cores: other work on the machine, plus kernel networking not charged to a process.
   */
  otherCpuCores: number;
  /** Whether the machine was quiet before the cell started (see BENCH_QUIET_WAIT). */
  quietBeforeStart: boolean;
}

/** A cell's figures: with one round, that round; with several, each figure's median over rounds. */
export interface Measurement extends RoundMeasurement {
  /** Latency beyond the direct call's in the same scenario (target minus direct), in ms. */
  addedLatencyMs: Pick<LatencySummary, 'p50' | 'p99' | 'p99_9'> | undefined;
  /** Whether the probe's answer was byte for byte the direct call's. */
  identicalToDirect: boolean | undefined;
  /** Every round's own figures, in run order. */
  rounds: RoundMeasurement[];
}

export type Cell =
  | { scenario: string; target: string; status: 'ok'; measurement: Measurement; notes: string[] }
  | { scenario: string; target: string; status: 'failed'; error: string }
  | { scenario: string; target: string; status: 'skipped'; reason: string };

export interface TargetSummary {
  id: string;
  label: string;
  /** RSS right after it became ready, before any load (first start). */
  idleRssBytes: number | undefined;
  /** From spawn to ready, first start. */
  startupMs: number | undefined;
  error: string | undefined;
}

export interface ScenarioSummary {
  id: string;
  label: string;
  kind: 'load' | 'open-streams';
  connections: number;
  /** Upstream chunks per streamed answer (chunks per second = req/s × this). */
  chunksPerResponse: number | undefined;
  translated: boolean;
  goals: Goals;
}

/** One target's run of the open-streams scenario (one round: it is about memory, not rate). */
export type OpenStreamsCell =
  | { scenario: string; target: string; status: 'ok'; measurement: OpenStreamsMeasurement }
  | { scenario: string; target: string; status: 'failed'; error: string }
  | { scenario: string; target: string; status: 'skipped'; reason: string };

/** A part of the run that either produced its figures or says why not. */
export type Section<T> = { ok: true; value: T } | { ok: false; error: string };

export interface RunResults {
  generatedAt: string;
  machine: Machine;
  settings: Settings;
  /** The target whose goals are checked, and the targets it is compared with. */
  subject: string;
  baselines: string[];
  targets: TargetSummary[];
  scenarios: ScenarioSummary[];
  cells: Cell[];
  openStreams: OpenStreamsCell[];
  /** The code's fingerprint at the end of the run, when it differs from `machine.commit` at the start. */
  sourceChangedTo?: string;
  /** Issue 4: µs per `Router.select()` by strategy and credential count; undefined when not run. */
  routingCost: Section<RoutingCostRow[]> | undefined;
  /** Issue 6: fast-path req/s with each state driver; undefined when not run. */
  stateDrivers: Section<StateDriversResult> | undefined;
}
