/**
 * IR → the body of Kiro's `generateAssistantResponse`.
 *
 * Kiro has no system field, no tool choice, no sampling parameters and no JSON mode. The
 * system prompt, and instructions standing in for a forced tool choice or a response
 * format, go in front of the first user message; sampling parameters, stop sequences and
 * reasoning settings have no Kiro form and are dropped. The last user turn is the current
 * message and carries the tool declarations; everything before it is history. The
 * validity repairs live in `conversation.ts` (turns) and `render-tools.ts` (tools).
 */
import type { IRRequest, ResponseFormat, ToolChoice } from '../ir.ts';
import { buildKiroTurns } from './conversation.ts';
import type { KiroTurn, KiroUserTurn } from './conversation.ts';
import { kiroModelId } from './model-id.ts';
import { renderKiroTools } from './render-tools.ts';
import { kiroToolName } from './tool-names.ts';
import type { KiroHistoryEntry, KiroRequestBody, KiroRequestOptions, KiroToolSpecification, KiroUserInputMessage } from './types.ts';

/**
 * @example
 * renderKiroRequest(ir, { conversationId: '6f1c…' }).conversationState.currentMessage.userInputMessage.modelId;
 * // 'claude-sonnet-4.5' for ir.model 'claude-sonnet-4-5-20250929'
 */
export function renderKiroRequest(ir: IRRequest, options: KiroRequestOptions): KiroRequestBody & Record<string, unknown> {
  const modelId = options.modelId ?? kiroModelId(ir.model);
  const calledInHistory = new Set<string>();
  for (const message of ir.messages) {
    for (const part of message.content) if (part.type === 'tool-call') calledInHistory.add(kiroToolName(part.name));
  }
  // `none` is honoured by not offering the tools, unless the history needs them declared.
  const offered = ir.toolChoice?.type === 'none' && calledInHistory.size === 0 ? [] : ir.tools;
  const { tools, systemSections } = renderKiroTools(offered, calledInHistory);
  const { history, current } = buildKiroTurns(ir.messages, systemPrompt(ir, offered.length > 0 ? ir.toolChoice : undefined, systemSections));
  const body: KiroRequestBody & Record<string, unknown> = {
    conversationState: {
      chatTriggerType: 'MANUAL',
      conversationId: options.conversationId,
      currentMessage: { userInputMessage: userInputMessage(current, modelId, tools) },
      history: history.map((turn) => historyEntry(turn, modelId)),
    },
  };
  if (options.profileArn !== undefined && options.profileArn !== '') body.profileArn = options.profileArn;
  return body;
}

function historyEntry(turn: KiroTurn, modelId: string): KiroHistoryEntry {
  if (turn.role === 'user') return { userInputMessage: userInputMessage(turn, modelId, []) };
  const message: KiroHistoryEntry = { assistantResponseMessage: { content: turn.content } };
  if (turn.toolUses.length > 0) message.assistantResponseMessage.toolUses = turn.toolUses;
  return message;
}

function userInputMessage(turn: KiroUserTurn, modelId: string, tools: KiroToolSpecification[]): KiroUserInputMessage {
  const message: KiroUserInputMessage = { content: turn.content, modelId, origin: 'AI_EDITOR' };
  if (turn.images.length > 0) message.images = turn.images;
  if (tools.length > 0 || turn.toolResults.length > 0) {
    message.userInputMessageContext = {};
    if (tools.length > 0) message.userInputMessageContext.tools = tools;
    if (turn.toolResults.length > 0) message.userInputMessageContext.toolResults = turn.toolResults;
  }
  return message;
}

/** Everything that would be a system prompt elsewhere, as one text. */
function systemPrompt(ir: IRRequest, toolChoice: ToolChoice | undefined, toolSections: string[]): string {
  const texts = ir.system.map((part) => part.text);
  for (const message of ir.messages) {
    if (message.role !== 'system' && message.role !== 'developer') continue;
    for (const part of message.content) if (part.type === 'text') texts.push(part.text);
  }
  const choice = toolChoiceInstruction(toolChoice);
  if (choice !== undefined) texts.push(choice);
  const format = ir.responseFormat === undefined ? undefined : responseFormatInstruction(ir.responseFormat);
  if (format !== undefined) texts.push(format);
  texts.push(...toolSections);
  return texts.filter((text) => text.trim() !== '').join('\n\n');
}

function toolChoiceInstruction(choice: ToolChoice | undefined): string | undefined {
  if (choice?.type === 'required') return 'Answer by calling one of the available tools.';
  if (choice?.type === 'tool') return `Answer by calling the tool "${kiroToolName(choice.name)}".`;
  return undefined;
}

function responseFormatInstruction(format: ResponseFormat): string | undefined {
  if (format.type === 'text') return undefined;
  if (format.type === 'json-object') return 'Respond only with a single valid JSON object. Do not add any text before or after the JSON.';
  return `Respond only with a JSON value that conforms to this JSON Schema. Do not add any text before or after the JSON.\n${JSON.stringify(format.schema)}`;
}
