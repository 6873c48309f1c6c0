/**
 * Function calls carry no id on Gemini's wire (the API has an optional `id`, but models do not
 * fill it), while every other format keys tool results by call id. Parsers therefore make ids
 * up, deterministically: `call_gemini_<n>` within a request, `call_gemini_<responseId>_<n>`
 * within a response (the response id keeps ids unique across the turns of a conversation,
 * which Anthropic requires). The prefix marks an id as made up, so renderers never send it
 * to Gemini or to a Gemini client: on the way back, tool results are matched by name.
 */

export const SYNTHETIC_CALL_ID_PREFIX = 'call_gemini_';

export interface CallIdSource {
  next(): string;
}

export function createCallIdSource(scope?: string): CallIdSource {
  let count = 0;
  // Anthropic accepts only [a-zA-Z0-9_-] in tool ids, and these ids may travel there.
  const safeScope = scope?.replace(/[^a-zA-Z0-9_-]/g, '_');
  const prefix = safeScope === undefined || safeScope === '' ? SYNTHETIC_CALL_ID_PREFIX : `${SYNTHETIC_CALL_ID_PREFIX}${safeScope}_`;
  return {
    next(): string {
      const id = `${prefix}${count}`;
      count += 1;
      return id;
    },
  };
}

export function isSyntheticCallId(id: string): boolean {
  return id.startsWith(SYNTHETIC_CALL_ID_PREFIX);
}
