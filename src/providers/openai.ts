/** OpenAI: the reference Chat Completions API. */
import type { ProviderDescriptor } from './types.ts';
import { VISION_TOOLS } from './features.ts';
import { renameMaxTokensForReasoningModels } from './quirks.ts';

export const openai: ProviderDescriptor = {
  name: 'openai',
  displayName: 'OpenAI',
  category: 'direct',
  protocol: 'openai-chat',
  speaks: ['openai-chat', 'openai-responses'],
  authType: 'api_key',
  endpoint: 'https://api.openai.com/v1',
  envKeys: ['OPENAI_API_KEY'],
  features: VISION_TOOLS,
  healthPath: '/models',
  quirks: renameMaxTokensForReasoningModels,
  models: [
    { name: 'gpt-5', context: 400_000, maxOutput: 128_000 },
    { name: 'gpt-5-mini', context: 400_000, maxOutput: 128_000 },
    { name: 'gpt-5-nano', context: 400_000, maxOutput: 128_000 },
    { name: 'gpt-4.1', context: 1_047_576, maxOutput: 32_768 },
    { name: 'gpt-4.1-mini', context: 1_047_576, maxOutput: 32_768 },
    { name: 'gpt-4.1-nano', context: 1_047_576, maxOutput: 32_768 },
    { name: 'gpt-4o', context: 128_000, maxOutput: 16_384 },
    { name: 'gpt-4o-mini', context: 128_000, maxOutput: 16_384 },
    { name: 'o3', context: 200_000, maxOutput: 100_000 },
    { name: 'o4-mini', context: 200_000, maxOutput: 100_000 },
    { name: 'gpt-4-turbo', context: 128_000, maxOutput: 4_096 },
    { name: 'gpt-4', context: 8_192, maxOutput: 8_192, vision: false },
    { name: 'gpt-3.5-turbo', context: 16_385, maxOutput: 4_096, vision: false },
  ],
};
