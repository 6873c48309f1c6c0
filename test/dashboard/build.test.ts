/**
 * The dashboard's build: esbuild bundles the page, its stylesheet and uPlot into three
 * self-contained files (no CDN, no external font), the browser code type-checks against the
 * DOM, and the gateway serves the result under /dashboard with its security headers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildDashboard } from '../../dashboard/build.ts';
import { startGateway } from '../../src/server/gateway.ts';
import { ensureBuilt } from './harness.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('the build writes index.html, app.js and app.css with uPlot bundled and nothing fetched from elsewhere', { timeout: 60_000 }, async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'cliproxy-dashboard-build-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  await buildDashboard(join(out, 'dist'));
  assert.deepEqual((await readdir(join(out, 'dist'))).sort(), ['app.css', 'app.js', 'index.html']);
  const html = await readFile(join(out, 'dist', 'index.html'), 'utf8');
  const script = await readFile(join(out, 'dist', 'app.js'), 'utf8');
  const style = await readFile(join(out, 'dist', 'app.css'), 'utf8');
  assert.match(html, /<script type="module" src="app\.js"><\/script>/);
  assert.match(html, /<link rel="stylesheet" href="app\.css">/);
  assert.doesNotMatch(html, /<script>|<style>|\son\w+=/, 'no inline script, style or handler (the CSP forbids them)');
  assert.doesNotMatch(html + style, /https?:\/\//, 'no external stylesheet, font or script');
  assert.match(style, /\.uplot/, "uPlot's stylesheet is bundled");
  assert.match(style, /system-ui/, 'system fonts');
  assert.doesNotMatch(style, /@font-face|@import/);
  assert.match(script, /uPlot|u-legend/, 'uPlot is bundled');
  assert.doesNotMatch(script, /\bimport\s*\(|from\s*["']https?:/, 'nothing loaded at run time');
});

test('the browser code type-checks against the DOM (dashboard/tsconfig.json)', { timeout: 120_000 }, async () => {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = await promisify(execFile)(process.execPath, [tsc, '--noEmit', '-p', join(ROOT, 'dashboard', 'tsconfig.json')], { cwd: ROOT }).then(
    () => ({ code: 0, output: '' }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
  );
  assert.equal(result.code, 0, result.output);
});

test('the gateway serves the built page under /dashboard with its CSP', { timeout: 60_000 }, async (t) => {
  await ensureBuilt();
  const gateway = await startGateway({ config: { host: '127.0.0.1', port: 0, management_key: 'mk' }, env: {}, logLevel: 'silent', watch: false, oauth: false });
  t.after(() => gateway.close());
  const redirect = await fetch(`${gateway.url}/dashboard`, { redirect: 'manual' });
  assert.equal(redirect.status, 308);
  const page = await fetch(`${gateway.url}/dashboard/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  assert.match(await page.text(), /cliproxy dashboard/);
  const script = await fetch(`${gateway.url}/dashboard/app.js`);
  assert.match(script.headers.get('content-type') ?? '', /text\/javascript/);
  assert.ok((await script.arrayBuffer()).byteLength > 10_000);
});
