/**
 * IR messages → the alternating user/assistant turns Kiro accepts.
 *
 * Kiro answers "Improperly formed request" unless every message has non-empty content,
 * roles alternate starting with a user turn, and every tool result answers a tool use. The
 * IR allows all of those to be otherwise, so this module repairs, in order:
 * 1. system/developer messages are skipped here (the caller folds them into the system
 *    prompt, as the Gemini renderer does); `tool` messages are user turns; thinking parts
 *    are dropped (Kiro takes none back);
 * 2. consecutive turns of one role merge;
 * 3. a conversation that opens with the assistant gets an empty user turn in front, and
 *    one that ends with the assistant (a prefill Kiro cannot take) gets "Continue." after;
 * 4. tool results answer only the tool uses of the assistant turn just before them: any
 *    other (orphan or duplicate) result becomes plain text in its turn, and a tool use left
 *    unanswered gets an error result (Claude, behind Kiro, rejects an unanswered tool use);
 * 5. the system prompt goes in front of the first user turn (Kiro has no system field);
 * 6. what is still empty gets a short placeholder (see PLACEHOLDER).
 */
import type { ContentPart, FilePart, Message, ToolCallPart, ToolResultPart } from '../ir.ts';
import { isRecord, parseJsonOrUndefined } from '../shared/json-value-guards.ts';
import { renderKiroImage } from './images.ts';
import { kiroToolName } from './tool-names.ts';
import type { KiroImage, KiroToolResult, KiroToolUse } from './types.ts';

/**
 * Texts for content Kiro requires but the conversation does not have. Kept short and
 * neutral: the model reads them, and may imitate what it sees in its own past turns.
 */
export const PLACEHOLDER = {
  /** A user turn with nothing to say (the one inserted before an opening assistant turn, …). */
  user: '.',
  /** A user turn holding only tool results. */
  toolResults: 'Tool results are attached.',
  /** A user turn holding only images. */
  images: 'See the attached image.',
  /** An assistant turn holding only tool uses, or nothing Kiro can take back. */
  assistant: '.',
  /** The user turn added after a conversation ending with the assistant. */
  continuation: 'Continue.',
  /** A tool result with no text. */
  emptyToolResult: '(no output)',
  /** The result given to a tool use the conversation never answered. */
  missingToolResult: 'No result was returned for this tool call.',
} as const;

export interface KiroUserTurn {
  role: 'user';
  content: string;
  images: KiroImage[];
  toolResults: KiroToolResult[];
}

export interface KiroAssistantTurn {
  role: 'assistant';
  content: string;
  toolUses: KiroToolUse[];
}

export type KiroTurn = KiroUserTurn | KiroAssistantTurn;

interface DraftResult {
  result: KiroToolResult;
  name: string | undefined;
}

interface DraftUser {
  role: 'user';
  texts: string[];
  images: KiroImage[];
  results: DraftResult[];
}

interface DraftAssistant {
  role: 'assistant';
  texts: string[];
  toolUses: KiroToolUse[];
}

type Draft = DraftUser | DraftAssistant;

export interface KiroTurns {
  /** Alternating turns, starting with a user turn and ending with an assistant turn (or empty). */
  history: KiroTurn[];
  /** The last user turn: Kiro's current message. */
  current: KiroUserTurn;
}

/** Turns for Kiro: never empty, alternating, starting and ending with a user turn. */
export function buildKiroTurns(messages: Message[], systemPrompt: string): KiroTurns {
  const drafts = mergeDrafts(messages);
  if (drafts[0]?.role !== 'user') drafts.unshift(emptyUser());
  const last = drafts.at(-1);
  const current = last?.role === 'user' ? last : { ...emptyUser(), texts: [PLACEHOLDER.continuation] };
  if (current !== last) drafts.push(current);
  pairToolResults(drafts);
  const first = drafts[0];
  if (systemPrompt !== '' && first !== undefined) first.texts.unshift(systemPrompt);
  drafts.pop();
  return { history: drafts.map(finishTurn), current: finishUser(current) };
}

/** Whitespace alone counts as empty, in case Kiro's non-empty check trims (we cannot see its code). */
function hasText(text: string): boolean {
  return text.trim() !== '';
}

function emptyUser(): DraftUser {
  return { role: 'user', texts: [], images: [], results: [] };
}

function mergeDrafts(messages: Message[]): Draft[] {
  const drafts: Draft[] = [];
  for (const message of messages) {
    if (message.role === 'system' || message.role === 'developer') continue;
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    let draft = drafts.at(-1);
    if (draft === undefined || draft.role !== role) {
      draft = role === 'user' ? emptyUser() : { role: 'assistant', texts: [], toolUses: [] };
      drafts.push(draft);
    }
    for (const part of message.content) {
      if (draft.role === 'user') addUserPart(draft, part);
      else addAssistantPart(draft, part);
    }
  }
  return drafts;
}

