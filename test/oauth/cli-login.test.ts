/**
 * `cliproxy login` and `cliproxy import kiro`, run as real processes (`node src/cli.ts …`)
 * with HOME in a temporary folder and a config file whose data_dir is temporary and whose
 * OAuth URLs point at the loopback fakes.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import OpenAI from 'openai';
import { startGateway } from '../../src/server/gateway.ts';
import { eventually, startOAuthWorld, tempDataDir, testClock, type OAuthWorld } from '../helpers/oauth-world.ts';

const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;

interface CliSetup {
  world: OAuthWorld;
  home: string;
  dataDir: string;
  configFile: string;
}

async function setup(t: TestContext): Promise<CliSetup> {
  const world = await startOAuthWorld();
  const folder = await tempDataDir();
  t.after(async () => {
    await world.close();
    await folder.remove();
  });
  const home = join(folder.dir, 'home');
  const dataDir = join(folder.dir, 'data');
  await mkdir(home, { recursive: true });
  const configFile = join(folder.dir, 'cliproxy.yaml');
  // JSON is YAML.
  await writeFile(configFile, JSON.stringify({ data_dir: dataDir, log_level: 'silent', oauth: world.oauthSettings() }, null, 2));
  return { world, home, dataDir, configFile };
}

interface Run {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function run(t: TestContext, home: string, args: string[]): Run {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: home,
    env: { HOME: home, PATH: process.env.PATH ?? '', NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  t.after(async () => {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exit;
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

test('cliproxy login copilot prints the code and the link, waits for the authorization, and says where the credential went', async (t) => {
  const { world, home, dataDir, configFile } = await setup(t);
  world.github.manual = true;
  const cli = run(t, home, ['login', 'copilot', '--config', configFile]);
  await eventually('the user code on stdout', () => (cli.stdout().includes('Waiting…') ? true : undefined), 15_000);
  assert.match(cli.stdout(), /^To sign in, open https:\/\/github\.com\/login\/device\nand enter the code: ABCD-1234\n\(it expires at \d{4}-\d{2}-\d{2}T[\d:.]+Z\)\nWaiting…\n$/);
  await eventually('polls at GitHub', () => (world.hits('POST /github/token').length >= 3 ? true : undefined));
  assert.equal(cli.child.exitCode, null, 'still waiting while GitHub says pending');
  world.authorize();
  assert.equal(await cli.exit, 0, cli.stderr());
  const file = join(dataDir, 'credentials', 'copilot-octocat.json');
  assert.ok(cli.stdout().endsWith(`Signed in as octocat.\nSaved to ${file}\n`), cli.stdout());
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.equal((await stat(join(dataDir, 'credentials'))).mode & 0o777, 0o700);
  const record = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  assert.deepEqual([record.provider, record.label, record.github_token, record.status], ['copilot', 'octocat', 'gho_octocat_token', 'active']);
  assert.deepEqual((await readdir(join(dataDir, 'credentials'))).filter((name) => name.endsWith('.tmp')), [], 'no temporary file left');
});

test('cliproxy login copilot reports a denial and exits 1', async (t) => {
  const { world, home, dataDir, configFile } = await setup(t);
  world.github.outcome = 'denied';
  const cli = run(t, home, ['login', 'copilot', '--config', configFile]);
  assert.equal(await cli.exit, 1);
  assert.match(cli.stdout(), /enter the code: ABCD-1234/);
  assert.equal(cli.stderr(), 'Login failed: the GitHub authorization was denied\n');
  assert.deepEqual(await readdir(join(dataDir, 'credentials')), []);
});

test('cliproxy login kiro --method idc --start-url --region signs in through Identity Center', async (t) => {
  const { world, home, dataDir, configFile } = await setup(t);
  const cli = run(t, home, ['login', 'kiro', '--method', 'idc', '--start-url', 'https://my-org.awsapps.com/start', '--region', 'eu-west-1', '--config', configFile]);
  assert.equal(await cli.exit, 0, cli.stderr());
  assert.match(cli.stdout(), /^To sign in, open https:\/\/device\.sso\.us-east-1\.amazonaws\.com\/\?user_code=WXYZ-9876\nand enter the code: WXYZ-9876\n/);
  const saved = /Signed in as https:\/\/my-org\.awsapps\.com\/start\.\nSaved to (.+\.json)\n$/.exec(cli.stdout());
  assert.ok(saved !== null, cli.stdout());
  const file = saved[1] as string;
  assert.ok(file.startsWith(join(dataDir, 'credentials')));
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  const record = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  assert.deepEqual([record.auth_method, record.region, record.start_url, record.refresh_token], ['idc', 'eu-west-1', 'https://my-org.awsapps.com/start', 'kiro-refresh-login']);
  assert.equal(world.hits('POST /oidc/eu-west-1/device_authorization')[0]?.json?.startUrl, 'https://my-org.awsapps.com/start');
});

test('cliproxy import kiro FILE imports the Kiro IDE token cache with its client registration, and the gateway serves with it', async (t) => {
  const { world, home, dataDir, configFile } = await setup(t);
  const cache = join(home, 'kiro-export');
  await mkdir(cache, { recursive: true });
  const tokenFile = join(cache, 'kiro-auth-token.json');
  const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
  await writeFile(tokenFile, JSON.stringify({
    accessToken: 'ide-access-token',
    refreshToken: 'ide-refresh-token',
    expiresAt,
    authMethod: 'IdC',
    provider: 'BuilderId',
    clientIdHash: 'a1b2c3d4e5',
    region: 'us-east-1',
  }));
  await writeFile(join(cache, 'a1b2c3d4e5.json'), JSON.stringify({ clientId: 'ide-client-id', clientSecret: 'ide-client-secret', expiresAt: '2030-06-01T00:00:00.000Z' }));
  const cli = run(t, home, ['import', 'kiro', tokenFile, '--config', configFile]);
  assert.equal(await cli.exit, 0, cli.stderr());
  const saved = /^Imported Kiro credential (kiro-[0-9a-f]{12}) \(https:\/\/view\.awsapps\.com\/start\)\.\nSaved to (.+)\n$/.exec(cli.stdout());
  assert.ok(saved !== null, cli.stdout());
  const [, id, file] = saved;
  assert.equal(file, join(dataDir, 'credentials', `${id}.json`));
  assert.equal((await stat(file as string)).mode & 0o777, 0o600);
  const record = JSON.parse(await readFile(file as string, 'utf8')) as Record<string, unknown>;
  assert.deepEqual(
    [record.auth_method, record.access_token, record.refresh_token, record.expires_at, record.client_id, record.client_secret, record.client_secret_expires_at, record.profile_arn],
    ['builder-id', 'ide-access-token', 'ide-refresh-token', expiresAt, 'ide-client-id', 'ide-client-secret', '2030-06-01T00:00:00.000Z', undefined],
  );

  // A gateway on that data_dir serves Kiro with the imported token.
  const gateway = await startGateway({ config: world.gatewayConfig(dataDir), env: {}, logLevel: 'silent', clock: testClock() });
  try {
    const openai = new OpenAI({ apiKey: 'unused', baseURL: `${gateway.url}/v1`, maxRetries: 0, timeout: 10_000 });
    const completion = await openai.chat.completions.create({ model: 'kiro/claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(completion.choices[0]?.message.content, 'Hello from Kiro');
    assert.equal(world.hits('POST /kiro/generateAssistantResponse')[0]?.headers.authorization, 'Bearer ide-access-token');
  } finally {
    // Before the fakes and the folder go (the setup's after-hooks run first otherwise).
    await gateway.close();
  }
});

test('cliproxy import kiro reads ~/.aws/sso/cache/kiro-auth-token.json by default; a social login needs no registration', async (t) => {
  const { home, dataDir, configFile } = await setup(t);
  const cache = join(home, '.aws', 'sso', 'cache');
  await mkdir(cache, { recursive: true });
  await writeFile(join(cache, 'kiro-auth-token.json'), JSON.stringify({
    accessToken: 'social-access',
    refreshToken: 'social-refresh',
    expiresAt: '2030-01-01T00:00:00.000Z',
    authMethod: 'social',
    provider: 'Github',
    profileArn: 'arn:aws:codewhisperer:us-east-1:123456789012:profile/SYNTHETIC',
  }));
  const cli = run(t, home, ['import', 'kiro', '--config', configFile]);
  assert.equal(await cli.exit, 0, cli.stderr());
  assert.match(cli.stdout(), /^Imported Kiro credential kiro-[0-9a-f]{12} \(Kiro IDE \(Github login\)\)\.\nSaved to /);
  const [name] = await readdir(join(dataDir, 'credentials'));
  const record = JSON.parse(await readFile(join(dataDir, 'credentials', String(name)), 'utf8')) as Record<string, unknown>;
  assert.deepEqual([record.auth_method, record.profile_arn, record.client_id], ['social', 'arn:aws:codewhisperer:us-east-1:123456789012:profile/SYNTHETIC', undefined]);

  // Without a file the message says where it looked.
  const missing = run(t, home, ['import', 'kiro', join(home, 'nope.json'), '--config', configFile]);
  assert.equal(await missing.exit, 1);
  assert.equal(missing.stderr(), `cliproxy: no Kiro token cache at ${join(home, 'nope.json')}: sign in with the Kiro IDE first, or name the file\n`);
});
