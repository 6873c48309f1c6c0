/**
 * The keys for this tab only: sessionStorage (gone when the tab closes), never written into
 * a URL or a cookie. The management key's slot is shared with the gateway's device-login
 * pages. A client key is kept only for a gateway with no management key but with `api_keys`,
 * whose `/v1` read routes then want a client key even from loopback.
 */

export type KeyKind = 'management' | 'client';

const SLOTS: Record<KeyKind, string> = { management: 'cliproxy-management-key', client: 'cliproxy-client-key' };

export interface Credentials {
  management?: string;
  client?: string;
}

export function storedCredentials(): Credentials {
  try {
    const management = sessionStorage.getItem(SLOTS.management) ?? undefined;
    const client = sessionStorage.getItem(SLOTS.client) ?? undefined;
    return { ...(management === undefined ? {} : { management }), ...(client === undefined ? {} : { client }) };
  } catch {
    return {};
  }
}

export function storeKey(kind: KeyKind, key: string): void {
  sessionStorage.setItem(SLOTS[kind], key);
}

export function forgetKeys(): void {
  sessionStorage.removeItem(SLOTS.management);
  sessionStorage.removeItem(SLOTS.client);
}
