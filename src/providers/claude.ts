/** Anthropic's Messages API (provider `claude`). */
import type { ProviderDescriptor } from './types.ts';
import { VISION_TOOLS } from './features.ts';

export const claude: ProviderDescriptor = {
  name: 'claude',
  displayName: 'Claude (Anthropic)',
  category: 'direct',
  protocol: 'anthropic',
  authType: 'api_key',
  endpoint: 'https://api.anthropic.com',
  envKeys: ['ANTHROPIC_API_KEY'],
  features: VISION_TOOLS,
  headers: { 'anthropic-version': '2023-06-01' },
  healthPath: '/v1/models',
  models: [
    { name: 'claude-opus-4-5', context: 200_000, maxOutput: 64_000 },
    { name: 'claude-sonnet-4-5', context: 200_000, maxOutput: 64_000 },
    { name: 'claude-haiku-4-5', context: 200_000, maxOutput: 64_000 },
    { name: 'claude-opus-4-1', context: 200_000, maxOutput: 32_000 },
    { name: 'claude-sonnet-4-0', context: 200_000, maxOutput: 64_000 },
    { name: 'claude-3-7-sonnet-latest', context: 200_000, maxOutput: 64_000 },
    { name: 'claude-3-5-sonnet-20241022', context: 200_000, maxOutput: 8_192 },
    { name: 'claude-3-5-haiku-20241022', context: 200_000, maxOutput: 8_192 },
    { name: 'claude-3-opus-20240229', context: 200_000, maxOutput: 4_096 },
  ],
  // The seed's names for the Claude 3 generation resolve to dated upstream ids.
  mappings: {
    'claude-3-5-sonnet': 'claude-3-5-sonnet-20241022',
    'claude-3-5-haiku': 'claude-3-5-haiku-20241022',
    'claude-3-opus': 'claude-3-opus-20240229',
    'claude-sonnet-4': 'claude-sonnet-4-0',
  },
};
