/**
 * The sixteen built-in providers, in the seed's order. Adding one is a descriptor file
 * beside this one and a line here.
 */
import type { ProviderDescriptor } from './types.ts';
import { claude } from './claude.ts';
import { gemini } from './gemini.ts';
import { openai } from './openai.ts';
import { mistral } from './mistral.ts';
import { groq } from './groq.ts';
import { deepseek } from './deepseek.ts';
import { openrouter } from './openrouter.ts';
import { together } from './together.ts';
import { fireworks } from './fireworks.ts';
import { novita } from './novita.ts';
import { siliconflow } from './siliconflow.ts';
import { kiro } from './kiro.ts';
import { copilot } from './copilot.ts';
import { roocode } from './roocode.ts';
import { kiloai } from './kiloai.ts';
import { minimax } from './minimax.ts';

export const BUILTIN_DESCRIPTORS: readonly ProviderDescriptor[] = [
  claude, gemini, openai, mistral, groq, deepseek,
  openrouter, together, fireworks, novita, siliconflow,
  kiro, copilot, roocode, kiloai, minimax,
];

export const BUILTIN_BY_NAME: ReadonlyMap<string, ProviderDescriptor> = new Map(
  BUILTIN_DESCRIPTORS.map((descriptor) => [descriptor.name, descriptor]),
);

/** `type` values for a generic OpenAI-compatible endpoint (`custom` is the seed's word). */
export const OPENAI_COMPATIBLE_TYPES = new Set(['openai_compatible', 'openai-compatible', 'custom']);
