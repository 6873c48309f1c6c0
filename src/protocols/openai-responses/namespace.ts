/**
 * Codex CLI sends `namespace` tools: `{type:"namespace", name:"collaboration", tools:[function
 * tools]}`, and the model calls a member as `{type:"function_call", namespace:"collaboration",
 * name:"spawn_agent"}`. Other formats have only flat function names, so a member becomes the
 * IR tool `<namespace>__<name>` (`collaboration__spawn_agent`): `__` keeps the name inside the
 * `[a-zA-Z0-9_-]` alphabet every vendor accepts and cannot be confused with a plain name
 * unless the client itself uses that exact flat name too. Rendering back to the Responses API
 * splits the name again for the namespaces the request declared.
 */
import type { ResponsesNamespace } from './types.ts';

export const NAMESPACE_SEPARATOR = '__';

export function flattenToolName(namespace: string | undefined, name: string): string {
  return namespace === undefined || namespace === '' ? name : `${namespace}${NAMESPACE_SEPARATOR}${name}`;
}

export interface NamespacedName {
  name: string;
  namespace?: string;
}

/** Flat IR name → Responses name (+ namespace), for the namespaces a request declared. */
export function createNameSplitter(namespaces: ResponsesNamespace[] | undefined): (flat: string) => NamespacedName {
  const members = new Map<string, NamespacedName>();
  for (const namespace of namespaces ?? []) {
    const prefix = `${namespace.name}${NAMESPACE_SEPARATOR}`;
    for (const flat of namespace.members) {
      if (flat.startsWith(prefix)) members.set(flat, { name: flat.slice(prefix.length), namespace: namespace.name });
    }
  }
  return (flat) => members.get(flat) ?? { name: flat };
}
