/**
 * What an OpenAI Chat Completions stream says, computed independently of the gateway and
 * of the SDK: per choice the text, refusal, reasoning (`reasoning_content`, `reasoning`,
 * Mistral `thinking` parts) and tool calls, whether tool-call deltas arrive in fragments
 * (OpenAI, DeepSeek), whole (Groq), or whole without `index`/`type` (Mistral).
 */
import { parseServerSentEvents } from './sse-framing.ts';

export interface ToolCallSummary {
  id: string | undefined;
  type: string | undefined;
  name: string;
  arguments: string;
}

export interface ChoiceSummary {
  index: number;
  role: string | undefined;
  content: string;
  refusal: string;
  reasoningContent: string;
  reasoning: string;
  thinking: string;
  toolCalls: ToolCallSummary[];
  finishReason: string | null;
}

export interface StreamSummary {
  choices: ChoiceSummary[];
  /** The last non-null `usage` seen, or null. */
  usage: unknown;
  /**
   * Whether the SDK's strict `ChatCompletionStream` can accumulate it: every choice has a
   * role and a finish reason, string content, and tool calls with `type` and with indexes
   * 0, 1, 2, … (it fails on Mistral's index-less calls and on a stream starting at index 1).
   */
  sdkAccumulable: boolean;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The JSON payloads of an OpenAI-style SSE body, `[DONE]` left out. */
export function chunkPayloadsOfSse(body: string): unknown[] {
  return parseServerSentEvents(body)
    .filter((event) => event.data !== '[DONE]')
    .map((event) => JSON.parse(event.data) as unknown);
}

interface ToolCallState extends ToolCallSummary {
  order: number;
  sortIndex: number;
}

interface ChoiceState extends Omit<ChoiceSummary, 'toolCalls'> {
  toolCalls: Map<string, ToolCallState>;
  unindexedToolCalls: number;
  contentWasArray: boolean;
  toolCallWithoutIndex: boolean;
}

/** Accumulates chunk payloads (parsed JSON) into per-choice summaries. */
export function summarizeChunks(chunks: readonly unknown[]): StreamSummary {
  const choices = new Map<number, ChoiceState>();
  let usage: unknown = null;
  let toolOrder = 0;
  for (const chunk of chunks) {
    if (!isRecord(chunk)) continue;
    if (chunk.usage !== undefined && chunk.usage !== null) usage = chunk.usage;
    const chunkChoices = Array.isArray(chunk.choices) ? chunk.choices : [];
    for (const choice of chunkChoices) {
      if (!isRecord(choice) || typeof choice.index !== 'number') continue;
      let state = choices.get(choice.index);
      if (state === undefined) {
        state = {
          index: choice.index,
          role: undefined,
          content: '',
          refusal: '',
          reasoningContent: '',
          reasoning: '',
          thinking: '',
          toolCalls: new Map(),
          finishReason: null,
          unindexedToolCalls: 0,
          contentWasArray: false,
          toolCallWithoutIndex: false,
        };
        choices.set(choice.index, state);
      }
      if (typeof choice.finish_reason === 'string') state.finishReason = choice.finish_reason;
      const delta = choice.delta;
      if (!isRecord(delta)) continue;
      if (typeof delta.role === 'string' && delta.role !== '') state.role = delta.role;
      if (Array.isArray(delta.content)) {
        state.contentWasArray = true;
        for (const part of delta.content) {
          if (!isRecord(part)) continue;
          if (part.type === 'text') state.content += text(part.text);
          if (part.type === 'thinking' && Array.isArray(part.thinking)) {
            for (const inner of part.thinking) if (isRecord(inner)) state.thinking += text(inner.text);
          }
        }
      } else {
        state.content += text(delta.content);
      }
      state.refusal += text(delta.refusal);
      state.reasoningContent += text(delta.reasoning_content);
      state.reasoning += text(delta.reasoning);
      const toolCalls = Array.isArray(delta.tool_calls) ? delta.tool_calls : [];
      for (const toolCall of toolCalls) {
        if (!isRecord(toolCall)) continue;
        let key: string;
        let sortIndex: number;
        if (typeof toolCall.index === 'number') {
          key = `index:${toolCall.index}`;
          sortIndex = toolCall.index;
        } else {
          // No index (Mistral): each entry is a whole call of its own.
          state.toolCallWithoutIndex = true;
          state.unindexedToolCalls += 1;
          key = `whole:${state.unindexedToolCalls}`;
          sortIndex = Number.MAX_SAFE_INTEGER;
        }
        let call = state.toolCalls.get(key);
        if (call === undefined) {
          call = { id: undefined, type: undefined, name: '', arguments: '', order: toolOrder++, sortIndex };
          state.toolCalls.set(key, call);
        }
        if (typeof toolCall.id === 'string' && toolCall.id !== '') call.id = toolCall.id;
        if (typeof toolCall.type === 'string' && toolCall.type !== '') call.type = toolCall.type;
        const functionCall = toolCall.function;
        if (isRecord(functionCall)) {
          if (typeof functionCall.name === 'string' && functionCall.name !== '') call.name = functionCall.name;
          call.arguments += text(functionCall.arguments);
        }
      }
    }
  }
  const summaries: ChoiceSummary[] = [...choices.values()]
    .sort((left, right) => left.index - right.index)
    .map((state) => ({
      index: state.index,
      role: state.role,
      content: state.content,
      refusal: state.refusal,
      reasoningContent: state.reasoningContent,
      reasoning: state.reasoning,
      thinking: state.thinking,
      toolCalls: [...state.toolCalls.values()]
        .sort((left, right) => left.sortIndex - right.sortIndex || left.order - right.order)
        .map(({ id, type, name, arguments: args }) => ({ id, type, name, arguments: args })),
      finishReason: state.finishReason,
    }));
  const sdkAccumulable = [...choices.values()].every(
    (state) =>
      state.role !== undefined &&
      state.finishReason !== null &&
      !state.contentWasArray &&
      !state.toolCallWithoutIndex &&
      [...state.toolCalls.values()].every((call) => call.type !== undefined) &&
      // The SDK's parser walks tool calls as a dense array: indexes must run 0, 1, 2, …
      [...state.toolCalls.values()].every((call, position) => call.sortIndex === position),
  );
  return { choices: summaries, usage, sdkAccumulable };
}

/** The fields of a finished `chat.completion` (SDK-accumulated or not) a summary compares. */
export interface CompletionChoiceView {
  index: number;
  finish_reason: string | null;
  message: {
    role: string;
    content: string | null;
    refusal?: string | null;
    tool_calls?: ReadonlyArray<{ id: string; type: string; function?: { name: string; arguments: string } }>;
  };
}

/**
 * The same summary shape for choices of a finished completion, for the fields a completion
 * carries (content, refusal, tool calls, finish reason, role). Sparse tool-call arrays (a
 * stream whose indexes start at 1) are read without their holes.
 */
export function summarizeCompletionChoices(choices: readonly CompletionChoiceView[]): Array<Pick<ChoiceSummary, 'index' | 'role' | 'content' | 'refusal' | 'toolCalls' | 'finishReason'>> {
  return choices.map((choice) => {
    const toolCalls: ToolCallSummary[] = [];
    choice.message.tool_calls?.forEach((call) => {
      toolCalls.push({ id: call.id, type: call.type, name: call.function?.name ?? '', arguments: call.function?.arguments ?? '' });
    });
    return {
      index: choice.index,
      role: choice.message.role,
      content: choice.message.content ?? '',
      refusal: choice.message.refusal ?? '',
      toolCalls,
      finishReason: choice.finish_reason,
    };
  });
}

/** The subset of a stream summary that `summarizeCompletionChoices` produces. */
export function comparableChoices(summary: StreamSummary): ReturnType<typeof summarizeCompletionChoices> {
  return summary.choices.map(({ index, role, content, refusal, toolCalls, finishReason }) => ({
    index,
    role,
    content,
    refusal,
    toolCalls,
    finishReason,
  }));
}
