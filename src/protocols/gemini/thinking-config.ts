/**
 * Gemini `thinkingConfig` ⇄ IR reasoning.
 *
 * Gemini 2.x takes a token budget (`thinkingBudget`: 0 = off, -1 = dynamic); Gemini 3 takes
 * `thinkingLevel` (`low` | `high` on Pro; `minimal` | `low` | `medium` | `high` on Flash) and
 * still accepts a budget. Going out, an explicit budget is sent as is; an abstract effort becomes a level
 * for Gemini 3 (and unknown models) and a budget for 1.x/2.x. Gemini 3 cannot switch thinking
 * off, so "disabled" becomes its lowest level there. Models without thinking get no config.
 */
import type { ReasoningConfig } from '../ir.ts';
import { booleanOrUndefined, isRecord, numberOrUndefined, stringOrUndefined } from '../shared/json-value-guards.ts';

type Effort = NonNullable<ReasoningConfig['effort']>;

const BUDGET_FOR_EFFORT: Record<Effort, number> = { minimal: 512, low: 1024, medium: 8192, high: 24576, max: 24576 };

export function parseThinkingConfig(value: unknown): ReasoningConfig | undefined {
  if (!isRecord(value)) return undefined;
  const reasoning: ReasoningConfig = {};
  const budget = numberOrUndefined(value['thinkingBudget']);
  if (budget === 0) reasoning.disabled = true;
  else if (budget !== undefined && budget > 0) reasoning.budgetTokens = budget;
  const level = stringOrUndefined(value['thinkingLevel'])?.toLowerCase();
  if (level === 'minimal' || level === 'low' || level === 'medium' || level === 'high') reasoning.effort = level;
  const include = booleanOrUndefined(value['includeThoughts']);
  if (include !== undefined) reasoning.includeThoughts = include;
  return Object.keys(reasoning).length === 0 ? undefined : reasoning;
}

function usesThinkingBudget(model: string): boolean {
  return /gemini-(1|2)(\.|-)/.test(model);
}

/** Gemini 3 Flash takes four levels; Pro only `low` and `high`. */
function thinkingLevelFor(effort: Effort, model: string): string {
  if (effort === 'max') return 'high';
  if (/flash/.test(model)) return effort;
  return effort === 'minimal' || effort === 'low' ? 'low' : 'high';
}

/** Gemini 1.x and 2.0 (but for the 2.0 thinking experiment) answer 400 to any thinkingConfig. */
function supportsThinking(model: string): boolean {
  return !/gemini-(1\.\d|2\.0)/.test(model) || /thinking/.test(model);
}

export function renderThinkingConfig(reasoning: ReasoningConfig | undefined, model: string): Record<string, unknown> | undefined {
  if (reasoning === undefined || !supportsThinking(model)) return undefined;
  const config: Record<string, unknown> = {};
  const budgetModel = usesThinkingBudget(model);
  if (reasoning.disabled === true) {
    if (budgetModel) config['thinkingBudget'] = 0;
    else config['thinkingLevel'] = 'low';
  } else if (reasoning.budgetTokens !== undefined) {
    config['thinkingBudget'] = reasoning.budgetTokens;
  } else if (reasoning.effort !== undefined) {
    if (budgetModel) config['thinkingBudget'] = BUDGET_FOR_EFFORT[reasoning.effort];
    else config['thinkingLevel'] = thinkingLevelFor(reasoning.effort, model);
  }
  if (reasoning.includeThoughts !== undefined && reasoning.disabled !== true) config['includeThoughts'] = reasoning.includeThoughts;
  return Object.keys(config).length === 0 ? undefined : config;
}
