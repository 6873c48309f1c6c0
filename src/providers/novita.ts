/** Novita AI: OpenAI-compatible at /v3/openai (the seed's /v1 does not answer chat). */
import type { ProviderDescriptor } from './types.ts';
import { TEXT_TOOLS } from './features.ts';

export const novita: ProviderDescriptor = {
  name: 'novita',
  displayName: 'Novita AI',
  category: 'aggregator',
  protocol: 'openai-chat',
  authType: 'api_key',
  endpoint: 'https://api.novita.ai/v3/openai',
  envKeys: ['NOVITA_API_KEY'],
  features: TEXT_TOOLS,
  healthPath: '/models',
  models: [
    { name: 'deepseek/deepseek-v3-0324', context: 163_840 },
    { name: 'deepseek/deepseek-r1', context: 163_840 },
    { name: 'meta-llama/llama-3.3-70b-instruct', context: 131_072 },
    { name: 'qwen/qwen3-coder-480b-a35b-instruct', context: 262_144 },
    { name: 'moonshotai/kimi-k2-instruct', context: 131_072 },
  ],
};
