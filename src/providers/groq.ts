/** Groq: OpenAI-compatible at /openai/v1; reasoning arrives as `reasoning`. */
import type { ProviderDescriptor } from './types.ts';
import { TEXT_TOOLS } from './features.ts';

export const groq: ProviderDescriptor = {
  name: 'groq',
  displayName: 'Groq',
  category: 'direct',
  protocol: 'openai-chat',
  authType: 'api_key',
  endpoint: 'https://api.groq.com/openai/v1',
  envKeys: ['GROQ_API_KEY'],
  features: TEXT_TOOLS,
  healthPath: '/models',
  models: [
    { name: 'llama-3.3-70b-versatile', context: 131_072, maxOutput: 32_768 },
    { name: 'llama-3.1-8b-instant', context: 131_072, maxOutput: 131_072 },
    { name: 'openai/gpt-oss-120b', context: 131_072, maxOutput: 65_536 },
    { name: 'openai/gpt-oss-20b', context: 131_072, maxOutput: 65_536 },
    { name: 'qwen/qwen3-32b', context: 131_072, maxOutput: 40_960 },
    { name: 'moonshotai/kimi-k2-instruct', context: 131_072, maxOutput: 16_384 },
    { name: 'meta-llama/llama-4-scout-17b-16e-instruct', context: 131_072, maxOutput: 8_192, vision: true, multimodal: true },
    { name: 'meta-llama/llama-4-maverick-17b-128e-instruct', context: 131_072, maxOutput: 8_192, vision: true, multimodal: true },
  ],
};
