import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as nodeFiles from 'node:fs/promises';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GatewayError } from '../errors.ts';
import type { CopilotCredential, KiroCredential } from './credential.ts';
import { TokenStore, type StoreChange, type StoreFileSystem } from './token-store.ts';

async function tempFolder(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'cliproxy-store-')), 'credentials');
}

function copilot(id = 'copilot-octocat', overrides: Partial<CopilotCredential> = {}): CopilotCredential {
  return {
    id,
    provider: 'copilot',
    type: 'oauth_device_flow',
    label: 'octocat',
    access_token: 'gho_secret_1234567890',
    github_token: 'gho_secret_1234567890',
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    status: 'active',
    ...overrides,
  };
}

function kiro(id = 'kiro-1'): KiroCredential {
  return {
    id,
    provider: 'kiro',
    type: 'oauth_device_flow',
    label: 'https://view.awsapps.com/start',
    access_token: 'aoa-access',
    refresh_token: 'aor-refresh',
    expires_at: '2026-01-01T01:00:00.000Z',
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    status: 'active',
    region: 'us-east-1',
    auth_method: 'builder-id',
    start_url: 'https://view.awsapps.com/start',
    client_id: 'client-id',
    client_secret: 'client-secret',
    client_secret_expires_at: '2026-04-01T00:00:00.000Z',
    quota: { limit: 50, used: 10, remaining: 40 },
  };
}

test('a saved credential is a 0600 JSON file in snake_case, and list/get return it', async (context) => {
  const directory = await tempFolder();
  context.after(() => rm(dirname(directory), { recursive: true, force: true }));
  const store = await TokenStore.open({ directory, watch: false, now: () => Date.parse('2026-02-02T00:00:00Z') });
  const saved = await store.save(kiro());
  assert.equal(saved.updated_at, '2026-02-02T00:00:00.000Z', 'updated_at comes from the clock');
  const file = join(directory, 'kiro-1.json');
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  const onDisk = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  assert.equal(onDisk.refresh_token, 'aor-refresh');
  assert.equal(onDisk.client_secret_expires_at, '2026-04-01T00:00:00.000Z');
  assert.deepEqual(onDisk.quota, { limit: 50, used: 10, remaining: 40 });
  assert.deepEqual(store.list().map((credential) => credential.id), ['kiro-1']);
  assert.deepEqual(store.get('kiro-1'), saved);
  assert.equal(store.get('nope'), undefined);
  assert.equal((await stat(directory)).mode & 0o777, 0o700, 'the folder is private too');
});

test('a write goes to a temporary file in the same folder, complete and 0600, then is renamed over the old one', async (context) => {
  const directory = await tempFolder();
  context.after(() => rm(dirname(directory), { recursive: true, force: true }));
  const observed: Array<{ from: string; to: string; temporary: string; previous: string | undefined; mode: number }> = [];
  const files: StoreFileSystem = {
    ...nodeFiles,
    rename: async (from, to) => {
      const previous = await readFile(to, 'utf8').catch(() => undefined);
      observed.push({ from: String(from), to: String(to), temporary: await readFile(from, 'utf8'), previous, mode: (await stat(from)).mode & 0o777 });
      return nodeFiles.rename(from, to);
    },
  };
  const store = await TokenStore.open({ directory, watch: false, files });
  await store.save(copilot('copilot-octocat', { label: 'first' }));
  await store.save(copilot('copilot-octocat', { label: 'second' }));

  assert.equal(observed.length, 2);
  for (const step of observed) {
    assert.equal(dirname(step.from), directory, 'the temporary file sits in the same folder (rename stays atomic)');
    assert.notEqual(step.from, step.to);
    assert.equal(step.mode, 0o600, 'the temporary file is private before it gets its name');
  }
  assert.equal((JSON.parse(observed[0]!.temporary) as CopilotCredential).label, 'first', 'the whole record is written before the rename');
  assert.equal(observed[0]!.previous, undefined);
  assert.equal((JSON.parse(observed[1]!.temporary) as CopilotCredential).label, 'second');
  assert.equal((JSON.parse(observed[1]!.previous ?? '{}') as CopilotCredential).label, 'first', 'until the rename, the old record is whole');
  assert.deepEqual(await readdir(directory), ['copilot-octocat.json'], 'no temporary file is left behind');
});

