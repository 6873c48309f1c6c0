/** OpenRouter: one key, many vendors' models, addressed as `vendor/model`. */
import type { ProviderDescriptor } from './types.ts';
import { VISION_TOOLS } from './features.ts';

export const openrouter: ProviderDescriptor = {
  name: 'openrouter',
  displayName: 'OpenRouter',
  category: 'aggregator',
  protocol: 'openai-chat',
  authType: 'api_key',
  endpoint: 'https://openrouter.ai/api/v1',
  envKeys: ['OPENROUTER_API_KEY'],
  features: VISION_TOOLS,
  healthPath: '/models',
  models: [
    { name: 'anthropic/claude-sonnet-4.5', context: 1_000_000 },
    { name: 'anthropic/claude-opus-4.1', context: 200_000 },
    { name: 'anthropic/claude-3.5-sonnet', context: 200_000 },
    { name: 'openai/gpt-5', context: 400_000 },
    { name: 'openai/gpt-4o', context: 128_000 },
    { name: 'openai/gpt-4-turbo', context: 128_000 },
    { name: 'google/gemini-2.5-pro', context: 1_048_576 },
    { name: 'google/gemini-2.5-flash', context: 1_048_576 },
    { name: 'google/gemini-pro-1.5', context: 2_000_000 },
    { name: 'deepseek/deepseek-chat', context: 163_840, vision: false, multimodal: false },
    { name: 'meta-llama/llama-3.3-70b-instruct', context: 131_072, vision: false, multimodal: false },
    { name: 'qwen/qwen3-coder', context: 262_144, vision: false, multimodal: false },
  ],
  // The seed's default mappings: canonical names to OpenRouter's slugs.
  mappings: {
    'claude-3-5-sonnet': 'anthropic/claude-3.5-sonnet',
    'claude-sonnet-4-5': 'anthropic/claude-sonnet-4.5',
    'gpt-4-turbo': 'openai/gpt-4-turbo',
    'gpt-4o': 'openai/gpt-4o',
    'gpt-5': 'openai/gpt-5',
    'gemini-1.5-pro': 'google/gemini-pro-1.5',
    'gemini-2.5-pro': 'google/gemini-2.5-pro',
    'gemini-2.5-flash': 'google/gemini-2.5-flash',
  },
};
