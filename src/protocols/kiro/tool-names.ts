/**
 * Tool names Kiro accepts. Kiro rejects a request whose tool names exceed 64 characters, and
 * (like Bedrock, whose tool-name pattern is `[a-zA-Z0-9_-]{1,64}`) we keep to letters, digits,
 * `_` and `-`. Any other name is rewritten deterministically: unsafe characters become `_`, the
 * name is cut, and a CRC32 of the original name is appended so two long names sharing a
 * prefix stay distinct. Deterministic means the server can recompute the reverse map
 * (`kiroToolNames`) from the same IR request and hand it to the stream parser, which maps
 * names in responses back to the client's own.
 */
import { crc32 } from 'node:zlib';
import type { IRRequest } from '../ir.ts';

export const KIRO_TOOL_NAME_MAX = 64;

const SAFE_NAME = /^[A-Za-z0-9_-]+$/;
const UNSAFE_CHARACTER = /[^A-Za-z0-9_-]/g;

/**
 * @example
 * kiroToolName('get_weather');          // 'get_weather' (unchanged)
 * kiroToolName('mcp.server/read file'); // 'mcp_server_read_file_' + 8 hex digits
 */
export function kiroToolName(name: string): string {
  if (SAFE_NAME.test(name) && name.length <= KIRO_TOOL_NAME_MAX) return name;
  const suffix = `_${crc32(name).toString(16).padStart(8, '0')}`;
  const safe = name.replace(UNSAFE_CHARACTER, '_');
  return safe.slice(0, KIRO_TOOL_NAME_MAX - suffix.length) + suffix;
}

/**
 * Wire name → original name, for every tool name of the request that `kiroToolName` changes
 * (declared tools and tools called in the history). Pass it to `createKiroStreamParser`.
 */
export function kiroToolNames(request: IRRequest): Map<string, string> {
  const names = new Map<string, string>();
  const add = (name: string): void => {
    const wire = kiroToolName(name);
    if (wire !== name) names.set(wire, name);
  };
  for (const tool of request.tools) add(tool.name);
  for (const message of request.messages) {
    for (const part of message.content) {
      if (part.type === 'tool-call') add(part.name);
      if (part.type === 'tool-result' && part.name !== undefined) add(part.name);
    }
  }
  return names;
}
