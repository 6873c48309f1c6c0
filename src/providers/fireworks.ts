/** Fireworks AI: fast open-weight inference; model ids are account paths. */
import type { ProviderDescriptor } from './types.ts';
import { TEXT_TOOLS } from './features.ts';

export const fireworks: ProviderDescriptor = {
  name: 'fireworks',
  displayName: 'Fireworks AI',
  category: 'aggregator',
  protocol: 'openai-chat',
  authType: 'api_key',
  endpoint: 'https://api.fireworks.ai/inference/v1',
  envKeys: ['FIREWORKS_API_KEY'],
  features: TEXT_TOOLS,
  healthPath: '/models',
  models: [
    { name: 'accounts/fireworks/models/llama-v3p3-70b-instruct', context: 131_072 },
    { name: 'accounts/fireworks/models/deepseek-v3', context: 131_072 },
    { name: 'accounts/fireworks/models/deepseek-r1', context: 163_840 },
    { name: 'accounts/fireworks/models/qwen3-coder-480b-a35b-instruct', context: 262_144 },
    { name: 'accounts/fireworks/models/kimi-k2-instruct', context: 131_072 },
  ],
};
