/** DeepSeek: OpenAI-compatible; the reasoner streams `reasoning_content`. */
import type { ProviderDescriptor } from './types.ts';
import { TEXT_TOOLS } from './features.ts';

export const deepseek: ProviderDescriptor = {
  name: 'deepseek',
  displayName: 'DeepSeek',
  category: 'direct',
  protocol: 'openai-chat',
  authType: 'api_key',
  endpoint: 'https://api.deepseek.com',
  envKeys: ['DEEPSEEK_API_KEY'],
  features: TEXT_TOOLS,
  healthPath: '/models',
  models: [
    { name: 'deepseek-chat', context: 131_072, maxOutput: 8_192 },
    { name: 'deepseek-reasoner', context: 131_072, maxOutput: 65_536 },
  ],
};
