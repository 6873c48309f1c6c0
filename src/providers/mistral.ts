/** Mistral AI: OpenAI-compatible, with its own tool_choice spelling and fewer fields. */
import type { ProviderDescriptor } from './types.ts';
import { VISION_TOOLS } from './features.ts';
import { adaptForMistral } from './quirks.ts';

export const mistral: ProviderDescriptor = {
  name: 'mistral',
  displayName: 'Mistral AI',
  category: 'direct',
  protocol: 'openai-chat',
  authType: 'api_key',
  endpoint: 'https://api.mistral.ai/v1',
  envKeys: ['MISTRAL_API_KEY'],
  features: VISION_TOOLS,
  healthPath: '/models',
  quirks: adaptForMistral,
  models: [
    { name: 'mistral-large-latest', context: 131_072 },
    { name: 'mistral-medium-latest', context: 131_072 },
    { name: 'mistral-small-latest', context: 131_072 },
    { name: 'magistral-medium-latest', context: 40_960, vision: false },
    { name: 'codestral-latest', context: 262_144, vision: false },
    { name: 'devstral-medium-latest', context: 131_072, vision: false },
    { name: 'pixtral-large-latest', context: 131_072 },
    { name: 'ministral-8b-latest', context: 131_072, vision: false },
  ],
};
