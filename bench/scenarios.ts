/**
 * What the benchmark measures: one entry per scenario, run against every target. A scenario
 * names the environment it needs (how the fake upstream answers; later also the translated
 * upstream format or the number of credentials), the request, the load and what a correct
 * answer looks like. Scenarios that share an environment share one upstream and one start of
 * each target. To add one, append an entry; a new kind of measurement (1,000 open streams,
 * say) adds a member to `Scenario` and a case in the runner.
 */
import { anthropicRequestBody, chatRequestBody } from './chat-payloads.ts';

/** How the fake upstream answers. */
export interface UpstreamOptions {
  /** SSE chunks per streamed answer (`chat.completion.chunk` events, not counting [DONE]). */
  chunks: number;
  /** Pause between chunks; 0 writes them back to back. */
  chunkIntervalMs: number;
  /** The API the upstream speaks: OpenAI Chat Completions, or Anthropic Messages (a Claude upstream). */
  format: 'openai' | 'anthropic';
}

/** What a scenario needs started before it runs; scenarios with equal environments share it. */
export interface Environment {
  upstream: UpstreamOptions;
}

/** What a correct answer is; checked once per cell before the load starts. */
export type Expectation =
  | { kind: 'completion' }
  | { kind: 'stream'; chunks: number }
  /** An OpenAI stream translated from another format: chunk count is the translator's. */
  | { kind: 'translated-stream'; minContentChunks: number }
  /** An Anthropic Messages stream, translated from an OpenAI upstream. */
  | { kind: 'anthropic-stream'; minDeltas: number };

/** Thresholds from the issues, checked in the report for the subject against its baselines. */
export interface Goals {
  /** Minimum subject/relay throughput ratio (issue 2: 0.9). */
  minThroughputRatioToRelay?: number;
  /** Maximum p50 latency the subject adds over the direct call, in ms (issue 2: 0.15). */
  maxAddedP50Ms?: number;
  /** Minimum subject/Portkey throughput ratio (issue 7: 8 at 50 connections). */
  minThroughputRatioToPortkey?: number;
  /** Minimum ratio of the subject's chunk rate here to its chunk rate in another scenario (issue 7: translated ≥ 0.6× the fast path). */
  minChunkRateRatio?: { scenario: string; ratio: number };
  /** Maximum peak RSS of the subject, in bytes (issue 7: 250 MB with 1,000 open streams). */
  maxPeakRssBytes?: number;
}

export interface LoadScenario {
  kind: 'load';
  /** Stable id, used in results JSON and `BENCH_SCENARIOS`. */
  id: string;
  /** Shown in the table. */
  label: string;
  environment: Environment;
  connections: number;
  /** `path` and `headers` replace the target's own (the Anthropic client's `/v1/messages`). */
  request: { method: 'POST'; body: string; path?: string; headers?: Record<string, string> };
  expect: Expectation;
  /** Upstream chunks behind one streamed answer, for chunks per second; undefined when not streaming. */
  chunksPerResponse?: number;
  /** Set on the translated path: the proxy must translate, so direct and relay cannot serve it. */
  translated?: boolean;
  goals: Goals;
}

/**
 * Many streams held open at once against a paced upstream: the measure is the target's
 * memory and how late its event loop answers, not throughput.
 */
export interface OpenStreamsScenario {
  kind: 'open-streams';
  id: string;
  label: string;
  environment: Environment;
  /** Streams held open at once. */
  streams: number;
  /** Streams opened per 100 ms while ramping up (a burst of 1,000 SYNs overflows a 511 backlog). */
  rampPer100Ms: number;
  request: { method: 'POST'; body: string };
  /** Upstream chunks per stream. */
  chunks: number;
  goals: Goals;
  /** Connections in the target (always 0 here: see `streams`); for the summary. */
  connections: number;
}

export type Scenario = LoadScenario | OpenStreamsScenario;