test('a failed write leaves the previous file whole and no temporary file behind', async (context) => {
  const directory = await tempFolder();
  context.after(() => rm(dirname(directory), { recursive: true, force: true }));
  let failRename = false;
  const files: StoreFileSystem = {
    ...nodeFiles,
    rename: async (from, to) => {
      if (failRename) throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
      return nodeFiles.rename(from, to);
    },
  };
  const store = await TokenStore.open({ directory, watch: false, files });
  await store.save(copilot('copilot-octocat', { label: 'kept' }));
  failRename = true;
  await assert.rejects(store.save(copilot('copilot-octocat', { label: 'lost' })), /disk full/);
  assert.equal((JSON.parse(await readFile(join(directory, 'copilot-octocat.json'), 'utf8')) as CopilotCredential).label, 'kept');
  assert.equal(store.get('copilot-octocat')?.label, 'kept', 'memory follows the disk');
  assert.deepEqual(await readdir(directory), ['copilot-octocat.json']);
});

test('a new store over the same folder sees everything (restart)', async (context) => {
  const directory = await tempFolder();
  context.after(() => rm(dirname(directory), { recursive: true, force: true }));
  const first = await TokenStore.open({ directory, watch: false });
  const savedKiro = await first.save(kiro());
  const savedCopilot = await first.save(copilot());
  first.close();
  const second = await TokenStore.open({ directory, watch: false });
  assert.deepEqual(second.get('kiro-1'), savedKiro);
  assert.deepEqual(second.get('copilot-octocat'), savedCopilot);
  assert.equal(second.list().length, 2);
});

test('a save keeps the stored created_at and a delete removes the file', async (context) => {
  const directory = await tempFolder();
  context.after(() => rm(dirname(directory), { recursive: true, force: true }));
  const store = await TokenStore.open({ directory, watch: false });
  await store.save(copilot());
  const again = await store.save(copilot('copilot-octocat', { created_at: '2030-01-01T00:00:00.000Z' }));
  assert.equal(again.created_at, '2026-01-01T00:00:00.000Z');
  const changes: StoreChange[] = [];
  store.on('change', (change) => changes.push(change));
  assert.equal(await store.delete('copilot-octocat'), true);
  assert.equal(await store.delete('copilot-octocat'), false);
  assert.deepEqual(await readdir(directory), []);
  assert.deepEqual(changes, [{ added: [], updated: [], removed: ['copilot-octocat'] }]);
});

test('a malformed credential is refused, and an id cannot escape the folder', async (context) => {
  const directory = await tempFolder();
  context.after(() => rm(dirname(directory), { recursive: true, force: true }));
  const store = await TokenStore.open({ directory, watch: false });
  await assert.rejects(store.save(copilot('../escape')), (error: unknown) => error instanceof GatewayError && /id may hold only/.test(error.message));
  await assert.rejects(store.save({ ...copilot(), github_token: '' }), /github_token/);
  assert.deepEqual(await readdir(directory), []);
  await writeFile(join(dirname(directory), 'outside.json'), '{}');
  assert.equal(await store.delete('../outside'), false);
  assert.deepEqual((await readdir(dirname(directory))).sort(), ['credentials', 'outside.json'], 'delete cannot reach outside the folder');
});

test('a file dropped into the folder is picked up without a restart, with a change event', async (context) => {
  const directory = await tempFolder();
  context.after(() => rm(dirname(directory), { recursive: true, force: true }));
  const store = await TokenStore.open({ directory, debounceMs: 20 });
  context.after(() => store.close());
  const changed = once(store, 'change', { signal: AbortSignal.timeout(10_000) });
  await writeFile(join(directory, 'kiro-dropped.json'), JSON.stringify(kiro('kiro-dropped')));
  const [change] = (await changed) as [StoreChange];
  assert.deepEqual(change.added, ['kiro-dropped']);
  assert.equal(store.get('kiro-dropped')?.provider, 'kiro');
});

