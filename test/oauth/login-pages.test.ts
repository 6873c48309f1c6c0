/**
 * The browser login pages (`GET /v0/oauth/copilot`, `GET /v0/oauth/kiro`) driven in headless
 * Chromium (Debian's `/usr/bin/chromium` through `playwright-core`), against the running
 * gateway and the loopback fakes. Each page state is saved as a screenshot under
 * `test-artifacts/` (git-ignored) for the README.
 * Without Chromium the tests fail, saying so: CI installs it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TestContext } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startGateway, type RunningGateway } from '../../src/server/gateway.ts';
import { startOAuthWorld, tempDataDir, testClock, type OAuthWorld } from '../helpers/oauth-world.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let browser: BrowserContext | undefined;
let profile: string | undefined;

before(async () => {
  if (!existsSync(CHROMIUM)) return;
  await mkdir(ARTIFACTS, { recursive: true });
  profile = await mkdtemp(join(tmpdir(), 'cliproxy-chromium-'));
  browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 720, height: 560 } });
});

after(async () => {
  await browser?.close();
  if (profile !== undefined) await rm(profile, { recursive: true, force: true });
});

interface PageSetup {
  world: OAuthWorld;
  gateway: RunningGateway;
  page: Page;
}

async function setup(t: TestContext, provider: 'copilot' | 'kiro'): Promise<PageSetup> {
  if (browser === undefined) {
    assert.fail(`Chromium is not installed at ${CHROMIUM}: the login-page tests need it (apt-get install chromium; CI installs it in .ci/run)`);
  }
  const clock = testClock();
  const world = await startOAuthWorld(clock);
  const data = await tempDataDir();
  const running = await startGateway({ config: world.gatewayConfig(data.dir), env: {}, logLevel: 'silent', clock });
  const page = await browser.newPage();
  t.after(async () => {
    await page.close();
    await running.close();
    await world.close();
    await data.remove();
  });
  const response = await page.goto(`${running.url}/v0/oauth/${provider}`);
  assert.equal(response?.status(), 200);
  return { world, gateway: running, page };
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
  assert.ok(existsSync(join(ARTIFACTS, name)), `${name} written`);
}

test('Copilot page: enter the key, start, the user code shows, then "Signed in as …" when GitHub authorizes', async (t) => {
  const { world, page } = await setup(t, 'copilot');
  world.github.manual = true;
  assert.equal(await page.title(), 'cliproxy — sign in to GitHub Copilot');
  await screenshot(page, 'copilot-login-start.png');
  await page.fill('#key', 'mk');
  await page.click('button[type=submit]');
  const code = page.getByTestId('user-code');
  await code.waitFor({ state: 'visible', timeout: 10_000 });
  assert.equal(await code.textContent(), 'ABCD-1234');
  assert.equal(await page.getAttribute('#link', 'href'), 'https://github.com/login/device');
  assert.equal(await page.textContent('#link'), 'https://github.com/login/device');
  assert.equal(await page.isVisible('#start'), false, 'the form is gone');
  await screenshot(page, 'copilot-login-code.png');
  world.authorize();
  await page.waitForSelector('#result.ok', { timeout: 10_000 });
  assert.equal(await page.textContent('#result'), 'Signed in as octocat. Saved as credential copilot-octocat.');
  assert.equal(await page.isVisible('[data-testid=user-code]'), false);
  await screenshot(page, 'copilot-login-success.png');
  assert.ok(world.hits('POST /github/token').length >= 1);
});

test('Copilot page: a wrong management key says so and starts nothing', async (t) => {
  const { world, page } = await setup(t, 'copilot');
  await page.fill('#key', 'not-the-key');
  await page.click('button[type=submit]');
  await page.waitForSelector('#result.fail', { timeout: 10_000 });
  assert.equal(await page.textContent('#result'), 'Wrong management key.');
  assert.equal(await page.isVisible('#start'), true, 'the form stays for another try');
  assert.equal(world.hits('POST /github/device/code').length, 0);
  await screenshot(page, 'copilot-login-wrong-key.png');
});

test('Copilot page: a denied authorization turns into a readable failure', async (t) => {
  const { world, page } = await setup(t, 'copilot');
  world.github.outcome = 'denied';
  world.github.pending = 1;
  await page.fill('#key', 'mk');
  await page.click('button[type=submit]');
  await page.waitForSelector('#result.fail', { timeout: 10_000 });
  assert.equal(await page.textContent('#result'), 'Failed: the GitHub authorization was denied');
  await screenshot(page, 'copilot-login-denied.png');
});

test('Kiro page: Identity Center with start URL and region, the code with its link, then success', async (t) => {
  const { world, page } = await setup(t, 'kiro');
  world.oidc.manual = true;
  assert.equal(await page.title(), 'cliproxy — sign in to Kiro (AWS)');
  assert.equal(await page.isVisible('#start-url'), false, 'Identity Center fields hidden for Builder ID');
  await screenshot(page, 'kiro-login-start.png');
  await page.fill('#key', 'mk');
  await page.check('input[name=method][value=idc]');
  assert.equal(await page.isVisible('#start-url'), true);
  await page.fill('#start-url', 'https://my-org.awsapps.com/start');
  await page.fill('#region', 'eu-west-1');
  await screenshot(page, 'kiro-login-idc-form.png');
  await page.click('button[type=submit]');
  const code = page.getByTestId('user-code');
  await code.waitFor({ state: 'visible', timeout: 10_000 });
  assert.equal(await code.textContent(), 'WXYZ-9876');
  assert.equal(await page.getAttribute('#link', 'href'), 'https://device.sso.us-east-1.amazonaws.com/?user_code=WXYZ-9876');
  assert.equal(await page.textContent('#link'), 'https://device.sso.us-east-1.amazonaws.com/');
  await screenshot(page, 'kiro-login-code.png');
  assert.equal(world.hits('POST /oidc/eu-west-1/device_authorization')[0]?.json?.startUrl, 'https://my-org.awsapps.com/start');
  world.authorize();
  await page.waitForSelector('#result.ok', { timeout: 10_000 });
  assert.match(String(await page.textContent('#result')), /^Signed in as https:\/\/my-org\.awsapps\.com\/start\. Saved as credential kiro-[0-9a-f]{12}\.$/);
  await screenshot(page, 'kiro-login-success.png');
});

test('Kiro page: an expired device code turns into a readable failure', async (t) => {
  const { world, page } = await setup(t, 'kiro');
  world.oidc.outcome = 'expired_token';
  await page.fill('#key', 'mk');
  await page.click('button[type=submit]');
  await page.waitForSelector('#result.fail', { timeout: 10_000 });
  assert.equal(await page.textContent('#result'), 'Failed: the AWS device code expired before it was authorized; start the login again');
  await screenshot(page, 'kiro-login-expired.png');
});