const chunks = Number(process.env.BENCH_STREAM_CHUNKS ?? 100);
const chunkIntervalMs = Number(process.env.BENCH_CHUNK_INTERVAL_MS ?? 0);
const instant: Environment = { upstream: { chunks, chunkIntervalMs, format: 'openai' } };
const claudeUpstream: Environment = { upstream: { chunks, chunkIntervalMs, format: 'anthropic' } };
const openStreams = Number(process.env.BENCH_OPEN_STREAMS ?? 1000);
const pacedChunks = 100;
const pacedIntervalMs = Number(process.env.BENCH_OPEN_STREAM_INTERVAL_MS ?? 100);
const paced: Environment = { upstream: { chunks: pacedChunks, chunkIntervalMs: pacedIntervalMs, format: 'openai' } };

function nonStreaming(connections: number, goals: Goals): LoadScenario {
  return {
    kind: 'load',
    id: `chat-${connections}c`,
    label: `non-streaming, ${connections} conn`,
    environment: instant,
    connections,
    request: { method: 'POST', body: chatRequestBody(false) },
    expect: { kind: 'completion' },
    goals,
  };
}

function streaming(connections: number, goals: Goals): LoadScenario {
  return {
    kind: 'load',
    id: `stream-${connections}c`,
    label: `streaming ${chunks} chunks, ${connections} conn`,
    environment: instant,
    connections,
    request: { method: 'POST', body: chatRequestBody(true) },
    expect: { kind: 'stream', chunks },
    chunksPerResponse: chunks,
    goals,
  };
}

// Issue 3: translated streaming at least 0.6x the fast path's chunk rate, same connections.
const fastPathStream = 'stream-10c';
const translatedGoal: Goals = { minChunkRateRatio: { scenario: fastPathStream, ratio: 0.6 } };

/** An OpenAI client streaming from a Claude upstream (cliproxy: provider `claude`). */
function openaiFromClaude(connections: number): LoadScenario {
  return {
    kind: 'load',
    id: `translated-openai-claude-${connections}c`,
    label: `translated: OpenAI client ← Claude upstream, stream ${chunks} deltas, ${connections} conn`,
    environment: claudeUpstream,
    connections,
    request: { method: 'POST', body: chatRequestBody(true) },
    expect: { kind: 'translated-stream', minContentChunks: chunks },
    chunksPerResponse: chunks,
    translated: true,
    goals: translatedGoal,
  };
}

/** An Anthropic client (`POST /v1/messages`) streaming from an OpenAI-compatible upstream. */
function claudeFromOpenai(connections: number): LoadScenario {
  return {
    kind: 'load',
    id: `translated-claude-openai-${connections}c`,
    label: `translated: Anthropic client ← OpenAI upstream, stream ${chunks} chunks, ${connections} conn`,
    environment: instant,
    connections,
    request: {
      method: 'POST',
      body: anthropicRequestBody(true),
      path: '/v1/messages',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-client', authorization: 'Bearer sk-client', 'anthropic-version': '2023-06-01' },
    },
    // The upstream's last two chunks are the finish and the usage chunk: no text delta.
    expect: { kind: 'anthropic-stream', minDeltas: chunks - 2 },
    chunksPerResponse: chunks,
    translated: true,
    goals: translatedGoal,
  };
}

// Issue 2 §9: at least 0.9x the relay's throughput everywhere, and under 0.15 ms added p50 at
// one connection. The latency goal is checked on the non-streaming request: a 100-chunk stream
// costs even the minimal relay more than 0.15 ms per response (see bench/README.md), so on
// streaming the relay ratio is the meaningful goal.
const issue2 = { minThroughputRatioToRelay: 0.9 };
export const scenarios: Scenario[] = [
  nonStreaming(1, { ...issue2, maxAddedP50Ms: 0.15 }),
  nonStreaming(10, issue2),
  nonStreaming(50, { ...issue2, minThroughputRatioToPortkey: 8 }),
  streaming(1, issue2),
  streaming(10, issue2),
  claudeFromOpenai(10),
  openaiFromClaude(10),
  {
    kind: 'open-streams',
    id: 'open-streams',
    label: `${openStreams.toLocaleString('en-US')} open streams (${pacedChunks} chunks, one every ${pacedIntervalMs} ms)`,
    environment: paced,
    streams: openStreams,
    rampPer100Ms: 100,
    request: { method: 'POST', body: chatRequestBody(true) },
    chunks: pacedChunks,
    goals: { maxPeakRssBytes: 250e6 },
    connections: openStreams,
  },
];
