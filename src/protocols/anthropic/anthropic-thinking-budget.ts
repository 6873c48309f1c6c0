/**
 * IR reasoning effort → Anthropic `thinking.budget_tokens`. The budgets are the ones the
 * seed project (CLIProxyAPI) documents for its effort levels — low 1024, medium 8192, high
 * 24576, xhigh 32768 — with `minimal` raised to Anthropic's floor of 1024 tokens.
 */
import type { ReasoningConfig } from '../ir.ts';

export const ANTHROPIC_MIN_THINKING_BUDGET = 1024;

const BUDGET_BY_EFFORT: Readonly<Record<NonNullable<ReasoningConfig['effort']>, number>> = {
  minimal: 1024,
  low: 1024,
  medium: 8192,
  high: 24576,
  max: 32768,
};

export function thinkingBudgetForEffort(effort: NonNullable<ReasoningConfig['effort']>): number {
  return BUDGET_BY_EFFORT[effort];
}
