/**
 * Real client bodies across the two formats of this folder pair: Codex CLI (Responses) to a
 * Gemini upstream, and Gemini CLI to a Responses upstream. Exact outputs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseResponsesRequest, renderResponsesRequest } from '../openai-responses/request.ts';
import { parseGeminiRequest, renderGeminiRequest } from './request.ts';

describe('cross-format requests between Responses and Gemini', () => {
  it('Codex → Gemini: flattened namespace names, tool results named by their calls, hosted tools dropped', () => {
    const codex = {
      model: 'gemini-2.5-pro',
      instructions: 'You are Codex.',
      input: [
        { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Sandbox: read-only.' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Spawn a helper, then patch.' }] },
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'Plan' }], encrypted_content: 'gAAAA' },
        { type: 'function_call', call_id: 'call_1', name: 'spawn_agent', namespace: 'collaboration', arguments: '{"message":"hi"}' },
        { type: 'function_call_output', call_id: 'call_1', output: '{"agent_id":"a1"}' },
        { type: 'custom_tool_call', call_id: 'call_2', name: 'apply_patch', input: '*** Begin Patch' },
        { type: 'custom_tool_call_output', call_id: 'call_2', output: 'Done' },
      ],
      tools: [
        {
          type: 'namespace',
          name: 'collaboration',
          tools: [{ type: 'function', name: 'spawn_agent', description: 'Spawns an agent.', parameters: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'], additionalProperties: false }, strict: true }],
        },
        { type: 'custom', name: 'apply_patch', description: 'Edit files.' },
        { type: 'web_search' },
      ],
      tool_choice: 'auto',
      reasoning: { effort: 'high', summary: 'auto' },
      store: false,
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: 'p',
      stream: true,
    };
    assert.deepEqual(renderGeminiRequest(parseResponsesRequest(codex)), {
      contents: [
        { role: 'user', parts: [{ text: 'Spawn a helper, then patch.' }] },
        // OpenAI's encrypted reasoning cannot go to Gemini; its summary stays as a thought.
        { role: 'model', parts: [{ text: 'Plan', thought: true }, { functionCall: { name: 'collaboration__spawn_agent', args: { message: 'hi' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'collaboration__spawn_agent', response: { agent_id: 'a1' } } }] },
        { role: 'model', parts: [{ functionCall: { name: 'apply_patch', args: { input: '*** Begin Patch' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'apply_patch', response: { result: 'Done' } } }] },
      ],
      systemInstruction: { parts: [{ text: 'You are Codex.' }, { text: 'Sandbox: read-only.' }] },
      tools: [
        {
          functionDeclarations: [
            { name: 'collaboration__spawn_agent', description: 'Spawns an agent.', parameters: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] } },
            {
              name: 'apply_patch',
              description: 'Edit files.',
              parameters: { type: 'object', properties: { input: { type: 'string', description: 'The raw input of this freeform tool (plain text, not JSON).' } }, required: ['input'] },
            },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: 'AUTO' } },
      generationConfig: { thinkingConfig: { thinkingBudget: 24576, includeThoughts: true } },
    });
  });

  it('Gemini CLI → Responses: made-up call ids pair calls with results, Gemini signatures and hosted tools dropped', () => {
    const gemini = {
      contents: [
        { role: 'user', parts: [{ text: 'List files' }] },
        { role: 'model', parts: [{ text: 'thinking', thought: true, thoughtSignature: 'GSIG' }, { functionCall: { name: 'list_directory', args: { path: '.' } }, thoughtSignature: 'CSIG' }] },
        { role: 'user', parts: [{ functionResponse: { name: 'list_directory', response: { output: 'a.txt' } } }] },
      ],
      systemInstruction: { role: 'user', parts: [{ text: 'You are Gemini CLI.' }] },
      tools: [{ functionDeclarations: [{ name: 'list_directory', description: 'Lists a directory.', parametersJsonSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } }] }, { googleSearch: {} }],
      generationConfig: { temperature: 0, topP: 1, topK: 64, thinkingConfig: { includeThoughts: true } },
    };
    assert.deepEqual(renderResponsesRequest(parseGeminiRequest(gemini, { model: 'gpt-5-codex', stream: true })), {
      model: 'gpt-5-codex',
      instructions: 'You are Gemini CLI.',
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'List files' }] },
        { type: 'function_call', call_id: 'call_gemini_0', name: 'list_directory', arguments: '{"path":"."}' },
        { type: 'function_call_output', call_id: 'call_gemini_0', output: '{"output":"a.txt"}' },
      ],
      tools: [{ type: 'function', name: 'list_directory', description: 'Lists a directory.', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] }, strict: false }],
      temperature: 0,
      top_p: 1,
      reasoning: { summary: 'auto' },
      stream: true,
      store: false,
      include: ['reasoning.encrypted_content'],
    });
  });
});
