/**
 * The Credentials view: masked credentials only, API keys added and deleted at run time,
 * an OAuth account's quota bar, and a Copilot device login run to success from the page
 * against fake GitHub endpoints.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, signIn, startDashboardEnv } from './harness.ts';

test('device logins show the code and link; a Copilot one turns to success by itself, a Kiro one sends its start URL and region', { timeout: 90_000 }, async (t) => {
  const env = await startDashboardEnv({ seedCredential: true });
  t.after(() => env.close());
  const page = await env.page();
  await signIn(page, `${env.url}#/credentials`);

  // The seeded account: its quota as a bar, never its token.
  const seeded = page.locator('tr[data-credential="copilot-ops-bot"]');
  await seeded.waitFor();
  assert.match(await seeded.innerText(), /ops-bot/);
  assert.equal(await seeded.getByRole('img').getAttribute('aria-label'), '180 of 300 left');
  assert.ok(!(await page.content()).includes('gho_seeded_secret'), 'no token in the page');

  await page.getByRole('button', { name: 'Sign in to GitHub Copilot' }).click();
  const code = page.getByTestId('user-code-copilot');
  await code.waitFor();
  assert.equal(await code.innerText(), 'WDJB-MJHT');
  const link = page.locator('[data-login-panel="copilot"] a');
  assert.equal(await link.getAttribute('href'), 'https://github.com/login/device');
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
  assert.match(await page.locator('[data-login-panel="copilot"]').innerText(), /Waiting for you to authorize/);

  // The user authorizes on "github.com"; the gateway's poll and the page's follow.
  await eventually('the gateway to poll GitHub', async () => (env.github.server.hits('POST /github/token').length > 0 ? true : undefined));
  env.github.authorize();
  await page.getByText('Signed in as octocat. Saved as credential copilot-octocat.').waitFor();
  await page.locator('tr[data-credential="copilot-octocat"]').waitFor();
  const stored = (await (await env.manage('/v0/management/credentials')).json()) as { data: Array<{ id: string; status: string }> };
  assert.deepEqual(stored.data.map((credential) => credential.id).sort(), ['copilot-octocat', 'copilot-ops-bot']);

  // A Kiro login through IAM Identity Center: start URL and region go to the gateway.
  const kiro = page.locator('[data-login-panel="kiro"]');
  await kiro.getByLabel('IAM Identity Center').check();
  await kiro.getByLabel('Start URL').fill('https://example-org.awsapps.com/start');
  await kiro.getByLabel('Region').fill('eu-west-1');
  await kiro.getByRole('button', { name: 'Sign in to Kiro (AWS)' }).click();
  assert.equal(await page.getByTestId('user-code-kiro').innerText(), 'KIRO-2468');
  assert.equal(await kiro.getByRole('link').getAttribute('href'), 'https://device.sso.eu-west-1.amazonaws.com/?user_code=KIRO-2468');
  const register = env.github.server.hits('POST /aws/eu-west-1/client/register');
  assert.equal(register.length, 1, 'the region chose the OIDC endpoint');
});

test('a login the gateway cannot start says why', { timeout: 60_000 }, async (t) => {
  const env = await startDashboardEnv();
  t.after(() => env.close());
  const page = await env.page();
  await signIn(page, `${env.url}#/credentials`);
  const kiro = page.locator('[data-login-panel="kiro"]');
  await kiro.getByLabel('IAM Identity Center').check();
  await kiro.getByLabel('Start URL').fill('https://example-org.awsapps.com/start');
  await kiro.getByLabel('Region').fill('not a region');
  await kiro.getByRole('button', { name: 'Sign in to Kiro (AWS)' }).click();
  const failure = kiro.getByRole('alert');
  assert.match(await failure.innerText(), /^Could not start the Kiro \(AWS\) login: .+/);
});

test('an API key is added, listed masked, used by the registry, and deleted', { timeout: 90_000 }, async (t) => {
  const env = await startDashboardEnv();
  t.after(() => env.close());
  const page = await env.page();
  await signIn(page, `${env.url}#/credentials`);
  const groq = page.locator('tr[data-provider="groq"]');
  await groq.waitFor();
  assert.match(await groq.innerText(), /groq#1/);
  assert.ok(!(await page.content()).includes('gsk-dashboard-groq-0002'), 'the configured key is not in the page');

  await page.getByLabel('Provider', { exact: true }).selectOption('groq');
  await page.getByLabel('API key', { exact: true }).fill('gsk-added-at-runtime-9876');
  await page.getByLabel('Name', { exact: true }).fill('team-b');
  await page.getByRole('button', { name: 'Add key' }).click();
  await page.getByText(/Added key .* to groq\. It applies to the next request\./).waitFor();
  const listed = (await (await env.manage('/v0/management/providers/groq/api-keys')).json()) as { data: Array<{ id: string; masked: string }> };
  assert.equal(listed.data.length, 1);
  const added = listed.data[0]!;
  const table = page.getByRole('region', { name: 'Keys added at run time for groq' });
  await table.getByText(added.masked).waitFor();
  assert.ok(!(await page.content()).includes('gsk-added-at-runtime-9876'), 'the added key is not in the page');
  assert.equal(await page.getByLabel('API key', { exact: true }).inputValue(), '', 'the key field is emptied');
  await groq.locator('li').nth(1).waitFor();
  assert.equal(await groq.locator('li').count(), 2, 'the registry lists the configured and the added key');

  await table.getByRole('button', { name: `Delete key ${added.id} of groq` }).click();
  await page.getByText(`Deleted key ${added.id} of groq.`).waitFor();
  const after = (await (await env.manage('/v0/management/providers/groq/api-keys')).json()) as { data: unknown[] };
  assert.equal(after.data.length, 0);

  // A bad name is refused with the gateway's reason.
  await page.getByLabel('API key', { exact: true }).fill('gsk-another');
  await page.getByLabel('Name', { exact: true }).fill('bad name!');
  // Past the browser's own pattern check, as an old browser would send it.
  await page.locator('form[aria-labelledby="add-key-title"]').dispatchEvent('submit');
  await page.getByText(/Could not add the key: name: letters, digits/).waitFor();
});
