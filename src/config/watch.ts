/**
 * Watches the config file for edits. Editors save by rename as often as by write, so the
 * directory is watched and events are filtered by file name, then debounced: one reload
 * per burst of events. Content is compared so that a touch without a change reloads nothing.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

export interface ConfigWatcher {
  close(): void;
}

export function watchConfigFile(path: string, onChange: () => void, debounceMs = 100): ConfigWatcher {
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  let lastContent: string | undefined;
  let closed = false;

  void readFile(path, 'utf8').then(
    (text) => { lastContent = text; },
    () => { lastContent = undefined; },
  );

  const check = async (): Promise<void> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return; // mid-rename: the next event will find the file
    }
    if (closed || text === lastContent) return;
    lastContent = text;
    onChange();
  };

  const watcher: FSWatcher = watch(dirname(path), { persistent: false }, (_event, file) => {
    if (file !== null && file !== name) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => void check(), debounceMs);
  });
  watcher.on('error', () => { /* the directory went away; keep the running config */ });

  return {
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      watcher.close();
    },
  };
}
