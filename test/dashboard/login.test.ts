/**
 * The dashboard's sign-in: the management key form (a wrong key refused readably, the key
 * kept in this tab's sessionStorage and never in the URL), the form skipped when no key is
 * configured, and readable errors with a retry when the gateway is down.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT_KEYS, MANAGEMENT_KEY, signIn, startDashboardEnv } from './harness.ts';

test('a wrong key is refused readably; the right one opens the console and stays in this tab only', { timeout: 90_000 }, async (t) => {
  const env = await startDashboardEnv();
  t.after(() => env.close());
  const page = await env.page();
  const apiCalls: Array<{ url: string; key: string | undefined }> = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith('/v')) apiCalls.push({ url: request.url(), key: request.headers()['x-management-key'] });
  });

  await signIn(page, env.url, 'not-the-key');
  const refusal = page.getByRole('alert');
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /Wrong management key: the gateway refused it \(HTTP 403\)/);
  assert.equal(await page.getByRole('navigation', { name: 'Dashboard sections' }).count(), 0, 'still on the form');

  await page.getByLabel('Management key').fill(MANAGEMENT_KEY);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Providers' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('cliproxy-management-key')), MANAGEMENT_KEY);
  assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage');
  assert.ok(!page.url().includes(MANAGEMENT_KEY), `the key is not in the URL: ${page.url()}`);
  assert.ok(apiCalls.length > 0);
  assert.ok(apiCalls.every((call) => !call.url.includes(MANAGEMENT_KEY)), 'no API URL carries the key');
  assert.ok(apiCalls.some((call) => call.key === MANAGEMENT_KEY), 'API calls send x-management-key');

  // A reload keeps the tab signed in; a new tab (a new browsing context) does not.
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Providers' }).waitFor();
  const other = await env.page();
  await other.goto(env.url);
  await other.getByLabel('Management key').waitFor();

  // Tabs are links with the current one marked, reachable by keyboard.
  await page.getByRole('link', { name: 'Usage' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Usage' }).waitFor();
  assert.equal(new URL(page.url()).hash, '#/usage');
  assert.equal(await page.getByRole('link', { name: 'Usage' }).getAttribute('aria-current'), 'page');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Management key').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('cliproxy-management-key')), null);
});

test('with no management key configured, a loopback browser skips the form', { timeout: 60_000 }, async (t) => {
  const env = await startDashboardEnv({ managementKey: null, clientKeys: [] });
  t.after(() => env.close());
  const page = await env.page();
  await page.goto(`${env.url}#/providers`);
  await page.getByRole('heading', { level: 1, name: 'Providers' }).waitFor();
  assert.equal(await page.getByLabel('Management key').count(), 0);
  assert.match(await page.locator('.session').innerText(), /Open \(loopback, no management key\)/);
  await page.locator('tr[data-provider="echo"]').waitFor();
});

test('with no management key but client keys, the form asks for a client key for the /v1 routes', { timeout: 60_000 }, async (t) => {
  const env = await startDashboardEnv({ managementKey: null });
  t.after(() => env.close());
  const page = await env.page();
  await page.goto(env.url);
  const input = page.getByLabel('Client API key');
  await input.fill('not-a-client-key');
  await page.getByRole('button', { name: 'Sign in' }).click();
  assert.match(await page.getByRole('alert').innerText(), /Wrong client key: the gateway refused it \(HTTP 401\)/);
  await input.fill(CLIENT_KEYS[1]!);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('tr[data-provider="echo"]').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('cliproxy-client-key')), CLIENT_KEYS[1]);
});

test('the gateway going down gives a readable error and a retry, on the form and in the console', { timeout: 90_000 }, async (t) => {
  const env = await startDashboardEnv();
  t.after(() => env.close());
  const page = await env.page();
  await signIn(page, env.url);
  await page.getByRole('heading', { level: 1, name: 'Providers' }).waitFor();
  // Every API call now fails as a network error, as when the gateway is stopped.
  await page.route('**/v*/**', (route) => route.abort('connectionrefused'));
  const banner = page.locator('.banner-slot').getByRole('alert');
  await banner.waitFor();
  assert.match(await banner.innerText(), /The gateway cannot be reached\. Is it running\? Retrying every few seconds\./);
  // Retry now, while the gateway is still down: the banner (and its button) stays, and the
  // dashboard calls the gateway again at once rather than at its next turn.
  const retried = page.waitForRequest(/\/v\d+\//, { timeout: 2_000 });
  await page.getByRole('button', { name: 'Retry now' }).click();
  await retried;
  // The gateway back: the next call succeeds and the banner goes. (Clicking after unroute
  // raced the dashboard's own retry, which could remove the button under the click.)
  await page.unroute('**/v*/**');
  await banner.waitFor({ state: 'detached' });

  // On a fresh load with the gateway unreachable: the down screen, whose Retry recovers.
  const fresh = await env.page();
  await fresh.route('**/v0/**', (route) => route.abort('connectionrefused'));
  await fresh.goto(env.url);
  const down = fresh.getByRole('alert');
  await down.waitFor();
  assert.match(await down.innerText(), /The gateway cannot be reached/);
  await fresh.unroute('**/v0/**');
  await fresh.getByRole('button', { name: 'Retry' }).click();
  await fresh.getByLabel('Management key').waitFor();

  // Signing in while it is unreachable says so.
  await fresh.route('**/v0/**', (route) => route.abort('connectionrefused'));
  await fresh.getByLabel('Management key').fill(MANAGEMENT_KEY);
  await fresh.getByRole('button', { name: 'Sign in' }).click();
  await fresh.getByText('The gateway cannot be reached. Check that it is running, then sign in again.').waitFor();
});
