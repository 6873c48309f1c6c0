/** MiniMax: OpenAI-compatible at api.minimax.io (api.minimaxi.com in mainland China). */
import type { ProviderDescriptor } from './types.ts';
import { TEXT_TOOLS } from './features.ts';

export const minimax: ProviderDescriptor = {
  name: 'minimax',
  displayName: 'MiniMax',
  category: 'proprietary',
  protocol: 'openai-chat',
  authType: 'api_key',
  endpoint: 'https://api.minimax.io/v1',
  envKeys: ['MINIMAX_API_KEY'],
  features: TEXT_TOOLS,
  models: [
    { name: 'MiniMax-M2', context: 204_800 },
    { name: 'MiniMax-M1', context: 1_000_000 },
    { name: 'MiniMax-Text-01', context: 1_000_192 },
  ],
};
