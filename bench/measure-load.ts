/**
 * One cell of a load scenario: probe the target once, warm it up, then load it for the
 * measured window while reading its process's CPU and peak memory, and how busy the rest of
 * the machine was.
 */
import { runLoad } from './load.ts';
import { probe } from './probe.ts';
import { readCpuSeconds, readMachineBusySeconds, readMemory, resetPeakRss, waitForQuiet } from './process-stats.ts';
import type { RoundMeasurement } from './results.ts';
import type { LoadScenario } from './scenarios.ts';
import type { RunningTarget } from './targets.ts';

export interface LoadSettings {
  durationSeconds: number;
  warmupSeconds: number;
  /** The fake upstream's pid, so its CPU is not mistaken for other load. */
  upstreamPid: number;
  /** Longest wait for the machine to be quiet before a cell, in ms (0: do not wait). */
  quietWaitMs: number;
  signal: AbortSignal;
}

export type RoundOutcome =
  | { ok: true; measurement: RoundMeasurement; probeBody: string; peakRssPerCell: boolean }
  | { ok: false; error: string };

function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

export async function measureLoad(scenario: LoadScenario, target: RunningTarget, settings: LoadSettings): Promise<RoundOutcome> {
  const url = `${target.origin}${scenario.request.path ?? target.path}`;
  const headers = scenario.request.headers === undefined ? target.headers : { ...target.headers, ...scenario.request.headers };
  const checked = await probe(url, headers, scenario.request.body, scenario.expect);
  if (!checked.ok) return { ok: false, error: checked.error };
  const load = {
    url,
    method: scenario.request.method,
    headers,
    body: scenario.request.body,
    connections: scenario.connections,
    signal: settings.signal,
  };
  if (settings.warmupSeconds > 0) await runLoad({ ...load, durationSeconds: settings.warmupSeconds });
  // Last before the window: our own processes are idle now, so whatever is busy is not ours.
  const quiet = settings.quietWaitMs > 0 ? await waitForQuiet(settings.quietWaitMs) : { waitedMs: 0, quiet: true };

  const pid = target.pid;
  const peakRssPerCell = pid === undefined || resetPeakRss(pid);
  const processes = [settings.upstreamPid, ...(pid === undefined || pid === settings.upstreamPid ? [] : [pid])];
  const readProcesses = (): number => processes.reduce((sum, each) => sum + readCpuSeconds(each), 0);
  const before = { target: pid === undefined ? 0 : readCpuSeconds(pid), processes: readProcesses(), own: ownCpuSeconds(), machine: readMachineBusySeconds() };
  const result = await runLoad({ ...load, durationSeconds: settings.durationSeconds });
  const targetCpu = pid === undefined ? undefined : readCpuSeconds(pid) - before.target;
  const ours = readProcesses() - before.processes + (ownCpuSeconds() - before.own);
  const otherCpu = readMachineBusySeconds() - before.machine - ours;

  if (result.requests === 0) {
    const codes = Object.entries(result.statusCodes).map(([code, count]) => `${count}× HTTP ${code}`);
    return { ok: false, error: `no 2xx answer under load (${[...codes, `${result.errors} connection errors`, `${result.timeouts} timeouts`].join(', ')})` };
  }
  return {
    ok: true,
    probeBody: checked.body,
    peakRssPerCell,
    measurement: {
      ...result,
      cpuMicrosecondsPerRequest: targetCpu === undefined ? undefined : (targetCpu * 1e6) / result.requests,
      cpuCores: targetCpu === undefined ? undefined : targetCpu / result.durationSeconds,
      peakRssBytes: pid === undefined ? undefined : readMemory(pid).peakRssBytes,
      otherCpuCores: Math.max(0, otherCpu / result.durationSeconds),
      quietBeforeStart: quiet.quiet,
    },
  };
}
