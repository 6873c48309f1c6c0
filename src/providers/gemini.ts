/** Google's Generative Language API (provider `gemini`). */
import type { ProviderDescriptor } from './types.ts';
import { VISION_TOOLS } from './features.ts';

export const gemini: ProviderDescriptor = {
  name: 'gemini',
  displayName: 'Gemini (Google)',
  category: 'direct',
  protocol: 'gemini',
  authType: 'api_key',
  endpoint: 'https://generativelanguage.googleapis.com',
  envKeys: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
  features: VISION_TOOLS,
  healthPath: '/v1beta/models',
  models: [
    { name: 'gemini-2.5-pro', context: 1_048_576, maxOutput: 65_536 },
    { name: 'gemini-2.5-flash', context: 1_048_576, maxOutput: 65_536 },
    { name: 'gemini-2.5-flash-lite', context: 1_048_576, maxOutput: 65_536 },
    { name: 'gemini-2.0-flash', context: 1_048_576, maxOutput: 8_192 },
    { name: 'gemini-3-pro-preview', context: 1_048_576, maxOutput: 65_536 },
  ],
  // Gemini 1.x is retired upstream: the seed's names resolve to the current generation.
  mappings: {
    'gemini-1.5-pro': 'gemini-2.5-pro',
    'gemini-1.5-flash': 'gemini-2.5-flash',
    'gemini-1.0-pro': 'gemini-2.0-flash',
  },
};
