/** GitHub Copilot: OpenAI-format chat behind a GitHub device flow and a token exchange. */
import type { ProviderDescriptor } from './types.ts';
import { VISION_TOOLS } from './features.ts';

export const copilot: ProviderDescriptor = {
  name: 'copilot',
  displayName: 'GitHub Copilot',
  category: 'proprietary',
  protocol: 'openai-chat',
  authType: 'oauth_device_flow',
  endpoint: 'https://api.githubcopilot.com',
  envKeys: [],
  // The seed's matrix says no functions or vision; Copilot's /models reports both.
  features: VISION_TOOLS,
  notServedYet: 'Copilot serving arrives with its OAuth device flow and token exchange',
  models: [
    { name: 'gpt-4.1', context: 128_000 },
    { name: 'gpt-4o', context: 128_000 },
    { name: 'gpt-5-mini', context: 264_000 },
    { name: 'gpt-5', context: 264_000 },
    { name: 'claude-sonnet-4.5', context: 200_000 },
    { name: 'claude-sonnet-4', context: 200_000 },
    { name: 'gemini-2.5-pro', context: 128_000 },
  ],
  mappings: {
    'claude-sonnet-4-5-20250929': 'claude-sonnet-4.5',
    'claude-sonnet-4-20250514': 'claude-sonnet-4',
    'claude-sonnet-4-5': 'claude-sonnet-4.5',
    'claude-sonnet-4-0': 'claude-sonnet-4',
  },
};
