/** Roo Code Cloud: an OpenAI-compatible proxy at api.roocode.com/proxy/v1. */
import type { ProviderDescriptor } from './types.ts';
import { VISION_TOOLS } from './features.ts';

export const roocode: ProviderDescriptor = {
  name: 'roocode',
  displayName: 'Roo Code',
  category: 'proprietary',
  protocol: 'openai-chat',
  authType: 'api_key',
  endpoint: 'https://api.roocode.com/proxy/v1',
  envKeys: ['ROOCODE_API_KEY'],
  features: VISION_TOOLS,
  healthPath: '/models',
  models: [
    { name: 'roo/code-supernova', context: 200_000 },
    { name: 'xai/grok-code-fast-1', context: 262_144, vision: false, multimodal: false },
  ],
};
