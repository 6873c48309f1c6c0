/**
 * Body rewrites some OpenAI-compatible upstreams need on the fast path (PROTOCOLS.md).
 * Each returns whether it changed the body, so an untouched body is forwarded byte-exact.
 */

const REASONING_MODEL = /^(o\d|gpt-5)/;

/**
 * OpenAI: reasoning models (o-series, gpt-5) reject `max_tokens` and want
 * `max_completion_tokens`; other models reject `reasoning_effort` (400
 * unsupported_parameter), which a translated Claude Code request carries for its thinking.
 */
export function renameMaxTokensForReasoningModels(body: Record<string, unknown>, upstreamModel: string): boolean {
  if (!REASONING_MODEL.test(upstreamModel)) {
    if (!('reasoning_effort' in body)) return false;
    delete body.reasoning_effort;
    return true;
  }
  if (!('max_tokens' in body)) return false;
  if (!('max_completion_tokens' in body)) body.max_completion_tokens = body.max_tokens;
  delete body.max_tokens;
  return true;
}

/**
 * Mistral rejects `stream_options` (on older models) and `n`, spells "required" as "any",
 * and takes `max_tokens` rather than `max_completion_tokens`. Its final stream chunk carries
 * usage anyway, so dropping `stream_options` loses nothing.
 */
export function adaptForMistral(body: Record<string, unknown>): boolean {
  let changed = false;
  if ('stream_options' in body) {
    delete body.stream_options;
    changed = true;
  }
  if (body.n === 1) {
    delete body.n;
    changed = true;
  }
  if (body.tool_choice === 'required') {
    body.tool_choice = 'any';
    changed = true;
  }
  if ('max_completion_tokens' in body) {
    if (!('max_tokens' in body)) body.max_tokens = body.max_completion_tokens;
    delete body.max_completion_tokens;
    changed = true;
  }
  return changed;
}
