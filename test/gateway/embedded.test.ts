/** A gateway embedded in a process (startGateway with an inline config) leaves nothing behind. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startGateway } from '../../src/server/gateway.ts';

test('an embedded gateway removes the temporary folder its inline config got, and keeps a configured data_dir', async () => {
  const inline = await startGateway({ config: { port: 0 }, env: {}, logLevel: 'silent', watch: false });
  const temporary = inline.dataDir;
  assert.equal(existsSync(temporary), true);
  await inline.close();
  assert.equal(existsSync(temporary), false);
  const kept = await mkdtemp(join(tmpdir(), 'cliproxy-kept-'));
  try {
    const configured = await startGateway({ config: { port: 0, data_dir: kept }, env: {}, logLevel: 'silent', watch: false });
    assert.equal(configured.dataDir, kept);
    await configured.close();
    assert.equal(existsSync(kept), true);
  } finally {
    await rm(kept, { recursive: true, force: true });
  }
});
