/**
 * Client and management authentication. Keys are compared as SHA-256 digests with
 * timingSafeEqual against every configured key, so neither a key's content nor its
 * position leaks through timing. Presented keys are never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { GatewayRequest } from './types.ts';
import { GatewayError } from '../errors.ts';
import type { ClientKey } from '../config/load.ts';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** The key a client presented: `Authorization: Bearer`, `x-api-key`, `x-goog-api-key` or `?key=`. */
export function presentedKey(request: GatewayRequest, query: URLSearchParams | undefined): string | undefined {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization);
    if (match !== null) return (match[1] as string).trim();
  }
  const apiKey = request.headers['x-api-key'] ?? request.headers['x-goog-api-key'];
  if (typeof apiKey === 'string' && apiKey !== '') return apiKey;
  const fromQuery = query?.get('key');
  return fromQuery === null || fromQuery === '' ? undefined : fromQuery;
}

/** Who is calling: the key's configured name, and a hash of the key for usage records. */
export interface ClientIdentity {
  name: string;
  /** First 16 hex characters of the key's SHA-256; `anonymous` when keys are off. */
  id: string;
}

export const ANONYMOUS: ClientIdentity = { name: 'anonymous', id: 'anonymous' };

export class KeySet {
  private readonly digests: Array<{ digest: Buffer; name: string }>;

  constructor(keys: ClientKey[]) {
    this.digests = keys.map((key) => ({ digest: digest(key.key), name: key.name }));
  }

  get size(): number {
    return this.digests.length;
  }

  /** The name of the matching key, or undefined. Always compares against every key. */
  match(candidate: string | undefined): string | undefined {
    return this.identify(candidate)?.name;
  }

  identify(candidate: string | undefined): ClientIdentity | undefined {
    if (candidate === undefined) return undefined;
    const presented = digest(candidate);
    let found: ClientIdentity | undefined;
    for (const entry of this.digests) {
      if (timingSafeEqual(presented, entry.digest) && found === undefined) found = { name: entry.name, id: presented.toString('hex').slice(0, 16) };
    }
    return found;
  }
}

export function isLoopback(request: GatewayRequest): boolean {
  const address = request.socket.remoteAddress ?? '';
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

export class Authenticator {
  private readonly clients: KeySet;
  private readonly management: KeySet;

  constructor(clientKeys: ClientKey[], managementKey: string | undefined) {
    this.clients = new KeySet(clientKeys);
    this.management = new KeySet(managementKey === undefined ? [] : [{ key: managementKey, name: 'management' }]);
  }

  /** For inference and read routes: a client key (or the management key) when keys are set. */
  requireClient(request: GatewayRequest, query: URLSearchParams | undefined): ClientIdentity {
    if (this.clients.size === 0) return ANONYMOUS;
    const key = presentedKey(request, query);
    const identity = this.clients.identify(key) ?? this.managementMatch(request, key);
    if (identity === undefined) {
      throw new GatewayError(401, 'unauthorized', key === undefined ? 'missing API key' : 'invalid API key', { retryable: false });
    }
    return identity;
  }

  /** For writes: the management key; with none configured, loopback clients only. */
  requireManagement(request: GatewayRequest): void {
    if (this.management.size === 0) {
      if (isLoopback(request)) return;
      throw new GatewayError(403, 'forbidden', 'management is only open to loopback clients when no management_key is set', { retryable: false });
    }
    const header = request.headers['x-management-key'];
    const key = typeof header === 'string' ? header : presentedKey(request, undefined);
    if (this.management.match(key) === undefined) {
      throw new GatewayError(key === undefined ? 401 : 403, key === undefined ? 'unauthorized' : 'forbidden',
        key === undefined ? 'this route needs the management key' : 'invalid management key', { retryable: false });
    }
  }

  private managementMatch(request: GatewayRequest, key: string | undefined): ClientIdentity | undefined {
    const header = request.headers['x-management-key'];
    return this.management.identify(typeof header === 'string' ? header : key);
  }
}