test('rescan finds files added, changed and removed by hand', async (context) => {
  const directory = await tempFolder();
  context.after(() => rm(dirname(directory), { recursive: true, force: true }));
  const store = await TokenStore.open({ directory, watch: false });
  await store.save(kiro('kiro-a'));
  await store.save(kiro('kiro-b'));
  await writeFile(join(directory, 'kiro-c.json'), JSON.stringify(kiro('kiro-c')));
  await writeFile(join(directory, 'kiro-a.json'), JSON.stringify({ ...kiro('kiro-a'), label: 'edited' }));
  await rm(join(directory, 'kiro-b.json'));
  const change = await store.rescan();
  assert.deepEqual(change, { added: ['kiro-c'], updated: ['kiro-a'], removed: ['kiro-b'] });
  assert.equal(store.get('kiro-a')?.label, 'edited');
  assert.equal(store.get('kiro-b'), undefined);
  assert.deepEqual(await store.rescan(), { added: [], updated: [], removed: [] }, 'nothing changed, nothing reported');
});

test('broken files are reported with name and reason, never fatal', async (context) => {
  const directory = await tempFolder();
  context.after(() => rm(dirname(directory), { recursive: true, force: true }));
  const { mkdir } = nodeFiles;
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, 'bad-json.json'), '{"id": "bad-json", ');
  await writeFile(join(directory, 'missing.json'), JSON.stringify({ id: 'missing', provider: 'kiro', type: 'oauth_device_flow' }));
  await writeFile(join(directory, 'other-name.json'), JSON.stringify(kiro('kiro-1')));
  await writeFile(join(directory, 'kiro-good.json'), JSON.stringify(kiro('kiro-good')));
  const { id: _omitted, ...withoutId } = kiro('ignored');
  await writeFile(join(directory, 'kiro-named-by-file.json'), JSON.stringify(withoutId));
  await writeFile(join(directory, 'notes.txt'), 'not a credential');

  const store = await TokenStore.open({ directory, watch: false });
  assert.deepEqual(store.list().map((credential) => credential.id).sort(), ['kiro-good', 'kiro-named-by-file']);
  const problems = store.problems();
  assert.deepEqual(problems.map((problem) => problem.file), ['bad-json.json', 'missing.json', 'other-name.json']);
  assert.match(problems[0]!.reason, /not valid JSON/);
  assert.match(problems[1]!.reason, /label must be a non-empty string/);
  assert.match(problems[1]!.reason, /access_token/);
  assert.match(problems[1]!.reason, /region/);
  assert.match(problems[2]!.reason, /does not match the file name/);

  await writeFile(join(directory, 'bad-json.json'), JSON.stringify(kiro('bad-json')));
  await store.rescan();
  assert.deepEqual(store.problems().map((problem) => problem.file), ['missing.json', 'other-name.json'], 'a fixed file leaves the list');
  assert.equal(store.get('bad-json')?.id, 'bad-json');
});

test('close() waits for the writes under way, then refuses new ones: the folder can be removed at once', async (context) => {
  const directory = await tempFolder();
  context.after(() => rm(dirname(directory), { recursive: true, force: true }));
  const store = await TokenStore.open({ directory, watch: false });
  const saves = [store.save(copilot('copilot-a')), store.save(kiro('kiro-b'))];
  await store.close();
  // Both writes are on disk by the time close() resolves, temporary files gone.
  assert.deepEqual((await readdir(directory)).sort(), ['copilot-a.json', 'kiro-b.json']);
  await Promise.all(saves);
  await assert.rejects(store.save(copilot('copilot-late')), /credential store is closed/);
  await rm(dirname(directory), { recursive: true });
  assert.equal(store.get('copilot-a')?.provider, 'copilot', 'reads still answered');
});
