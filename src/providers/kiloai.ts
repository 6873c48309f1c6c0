/** Kilo AI (Kilo Code): OpenRouter-compatible gateway; model ids are OpenRouter slugs. */
import type { ProviderDescriptor } from './types.ts';
import { VISION_TOOLS } from './features.ts';

export const kiloai: ProviderDescriptor = {
  name: 'kiloai',
  displayName: 'Kilo AI',
  category: 'proprietary',
  protocol: 'openai-chat',
  authType: 'api_key',
  endpoint: 'https://api.kilo.ai/api/openrouter',
  envKeys: ['KILOCODE_API_KEY'],
  features: VISION_TOOLS,
  healthPath: '/models',
  models: [
    { name: 'anthropic/claude-sonnet-4.5', context: 1_000_000 },
    { name: 'openai/gpt-5', context: 400_000 },
    { name: 'google/gemini-2.5-pro', context: 1_048_576 },
    { name: 'x-ai/grok-code-fast-1', context: 256_000, vision: false, multimodal: false },
  ],
};
