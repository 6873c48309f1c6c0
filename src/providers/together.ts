/** Together AI: open-weight models at scale, OpenAI-compatible. */
import type { ProviderDescriptor } from './types.ts';
import { TEXT_TOOLS } from './features.ts';

export const together: ProviderDescriptor = {
  name: 'together',
  displayName: 'Together AI',
  category: 'aggregator',
  protocol: 'openai-chat',
  authType: 'api_key',
  endpoint: 'https://api.together.xyz/v1',
  envKeys: ['TOGETHER_API_KEY'],
  features: TEXT_TOOLS,
  healthPath: '/models',
  models: [
    { name: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', context: 131_072 },
    { name: 'deepseek-ai/DeepSeek-V3', context: 131_072 },
    { name: 'deepseek-ai/DeepSeek-R1', context: 163_840 },
    { name: 'Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8', context: 262_144 },
    { name: 'Qwen/Qwen2.5-Coder-32B-Instruct', context: 32_768 },
    { name: 'moonshotai/Kimi-K2-Instruct', context: 131_072 },
    { name: 'meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8', context: 1_048_576, vision: true, multimodal: true },
  ],
};
