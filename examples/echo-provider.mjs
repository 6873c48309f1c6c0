// An external cliproxy provider: an ES module whose default export is a factory that
// receives the provider's config entry and returns an object implementing the Provider
// interface (see README, "Adding a provider"). This one answers every chat request by
// echoing the last user message, optionally prefixed (options.prefix). Load it with:
//
//   providers:
//     echo:
//       module: ./examples/echo-provider.mjs
//       models: [echo-1]
//       options: { prefix: "echo: " }

/** @param {{name: string, endpoint?: string, api_keys: string[], models: Array<{name: string}>, headers: Record<string,string>, options: Record<string, unknown>}} config */
export default function createProvider(config) {
  const prefix = typeof config.options.prefix === 'string' ? config.options.prefix : '';
  const models = config.models.length > 0 ? config.models.map((model) => model.name) : ['echo-1'];
  const capabilities = { streaming: true, functions: false, vision: false, code_generation: false, multimodal: false, max_tokens: 8192 };

  function reply(request) {
    const last = [...request.messages].reverse().find((message) => message.role === 'user');
    const text = typeof last?.content === 'string'
      ? last.content
      : (last?.content ?? []).filter((part) => part.type === 'text').map((part) => part.text).join('');
    return prefix + text;
  }

  return {
    name: () => config.name,
    type: () => 'custom',
    supportsModel: (model) => models.includes(model),
    listModels: () => models.map((name) => ({ name, enabled: true, capabilities })),
    authType: () => 'none',
    requiresAuth: () => false,
    supportsStreaming: () => true,
    supportsFunctions: () => false,
    supportsVision: () => false,
    supportsCodeGeneration: () => false,
    maxTokens: () => capabilities.max_tokens,
    async healthCheck() {},

    async execute(request) {
      const content = reply(request);
      return {
        id: `echo-${Date.now()}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: request.model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
        usage: { prompt_tokens: 0, completion_tokens: content.length, total_tokens: content.length },
      };
    },

    async *executeStream(request) {
      const id = `echo-${Date.now()}`;
      const created = Math.floor(Date.now() / 1000);
      const base = { id, object: 'chat.completion.chunk', created, model: request.model };
      yield { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] };
      for (const word of reply(request).split(/(?<= )/)) {
        yield { ...base, choices: [{ index: 0, delta: { content: word }, finish_reason: null }] };
      }
      yield { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] };
    },
  };
}
