/**
 * Every view at 1280 px and at 390 px wide: loaded with real data, no horizontal overflow of
 * the page at 390 px (wide tables scroll inside their own region), and a screenshot of each
 * saved as a test artifact — into test-artifacts/dashboard/, or into the folder named by
 * DASHBOARD_SCREENSHOTS (`DASHBOARD_SCREENSHOTS=docs/screenshots` refreshes the README's).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { jsonResponse } from '../helpers/fake-upstream.ts';
import { chartWhere, CLIENT_KEYS, eventually, pageWidths, signIn, startDashboardEnv } from './harness.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = resolve(ROOT, process.env.DASHBOARD_SCREENSHOTS ?? join('test-artifacts', 'dashboard'));

/** Each view, and what shows that its data has arrived. */
const VIEWS: Array<{ id: string; heading: string; ready: (page: Page) => Promise<unknown> }> = [
  {
    id: 'providers',
    heading: 'Providers',
    ready: async (page) => {
      await page.locator('tr[data-provider="openai"] .badge', { hasText: 'healthy' }).waitFor();
      await page.locator('tr[data-cooldown]').first().waitFor();
    },
  },
  { id: 'credentials', heading: 'Credentials', ready: (page) => page.locator('tr[data-credential="copilot-ops-bot"]').waitFor() },
  { id: 'models', heading: 'Models', ready: (page) => page.locator('tr[data-serving="groq"]').waitFor() },
  {
    id: 'usage',
    heading: 'Usage',
    ready: async (page) => {
      await chartWhere(page, 'chart-requests', 'requests drawn', (data) => data.total > 0 && data.canvas);
      await chartWhere(page, 'chart-split', 'a split drawn', (data) => data.series > 0 && data.canvas);
    },
  },
  { id: 'requests', heading: 'Recent requests', ready: (page) => page.locator('tr[data-status]').first().waitFor() },
];
const HASHES: Record<string, string> = { models: '#/models?model=fast' };

test('every view fits 390 px without page overflow and is captured at 1280 and 390 px', { timeout: 180_000 }, async (t) => {
  const env = await startDashboardEnv({ seedCredential: true });
  t.after(() => env.close());
  await mkdir(OUT, { recursive: true });

  // Traffic of several models, providers and keys, one error, and a live cooldown.
  const plan: Array<[string, string]> = [];
  for (let index = 0; index < 6; index++) plan.push(['gpt-4.1-nano', CLIENT_KEYS[index % 2]!]);
  for (let index = 0; index < 4; index++) plan.push(['fast', CLIENT_KEYS[1]!]);
  for (let index = 0; index < 3; index++) plan.push(['echo-1', CLIENT_KEYS[0]!]);
  plan.push(['no-such-model', CLIENT_KEYS[0]!]);
  for (const [model, key] of plan) await (await env.chat(model, key)).arrayBuffer();
  env.upstream.enqueue('POST /openai/v1/chat/completions', jsonResponse({ error: { message: 'Rate limit reached for requests' } }, { status: 429, headers: { 'retry-after': '1200' } }));
  await (await env.chat('fast', CLIENT_KEYS[1])).arrayBuffer();
  await eventually('the usage records', async () => {
    const body = (await (await env.manage('/v0/management/usage?limit=1000')).json()) as { data: unknown[] };
    return body.data.length >= plan.length ? true : undefined;
  });

  const written: string[] = [];
  const problems: string[] = [];
  for (const width of [1280, 390]) {
    const page = await env.page(width, width === 1280 ? 900 : 844);
    // Uncaught exceptions and console errors (a CSP violation, a failed load) fail the test;
    // the one expected error is the 401 of the first call, made without a key to learn
    // whether the gateway wants one.
    page.on('pageerror', (error) => problems.push(`exception: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 401 \(Unauthorized\)/.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    await signIn(page, `${env.url}#/providers`);
    for (const view of VIEWS) {
      await page.goto(`${env.url}${HASHES[view.id] ?? `#/${view.id}`}`);
      await page.getByRole('heading', { level: 1, name: view.heading }).waitFor();
      await view.ready(page);
      if (view.id === 'credentials' && width === 1280) {
        await page.getByRole('button', { name: 'Sign in to GitHub Copilot' }).click();
        await page.getByTestId('user-code-copilot').waitFor();
      }
      const overflow = await pageWidths(page);
      assert.ok(overflow.page <= overflow.viewport && overflow.body <= overflow.viewport,
        `${view.id} at ${width} px: the page is ${overflow.page} px (body ${overflow.body} px) wide in a ${overflow.viewport} px viewport`);
      await page.evaluate('window.scrollTo(0, 0)');
      const file = join(OUT, `${view.id}-${width}.png`);
      await page.screenshot({ path: file, fullPage: true });
      written.push(file);
    }
  }
  assert.equal(written.length, VIEWS.length * 2);
  assert.deepEqual(problems, []);
});