function addUserPart(draft: DraftUser, part: ContentPart): void {
  switch (part.type) {
    case 'text':
      if (hasText(part.text)) draft.texts.push(part.text);
      return;
    case 'image': {
      const image = renderKiroImage(part);
      if (image !== undefined) draft.images.push(image);
      return;
    }
    case 'file': {
      const text = fileText(part);
      if (text !== undefined) draft.texts.push(text);
      return;
    }
    case 'tool-result':
      draft.results.push(toolResult(part, draft.images));
      return;
    default:
      // Thinking and tool calls have no place in a user turn.
      return;
  }
}

function addAssistantPart(draft: DraftAssistant, part: ContentPart): void {
  if (part.type === 'text' && hasText(part.text)) draft.texts.push(part.text);
  else if (part.type === 'tool-call') draft.toolUses.push(toolUse(part));
  // Thinking (with or without a signature) is dropped: Kiro takes no reasoning back.
}

/** Text documents are the one kind of file Kiro can read, as text; other files have no Kiro form. */
function fileText(part: FilePart): string | undefined {
  if (part.source.kind !== 'base64') return undefined;
  const { mediaType, data } = part.source;
  if (!mediaType.startsWith('text/') && mediaType !== 'application/json') return undefined;
  const text = Buffer.from(data, 'base64').toString('utf8');
  return part.source.filename === undefined ? text : `${part.source.filename}:\n${text}`;
}

/** Kiro wants the arguments as an object: text that is not a JSON object becomes `{}`. */
function toolUse(part: ToolCallPart): KiroToolUse {
  const input = parseJsonOrUndefined(part.arguments);
  return { toolUseId: part.id, name: kiroToolName(part.name), input: isRecord(input) ? input : {} };
}

/** Kiro's tool results are text only: their images join the turn's images. */
function toolResult(part: ToolResultPart, images: KiroImage[]): DraftResult {
  const texts: string[] = [];
  for (const item of part.content) {
    if (item.type === 'text') {
      if (hasText(item.text)) texts.push(item.text);
    } else {
      const image = renderKiroImage(item);
      if (image !== undefined) images.push(image);
    }
  }
  const text = texts.length > 0 ? texts.join('\n') : PLACEHOLDER.emptyToolResult;
  return { result: { toolUseId: part.toolCallId, status: part.isError === true ? 'error' : 'success', content: [{ text }] }, name: part.name };
}

function pairToolResults(drafts: Draft[]): void {
  drafts.forEach((draft, index) => {
    if (draft.role !== 'user') return;
    const previous = drafts[index - 1];
    const expected = previous?.role === 'assistant' ? previous.toolUses.map((use) => use.toolUseId) : [];
    const answered = new Set<string>();
    const kept: DraftResult[] = [];
    const orphans: string[] = [];
    for (const entry of draft.results) {
      const id = entry.result.toolUseId;
      if (expected.includes(id) && !answered.has(id)) {
        answered.add(id);
        kept.push(entry);
      } else {
        // Kiro rejects a result with no matching tool use; as text, what it said survives.
        const label = entry.name === undefined ? id : `${entry.name} (${id})`;
        orphans.push(`Tool result for ${label}${entry.result.status === 'error' ? ' (error)' : ''}:\n${entry.result.content.map((item) => item.text).join('\n')}`);
      }
    }
    for (const id of expected) {
      if (!answered.has(id)) kept.push({ result: { toolUseId: id, status: 'error', content: [{ text: PLACEHOLDER.missingToolResult }] }, name: undefined });
    }
    draft.results = kept;
    draft.texts.push(...orphans);
  });
}

function finishTurn(draft: Draft): KiroTurn {
  if (draft.role === 'user') return finishUser(draft);
  const content = draft.texts.join('\n\n');
  return { role: 'assistant', content: content === '' ? PLACEHOLDER.assistant : content, toolUses: draft.toolUses };
}

function finishUser(draft: DraftUser): KiroUserTurn {
  const content = draft.texts.join('\n\n');
  let filled = content;
  if (filled === '') filled = draft.results.length > 0 ? PLACEHOLDER.toolResults : draft.images.length > 0 ? PLACEHOLDER.images : PLACEHOLDER.user;
  return { role: 'user', content: filled, images: draft.images, toolResults: draft.results.map((entry) => entry.result) };
}
