/**
 * Anthropic `thinking` / `output_config.effort` ⇄ IR reasoning.
 *
 * In: `{type:"enabled", budget_tokens}` is an explicit budget; `{type:"adaptive"}` (Claude
 * Code) and `output_config.effort` are an effort; `{type:"disabled"}` is off.
 * Out: a same-format request gets back exactly the knob it sent; any other request gets
 * `{type:"enabled", budget_tokens}` from its budget, or from its effort via the table in
 * anthropic-thinking-budget.ts. `adaptive` and `output_config` are never sent cross-format:
 * only the newest models accept them.
 */
import type { ReasoningConfig } from '../ir.ts';
import { isRecord, numberOrUndefined, pickUnknownFields } from '../shared/json-value-guards.ts';
import { ANTHROPIC_MIN_THINKING_BUDGET, thinkingBudgetForEffort } from './anthropic-thinking-budget.ts';
import type { AnthropicSourceHints } from './types.ts';

type Effort = NonNullable<ReasoningConfig['effort']>;
const EFFORTS: ReadonlySet<string> = new Set(['minimal', 'low', 'medium', 'high', 'max']);

export function parseAnthropicReasoning(thinking: unknown, outputConfig: unknown, hints: AnthropicSourceHints): ReasoningConfig | undefined {
  let reasoning: ReasoningConfig | undefined;
  if (isRecord(thinking) && typeof thinking['type'] === 'string') {
    hints.thinkingType = thinking['type'];
    const rest = pickUnknownFields(thinking, new Set(['type', 'budget_tokens']));
    if (Object.keys(rest).length > 0) hints.thinkingExtra = rest;
    if (thinking['type'] === 'disabled') reasoning = { disabled: true };
    else if (thinking['type'] === 'enabled' || thinking['type'] === 'adaptive') {
      reasoning = { includeThoughts: true };
      const budget = numberOrUndefined(thinking['budget_tokens']);
      if (budget !== undefined) reasoning.budgetTokens = budget;
    }
  }
  if (isRecord(outputConfig)) {
    const rest = pickUnknownFields(outputConfig, new Set(['effort']));
    if (Object.keys(rest).length > 0) hints.outputConfigExtra = rest;
    const effort = outputConfig['effort'];
    if (typeof effort === 'string' && EFFORTS.has(effort)) {
      hints.outputConfigEffort = true;
      reasoning = { ...reasoning, effort: effort as Effort };
    } else if (effort !== undefined) {
      hints.outputConfigExtra = { ...hints.outputConfigExtra, effort };
    }
  }
  return reasoning;
}

export interface RenderedThinking {
  thinking?: Record<string, unknown>;
  /** The budget, when thinking is enabled with one: max_tokens must exceed it. */
  budget?: number;
}

/** `hints` is given only for a same-format request. */
export function renderAnthropicThinking(reasoning: ReasoningConfig | undefined, hints: AnthropicSourceHints | undefined): RenderedThinking {
  if (reasoning === undefined) return {};
  const extra = hints?.thinkingExtra;
  if (reasoning.disabled === true) return hints?.thinkingType === 'disabled' ? { thinking: { ...extra, type: 'disabled' } } : {};
  if (hints !== undefined && reasoning.budgetTokens === undefined) {
    if (hints.thinkingType === 'adaptive') return { thinking: { ...extra, type: 'adaptive' } };
    // The client sent only output_config.effort: that goes back on its own, thinking stays off.
    if (hints.thinkingType === undefined && hints.outputConfigEffort === true) return {};
  }
  let budget = reasoning.budgetTokens;
  if (budget === 0) return {};
  if (budget === undefined || budget < 0) {
    // A negative budget is Gemini's "dynamic"; includeThoughts alone asks for thinking at a default depth.
    const effort = reasoning.effort ?? (reasoning.includeThoughts === true || budget !== undefined ? 'medium' : undefined);
    if (effort === undefined) return {};
    budget = thinkingBudgetForEffort(effort);
  }
  budget = Math.max(budget, ANTHROPIC_MIN_THINKING_BUDGET);
  return { thinking: { ...extra, type: 'enabled', budget_tokens: budget }, budget };
}
