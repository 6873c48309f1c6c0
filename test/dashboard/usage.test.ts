/**
 * The Usage, Recent requests and Models views, after real traffic through the gateway: the
 * uPlot charts get the recorded points (their data is exposed on the figure's attributes)
 * and draw a canvas, the breakdowns name models, providers and hashed keys, the request log
 * filters in the page, and the catalogue says where a model is served.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chartData, chartWhere, CLIENT_KEYS, eventually, signIn, startDashboardEnv, type DashboardEnv } from './harness.ts';

const hashOf = (key: string): string => createHash('sha256').update(key).digest('hex').slice(0, 16);

/** 3 openai (alpha), 2 groq through the `fast` alias (beta), 2 echo (alpha), 1 unknown model. */
async function traffic(env: DashboardEnv): Promise<number> {
  const calls: Array<[string, string]> = [
    ['gpt-4.1-nano', CLIENT_KEYS[0]!], ['gpt-4.1-nano', CLIENT_KEYS[0]!], ['gpt-4.1-nano', CLIENT_KEYS[0]!],
    ['fast', CLIENT_KEYS[1]!], ['fast', CLIENT_KEYS[1]!],
    ['echo-1', CLIENT_KEYS[0]!], ['echo-1', CLIENT_KEYS[0]!],
    ['no-such-model', CLIENT_KEYS[1]!],
  ];
  for (const [model, key] of calls) await (await env.chat(model, key)).arrayBuffer();
  return eventually('the usage records', async () => {
    const body = (await (await env.manage('/v0/management/usage?limit=1000')).json()) as { data: unknown[] };
    return body.data.length >= 7 ? body.data.length : undefined;
  });
}

test('the usage charts draw the requests made through the gateway, per range and per split', { timeout: 120_000 }, async (t) => {
  const env = await startDashboardEnv();
  t.after(() => env.close());
  const recorded = await traffic(env);
  const page = await env.page();
  await signIn(page, `${env.url}#/usage`);

  const requests = await chartWhere(page, 'chart-requests', `${recorded} requests`, (data) => data.total === recorded);
  assert.equal(requests.total, recorded, 'every recorded request is in the chart');
  assert.ok(requests.points >= 60 && requests.points <= 62, `one point a minute over the last hour: ${requests.points}`);
  assert.equal(requests.series, 2, 'requests and errors');
  assert.equal(requests.canvas, true, 'uPlot drew a canvas');
  const tokens = await chartData(page, 'chart-tokens');
  assert.equal(tokens.total, 3 * 12 + 2 * 30, 'input tokens: 3 × 12 (openai) + 2 × 30 (groq)');
  const split = await chartData(page, 'chart-split');
  assert.ok(split.series >= 3, `one series per model: ${split.series}`);
  assert.equal(await page.locator('[data-stat="requests"]').innerText(), String(recorded));

  const byKey = page.getByRole('region', { name: 'By client key' });
  await byKey.getByText(hashOf(CLIENT_KEYS[0]!)).waitFor();
  await byKey.getByText(hashOf(CLIENT_KEYS[1]!)).waitFor();
  assert.ok(!(await page.content()).includes(CLIENT_KEYS[0]!), 'keys appear hashed only');
  await page.getByRole('region', { name: 'By provider' }).getByText('groq').waitFor();

  // The last day, per hour, from group_by=hour; the range is in the link.
  await page.getByText('Last day').click();
  const day = await chartWhere(page, 'chart-requests', 'one point an hour', (data) => data.points >= 24 && data.points <= 26);
  assert.equal(day.total, recorded);
  assert.match(page.url(), /#\/usage\?range=day/);
  await page.getByLabel('Split requests by').selectOption('provider');
  await page.locator('#chart-split figcaption', { hasText: 'Requests by provider' }).waitFor();
  await chartWhere(page, 'chart-split', 'one series per provider', (data) => data.series === 4);

  await page.getByText('Last 30 days').click();
  const month = await chartWhere(page, 'chart-requests', 'one point a day', (data) => data.points >= 30 && data.points <= 32);
  assert.equal(month.total, recorded);
});

test('recent requests filter by model, provider, status and key; the catalogue says where a model is served', { timeout: 120_000 }, async (t) => {
  const env = await startDashboardEnv();
  t.after(() => env.close());
  const recorded = await traffic(env);
  const page = await env.page();
  await signIn(page, `${env.url}#/requests`);
  const rows = page.locator('[aria-label="Recent requests"] tbody tr[data-status]');
  await eventually('every request listed', async () => ((await rows.count()) === recorded ? true : undefined));

  await page.getByLabel('Provider', { exact: true }).selectOption('groq');
  assert.equal(await rows.count(), 2);
  assert.match(page.url(), /provider=groq/);
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await page.getByLabel('Status').selectOption('errors');
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().innerText(), /no-such-model/);
  await page.getByLabel('Status').selectOption('');
  await page.getByLabel('Client key').selectOption(hashOf(CLIENT_KEYS[1]!));
  assert.equal(await rows.count(), 3);
  await page.getByLabel('Model').selectOption('fast');
  assert.equal(await rows.count(), 2);
  await page.getByRole('button', { name: 'Clear filters' }).click();
  assert.equal(await rows.count(), recorded);

  // A filtered view can be linked.
  await page.goto(`${env.url}#/requests?model=echo-1`);
  await eventually('the two echo-1 requests', async () => ((await rows.count()) === 2 ? true : undefined));

  await page.getByRole('link', { name: 'Models' }).click();
  await page.locator('tr[data-model="echo-1"]').waitFor();
  await page.getByRole('button', { name: 'Where is gpt-4.1-nano served?' }).first().click();
  await page.locator('tr[data-serving="openai"]').waitFor();
  assert.match(await page.locator('tr[data-serving="openai"]').innerText(), /gpt-4\.1-nano/);
  await page.getByLabel('Model', { exact: true }).fill('fast');
  await page.getByRole('button', { name: 'Look up' }).click();
  await page.locator('tr[data-serving="groq"]').waitFor();
  assert.match(await page.locator('tr[data-serving="groq"]').innerText(), /llama-3\.3-70b-versatile/);
  await page.getByRole('region', { name: 'Aliases' }).getByText('fast').waitFor();
  await page.getByLabel('Model', { exact: true }).fill('no-such-model');
  await page.getByRole('button', { name: 'Look up' }).click();
  await page.getByText(/^No enabled provider serves "no-such-model"\./).waitFor();
});
