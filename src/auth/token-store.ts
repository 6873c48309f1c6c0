/**
 * The credential store: one JSON file per credential under `<data_dir>/credentials`.
 * Files are written atomically (a temporary file in the same folder, fsync, rename), so a
 * reader, a crash or another process never sees half a credential, and with mode 0600.
 * The folder is the truth: a file dropped in by hand is picked up by `fs.watch` (debounced)
 * or an explicit `rescan()`, and a file that cannot be read as a credential is listed in
 * `problems()` instead of stopping anything. Reads (`list`, `get`) are served from memory.
 */
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import * as nodeFiles from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { GatewayError } from '../errors.ts';
import { isValidCredentialId, isoTime, parseCredential, type Credential } from './credential.ts';

/** The file operations the store uses; tests wrap them to watch a write happen. */
export type StoreFileSystem = Pick<typeof nodeFiles, 'open' | 'rename' | 'readFile' | 'readdir' | 'unlink' | 'mkdir'>;

export interface TokenStoreOptions {
  /** The credentials folder, `<data_dir>/credentials`. Created (mode 0700) when missing. */
  directory: string;
  /** Watch the folder for files added, changed or removed by hand. Default true. */
  watch?: boolean;
  /** Quiet time after the last folder event before rescanning. Default 100 ms. */
  debounceMs?: number;
  now?: () => number;
  files?: StoreFileSystem;
}

export interface StoreProblem {
  file: string;
  reason: string;
}

/** What a rescan, save or delete changed, by credential id. */
export interface StoreChange {
  added: string[];
  updated: string[];
  removed: string[];
}

export interface TokenStoreEvents {
  change: [StoreChange];
}

const FILE_SUFFIX = '.json';

