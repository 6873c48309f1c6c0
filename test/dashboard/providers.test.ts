/**
 * The Providers view: the capability matrix from /v1/providers, the enabled switches (the
 * registry changes), live status figures, and cooldowns cleared one at a time or all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonResponse } from '../helpers/fake-upstream.ts';
import { eventually, signIn, startDashboardEnv } from './harness.ts';

interface Listed { name: string; enabled: boolean }

test('the matrix shows capabilities and live status; a switch turns a provider off and on', { timeout: 90_000 }, async (t) => {
  const env = await startDashboardEnv();
  t.after(() => env.close());
  assert.equal((await env.chat('echo-1')).status, 200);
  const page = await env.page();
  await signIn(page, `${env.url}#/providers`);

  const echo = page.locator('tr[data-provider="echo"]');
  await echo.waitFor();
  const cells = await echo.locator('td').allInnerTexts();
  assert.match(cells[0]!, /echo/);
  assert.match(cells[3]!, /yes/, 'echo streams');
  assert.match(cells[4]!, /no/, 'echo has no functions');
  assert.match(cells[7]!, /8[,.\u202f\u00a0]?192/, 'max tokens');
  // Live status: one request served, so a success rate and latencies are shown.
  await echo.getByText('100%').waitFor();
  assert.match(await echo.locator('.badge').innerText(), /healthy/);

  const toggle = page.getByRole('switch', { name: 'Enable echo' });
  assert.equal(await toggle.isChecked(), true);
  await toggle.focus();
  await page.keyboard.press('Space');
  await page.getByText('echo is now disabled.').waitFor();
  const off = (await (await env.manage('/v1/providers')).json()) as { data: Listed[] };
  assert.equal(off.data.find((provider) => provider.name === 'echo')?.enabled, false);
  assert.equal((await env.chat('echo-1')).status, 503, 'a disabled provider serves nothing');
  assert.equal(await page.getByRole('switch', { name: 'Enable echo' }).isChecked(), false);

  await page.getByRole('switch', { name: 'Enable echo' }).click();
  await page.getByText('echo is now enabled.').waitFor();
  const on = (await (await env.manage('/v1/providers')).json()) as { data: Listed[] };
  assert.equal(on.data.find((provider) => provider.name === 'echo')?.enabled, true);
});

test('cooldowns show reason and reset time, and clear one by one or all at once', { timeout: 90_000 }, async (t) => {
  const env = await startDashboardEnv();
  t.after(() => env.close());
  const tooMany = (seconds: string) => jsonResponse({ error: { message: 'Rate limit reached', type: 'rate_limit_error' } }, { status: 429, headers: { 'retry-after': seconds } });
  env.upstream.enqueue('POST /openai/v1/chat/completions', tooMany('600'));
  env.upstream.enqueue('POST /v1/chat/completions', tooMany('900'));
  assert.equal((await env.chat('llama-3.3-70b-versatile')).status, 429);
  assert.equal((await env.chat('gpt-4.1-nano')).status, 429);
  const listed = (await (await env.manage('/v0/management/cooldowns')).json()) as { data: Array<{ key: string; provider: string }> };
  assert.deepEqual(listed.data.map((cooldown) => cooldown.provider).sort(), ['groq', 'openai']);

  const page = await env.page();
  await signIn(page, `${env.url}#/providers`);
  const groqKey = listed.data.find((cooldown) => cooldown.provider === 'groq')!.key;
  const row = page.locator(`tr[data-cooldown="${groqKey}"]`);
  await row.waitFor();
  const text = await row.innerText();
  assert.match(text, /rate_limited/);
  assert.match(text, /HTTP 429/);
  assert.match(text, /groq#1/);
  assert.match(text, /(9|10) min/, `ten minutes left: ${text}`);

  await row.getByRole('button', { name: /Clear the cooldown of groq/ }).click();
  await page.getByText('Cleared 1 cooldown (groq groq#1).').waitFor();
  await row.waitFor({ state: 'detached' });
  const after = (await (await env.manage('/v0/management/cooldowns')).json()) as { data: Array<{ provider: string }> };
  assert.deepEqual(after.data.map((cooldown) => cooldown.provider), ['openai']);

  await page.getByRole('button', { name: 'Clear all cooldowns' }).click();
  await page.getByText('Cleared 1 cooldown (all cooldowns).').waitFor();
  await page.getByText('No provider or credential is cooling down.').waitFor();
  const none = (await (await env.manage('/v0/management/cooldowns')).json()) as { data: unknown[] };
  assert.equal(none.data.length, 0);
  assert.equal(await page.getByRole('button', { name: 'Clear all cooldowns' }).isDisabled(), true);
  await eventually('groq to serve again', async () => ((await env.chat('llama-3.3-70b-versatile')).status === 200 ? true : undefined));
});
