/**
 * OpenAI `reasoning_effort` ⇄ IR reasoning. `none` means thinking off; `xhigh` (gpt-5.x) is
 * the IR's `max`. Going out, `max` becomes `xhigh` only for a client that spoke OpenAI (so
 * its own value comes back); for anyone else it becomes `high`, the top value every OpenAI
 * reasoning model accepts. A bare budget (from Anthropic or Gemini) is turned into an effort.
 */
import type { ReasoningConfig } from '../ir.ts';

type Effort = NonNullable<ReasoningConfig['effort']>;

export function parseOpenAIReasoningEffort(value: unknown): ReasoningConfig | undefined {
  switch (value) {
    case 'none':
      return { disabled: true };
    case 'minimal':
    case 'low':
    case 'medium':
    case 'high':
      return { effort: value };
    case 'xhigh':
      return { effort: 'max' };
    default:
      return undefined;
  }
}

export function renderOpenAIReasoningEffort(reasoning: ReasoningConfig | undefined, sameFormat: boolean): string | undefined {
  if (reasoning === undefined) return undefined;
  if (reasoning.disabled === true) return sameFormat ? 'none' : undefined;
  const effort = reasoning.effort ?? (reasoning.budgetTokens === undefined ? undefined : effortForBudget(reasoning.budgetTokens));
  if (effort === undefined) return undefined;
  if (effort === 'max') return sameFormat ? 'xhigh' : 'high';
  return effort;
}

/** Thresholds follow the budgets the Anthropic adapter sends per effort (1024 / 8192 / 24576). */
function effortForBudget(budget: number): Effort {
  if (budget <= 1024) return 'low';
  if (budget <= 8192) return 'medium';
  return 'high';
}
