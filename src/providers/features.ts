/** Feature sets shared by several provider descriptors. */
import type { ProviderDescriptor } from './types.ts';

type Features = ProviderDescriptor['features'];

/** A chat model with tools and streaming, text only. */
export const TEXT_TOOLS: Features = { streaming: true, functions: true, vision: false, code_generation: true, multimodal: false };
/** Text, tools, streaming and image input. */
export const VISION_TOOLS: Features = { streaming: true, functions: true, vision: true, code_generation: true, multimodal: true };
