/** SiliconFlow: OpenAI-compatible, hosted open-weight models. */
import type { ProviderDescriptor } from './types.ts';
import { TEXT_TOOLS } from './features.ts';

export const siliconflow: ProviderDescriptor = {
  name: 'siliconflow',
  displayName: 'SiliconFlow',
  category: 'aggregator',
  protocol: 'openai-chat',
  authType: 'api_key',
  endpoint: 'https://api.siliconflow.cn/v1',
  envKeys: ['SILICONFLOW_API_KEY'],
  features: TEXT_TOOLS,
  healthPath: '/models',
  models: [
    { name: 'deepseek-ai/DeepSeek-V3', context: 131_072 },
    { name: 'deepseek-ai/DeepSeek-R1', context: 131_072 },
    { name: 'Qwen/Qwen3-Coder-480B-A35B-Instruct', context: 262_144 },
    { name: 'Qwen/Qwen2.5-Coder-32B-Instruct', context: 32_768 },
    { name: 'moonshotai/Kimi-K2-Instruct', context: 131_072 },
  ],
};
