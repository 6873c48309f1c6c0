/** Kiro (AWS CodeWhisperer): Claude models over AWS's event-stream protocol, OAuth device flow. */
import type { ProviderDescriptor } from './types.ts';
import { VISION_TOOLS } from './features.ts';

export const kiro: ProviderDescriptor = {
  name: 'kiro',
  displayName: 'Kiro (AWS CodeWhisperer)',
  category: 'proprietary',
  protocol: 'kiro',
  authType: 'oauth_device_flow',
  endpoint: 'https://q.us-east-1.amazonaws.com',
  envKeys: [],
  // The seed's matrix says no streaming, tools or vision; the wire has all three.
  features: VISION_TOOLS,
  notServedYet: 'Kiro serving arrives with its OAuth device flow and event-stream decoder',
  models: [
    { name: 'claude-sonnet-4.5', context: 200_000 },
    { name: 'claude-sonnet-4', context: 200_000 },
    { name: 'claude-haiku-4.5', context: 200_000 },
    { name: 'claude-opus-4.5', context: 200_000 },
    { name: 'auto', context: 200_000 },
  ],
  // Anthropic's names, dashed and dated (Claude Code sends the dated ones), to Kiro's ids.
  mappings: {
    'claude-sonnet-4-5-20250929': 'claude-sonnet-4.5',
    'claude-haiku-4-5-20251001': 'claude-haiku-4.5',
    'claude-opus-4-5-20251101': 'claude-opus-4.5',
    'claude-sonnet-4-20250514': 'claude-sonnet-4',
    'claude-sonnet-4-5': 'claude-sonnet-4.5',
    'claude-sonnet-4-0': 'claude-sonnet-4',
    'claude-haiku-4-5': 'claude-haiku-4.5',
    'claude-opus-4-5': 'claude-opus-4.5',
  },
};