export class TokenStore extends EventEmitter<TokenStoreEvents> {
  readonly directory: string;
  private readonly files: StoreFileSystem;
  private readonly now: () => number;
  private readonly debounceMs: number;
  private readonly credentials = new Map<string, { credential: Credential; text: string }>();
  private currentProblems: StoreProblem[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(options: TokenStoreOptions) {
    super();
    this.directory = options.directory;
    this.files = options.files ?? nodeFiles;
    this.now = options.now ?? Date.now;
    this.debounceMs = options.debounceMs ?? 100;
  }

  /** Opens the store over a folder, reading every credential already in it. */
  static async open(options: TokenStoreOptions): Promise<TokenStore> {
    const store = new TokenStore(options);
    await store.files.mkdir(options.directory, { recursive: true, mode: 0o700 });
    await store.rescan();
    if (options.watch ?? true) store.startWatching();
    return store;
  }

  list(): Credential[] {
    return [...this.credentials.values()].map((entry) => entry.credential);
  }

  get(id: string): Credential | undefined {
    return this.credentials.get(id)?.credential;
  }

  /** The file a credential lives in (for messages such as "saved to …"). */
  pathOf(id: string): string {
    return this.fileOf(id);
  }

  /** Files that could not be read as credentials at the last scan, with why. */
  problems(): StoreProblem[] {
    return [...this.currentProblems];
  }

  /**
   * Writes a credential (stamping `updated_at`, keeping the stored `created_at`) and
   * returns the record as stored.
   */
  save(credential: Credential): Promise<Credential> {
    return this.serially(() => this.write(credential));
  }

  /**
   * Changes a stored credential from its latest version, in turn with every other write,
   * so that writers working on the same record (a token refresh, a quota update) never
   * put back fields the other has just changed. Resolves undefined when there is no such
   * credential (any more).
   */
  update(id: string, change: (current: Credential) => Credential): Promise<Credential | undefined> {
    return this.serially(async () => {
      const current = this.credentials.get(id)?.credential;
      return current === undefined ? undefined : this.write(change(current));
    });
  }

  /** One write; callers hold the turn (`serially`). */
  private async write(credential: Credential): Promise<Credential> {
    const previous = this.credentials.get(credential.id);
    const stamped = {
      ...credential,
      created_at: previous?.credential.created_at ?? credential.created_at,
      updated_at: isoTime(this.now()),
    } as Credential;
    const checked = parseCredential(stamped);
    if (!checked.ok) {
      throw new GatewayError(500, 'internal_error', `refusing to store malformed credential: ${checked.reason}`);
    }
    const text = `${JSON.stringify(stamped, null, 2)}\n`;
    await this.writeAtomically(this.fileOf(credential.id), text);
    this.credentials.set(credential.id, { credential: stamped, text });
    this.announce({ added: previous === undefined ? [credential.id] : [], updated: previous === undefined ? [] : [credential.id], removed: [] });
    return stamped;
  }

  /** Removes a credential; false when there was none. */
  delete(id: string): Promise<boolean> {
    return this.serially(async () => {
      if (!isValidCredentialId(id)) return false; // never a path outside the folder
      try {
        await this.files.unlink(this.fileOf(id));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      const existed = this.credentials.delete(id);
      if (existed) this.announce({ added: [], updated: [], removed: [id] });
      return existed;
    });
  }

  /** Reads the folder again; emits `change` when anything differs from memory. */
  rescan(): Promise<StoreChange> {
    return this.serially(async () => {
      const names = (await this.files.readdir(this.directory)).filter((name) => name.endsWith(FILE_SUFFIX) && !name.startsWith('.'));
      const found = new Map<string, { credential: Credential; text: string }>();
      const problems: StoreProblem[] = [];
      for (const name of names.sort()) {
        let text: string;
        try {
          text = await this.files.readFile(join(this.directory, name), 'utf8');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') problems.push({ file: name, reason: `unreadable: ${(error as NodeJS.ErrnoException).code ?? 'error'}` });
          continue;
        }
        const outcome = readCredentialFile(name, text);
        if (!outcome.ok) problems.push({ file: name, reason: outcome.reason });
        else found.set(outcome.credential.id, { credential: outcome.credential, text });
      }
      const change: StoreChange = { added: [], updated: [], removed: [] };
      for (const [id, entry] of found) {
        const before = this.credentials.get(id);
        if (before === undefined) change.added.push(id);
        else if (before.text !== entry.text) change.updated.push(id);
      }
      for (const id of this.credentials.keys()) if (!found.has(id)) change.removed.push(id);
      this.credentials.clear();
      for (const [id, entry] of found) this.credentials.set(id, entry);
      this.currentProblems = problems;
      this.announce(change);
      return change;
    });
  }

  /**
   * Stops watching the folder and taking writes; resolves once the writes already begun or
   * queued are on disk, so that whoever removes the folder next does not race one. The
   * store still answers reads.
   */
  close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
    return this.queue.then(() => undefined);
  }

  private startWatching(): void {
    this.watcher = watch(this.directory, { persistent: false }, (_event, name) => {
      if (name !== null && (!name.endsWith(FILE_SUFFIX) || name.startsWith('.'))) return;
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.closed) this.rescan().catch(() => { /* the folder went away; keep what is in memory */ });
      }, this.debounceMs);
      this.timer.unref();
    });
    this.watcher.on('error', () => { /* the folder went away; keep what is in memory */ });
  }

  private async writeAtomically(path: string, text: string): Promise<void> {
    const temporary = join(this.directory, `.${randomBytes(8).toString('hex')}.tmp`);
    const handle = await this.files.open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.chmod(0o600); // the umask may have narrowed nothing, but never widen
      await handle.sync();
    } catch (error) {
      await handle.close();
      await this.files.unlink(temporary).catch(() => undefined);
      throw error;
    }
    await handle.close();
    try {
      await this.files.rename(temporary, path);
    } catch (error) {
      await this.files.unlink(temporary).catch(() => undefined);
      throw error;
    }
    await this.syncDirectory();
  }

  /** Makes the rename itself durable; not every platform can open a folder, hence best effort. */
  private async syncDirectory(): Promise<void> {
    try {
      const handle = await this.files.open(this.directory, 'r');
      try { await handle.sync(); } finally { await handle.close(); }
    } catch {
      // best effort
    }
  }

  private fileOf(id: string): string {
    if (!isValidCredentialId(id)) throw new GatewayError(400, 'invalid_request', 'not a credential id');
    return join(this.directory, `${id}${FILE_SUFFIX}`);
  }

  private announce(change: StoreChange): void {
    if (change.added.length + change.updated.length + change.removed.length > 0) this.emit('change', change);
  }

  /** Saves, deletes and rescans run one at a time so memory never goes back to an older folder. */
  private serially<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the credential store is closed: the gateway is shutting down'));
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function readCredentialFile(name: string, text: string): { ok: true; credential: Credential } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  const stem = name.slice(0, -FILE_SUFFIX.length);
  // A file dropped in without an id is named by its file.
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && (value as Record<string, unknown>).id === undefined) {
    value = { ...(value as Record<string, unknown>), id: stem };
  }
  const parsed = parseCredential(value);
  if (!parsed.ok) return parsed;
  if (parsed.credential.id !== stem) {
    return { ok: false, reason: `id "${parsed.credential.id}" does not match the file name (expected ${parsed.credential.id}${FILE_SUFFIX})` };
  }
  return parsed;
}
