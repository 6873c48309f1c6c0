/**
 * API keys added at run time (the dashboard's "add a key", the management API), kept in
 * `<data_dir>/api-keys.json` (mode 0600, written atomically) and merged into providers'
 * configured keys, so they survive restarts without editing the config file.
 */
import { readFile, rename, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface StoredKey {
  id: string;
  provider: string;
  key: string;
  name?: string;
  weight?: number;
  created_at: string;
}

export class KeyStore {
  private readonly file: string;
  private keys: StoredKey[] = [];

  private constructor(dataDir: string) {
    this.file = join(dataDir, 'api-keys.json');
  }

  static async open(dataDir: string): Promise<KeyStore> {
    const store = new KeyStore(dataDir);
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    try {
      const parsed = JSON.parse(await readFile(store.file, 'utf8')) as { keys?: unknown };
      if (Array.isArray(parsed.keys)) {
        store.keys = parsed.keys.filter((item): item is StoredKey =>
          typeof (item as StoredKey)?.id === 'string' && typeof (item as StoredKey).provider === 'string' && typeof (item as StoredKey).key === 'string');
      }
    } catch {
      // none yet (or unreadable: start empty rather than refuse to serve)
    }
    return store;
  }

  list(provider?: string): StoredKey[] {
    return this.keys.filter((key) => provider === undefined || key.provider === provider);
  }

  async add(provider: string, key: string, name: string | undefined, weight: number | undefined, now: number): Promise<StoredKey> {
    const stored: StoredKey = {
      id: name ?? `${provider}-${randomBytes(3).toString('hex')}`,
      provider,
      key,
      ...(name === undefined ? {} : { name }),
      ...(weight === undefined ? {} : { weight }),
      created_at: new Date(now).toISOString(),
    };
    this.keys = [...this.keys.filter((item) => !(item.provider === provider && item.id === stored.id)), stored];
    await this.persist();
    return stored;
  }

  async remove(provider: string, id: string): Promise<boolean> {
    const before = this.keys.length;
    this.keys = this.keys.filter((item) => !(item.provider === provider && item.id === id));
    if (this.keys.length === before) return false;
    await this.persist();
    return true;
  }

  private async persist(): Promise<void> {
    const temporary = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temporary, `${JSON.stringify({ keys: this.keys }, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, this.file);
  }
}
