/** Credentials from config entries and environment variables, with secret-free ids. */
import { createHash } from 'node:crypto';
import type { RawCredential } from '../config/schema.ts';
import type { Credential } from './types.ts';

/** `…` and the last four characters, for long secrets only: short ones show nothing. */
export function maskSecret(secret: string): string {
  return secret.length >= 12 ? `…${secret.slice(-4)}` : '…';
}

export function makeCredentials(provider: string, entries: RawCredential[]): Credential[] {
  const seen = new Set<string>();
  const credentials: Credential[] = [];
  entries.forEach((entry, index) => {
    const secret = typeof entry === 'string' ? entry : entry.key;
    if (secret === '' || seen.has(secret)) return;
    seen.add(secret);
    const name = typeof entry === 'string' ? undefined : entry.name;
    credentials.push({
      id: name ?? `${provider}#${index + 1}`,
      provider,
      secret,
      masked: maskSecret(secret),
      fingerprint: createHash('sha256').update(secret).digest('hex').slice(0, 12),
      weight: typeof entry === 'string' ? 1 : entry.weight ?? 1,
      ...(typeof entry === 'string' || entry.limits === undefined ? {} : { limits: entry.limits }),
    });
  });
  return credentials;
}
