/**
 * The command line: `cliproxy serve | providers | models | check`.
 * `--config FILE` (or CLIPROXY_CONFIG) names the YAML file; without one, ./cliproxy.yaml
 * is used when present, and the gateway also starts with no file at all.
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { buildConfig, ConfigError, locateConfig, readConfigFile } from './config/load.ts';
import { buildProviders } from './providers/build.ts';
import { UpstreamClient } from './providers/upstream-client.ts';
import { startGateway } from './server/gateway.ts';
import { OAuthCredentials } from './providers/oauth-credentials.ts';
import { GatewayError } from './errors.ts';
import { importKiroToken } from './auth/kiro-import.ts';
import { PACKAGE_ROOT } from './package-root.ts';

const USAGE = `cliproxy — an LLM gateway

Usage:
  cliproxy serve     [--config FILE] [--host HOST] [--port PORT]   start the gateway
  cliproxy providers [--config FILE]                              list the provider registry
  cliproxy models    [--config FILE] [--provider NAME]            list servable models
  cliproxy check     [--config FILE]                              validate the configuration
  cliproxy login copilot [--config FILE]                          GitHub device login for Copilot
  cliproxy login kiro [--method builder-id|idc] [--start-url URL] [--region R] [--config FILE]
                                                                  AWS device login for Kiro
  cliproxy import kiro [FILE] [--config FILE]                     import the Kiro IDE's token cache

Options:
  -c, --config FILE   YAML configuration (default: $CLIPROXY_CONFIG, else ./cliproxy.yaml if present)
  -h, --help          this text
  -v, --version       the version
`;

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8')) as { version: string };
  return manifest.version;
}

async function loadForInspection(configFlag: string | undefined) {
  const path = locateConfig(configFlag, process.env);
  const raw = path === undefined ? {} : await readConfigFile(path);
  const config = buildConfig(raw, process.env, path);
  const client = new UpstreamClient({ connectTimeoutMs: config.routing.timeouts.connectMs });
  const built = await buildProviders(config, { env: process.env, client });
  await client.close();
  return { path, config, built };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      host: { type: 'string' },
      port: { type: 'string' },
      provider: { type: 'string' },
      method: { type: 'string' },
      'start-url': { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  const command = positionals[0] ?? 'serve';
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.version === true) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }

  switch (command) {
    case 'serve': {
      const port = values.port === undefined ? undefined : Number(values.port);
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
        process.stderr.write(`--port: not a port number: ${values.port}\n`);
        return 2;
      }
      const gateway = await startGateway({ configPath: locateConfig(values.config, process.env), host: values.host, port });
      const stop = (): void => {
        gateway.close().then(() => process.exit(0), () => process.exit(1));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return -1; // keep running
    }
    case 'check': {
      const { path, built } = await loadForInspection(values.config);
      const enabled = built.registry.listEnabled().map((provider) => provider.name());
      process.stdout.write(`${path ?? '(no config file)'}: valid; ${built.registry.listAll().length} providers registered, enabled: ${enabled.join(', ') || 'none'}\n`);
      return 0;
    }
    case 'providers': {
      const { built } = await loadForInspection(values.config);
      const rows = built.registry.listAll().map((provider) => {
        const entry = built.entries.get(provider.name());
        return [
          provider.name(),
          provider.type(),
          built.registry.isEnabled(provider.name()) ? 'enabled' : 'disabled',
          provider.authType(),
          String(entry?.credentials.length ?? 0),
          String(provider.listModels().length),
          entry?.http?.settings.endpoint ?? '(module)',
        ];
      });
      printTable(['NAME', 'TYPE', 'STATE', 'AUTH', 'KEYS', 'MODELS', 'ENDPOINT'], rows);
      return 0;
    }
    case 'models': {
      const { built } = await loadForInspection(values.config);
      const rows: string[][] = [];
      for (const provider of built.registry.listAll()) {
        if (values.provider !== undefined ? provider.name() !== values.provider : !built.registry.isEnabled(provider.name())) continue;
        for (const model of provider.listModels()) {
          const caps = model.capabilities;
          const flags = [caps.streaming ? 'stream' : '', caps.functions ? 'tools' : '', caps.vision ? 'vision' : ''].filter(Boolean).join(',');
          rows.push([model.name, provider.name(), flags, String(caps.max_tokens)]);
        }
      }
      printTable(['MODEL', 'PROVIDER', 'CAPABILITIES', 'CONTEXT'], rows);
      return 0;
    }
    case 'login':
    case 'import': {
      const provider = positionals[1];
      if (command === 'import' ? provider !== 'kiro' : provider !== 'copilot' && provider !== 'kiro') {
        process.stderr.write(`${command} needs a provider: ${command === 'import' ? 'kiro' : 'copilot or kiro'}\n`);
        return 2;
      }
      const method = values.method;
      if (method !== undefined && method !== 'builder-id' && method !== 'idc') {
        process.stderr.write('--method: builder-id or idc\n');
        return 2;
      }
      const path = locateConfig(values.config, process.env);
      const config = buildConfig(path === undefined ? {} : await readConfigFile(path), process.env, path);
      const client = new UpstreamClient({ connectTimeoutMs: config.routing.timeouts.connectMs });
      const oauth = await OAuthCredentials.open({ dataDir: config.dataDir, settings: config.oauth, client, watch: false });
      try {
        if (command === 'import') {
          const credential = await importKiroToken({ file: positionals[2] });
          const saved = await oauth.store.save(credential);
          process.stdout.write(`Imported Kiro credential ${saved.id} (${saved.label}).\nSaved to ${oauth.store.pathOf(saved.id)}\n`);
          return 0;
        }
        const ticket = await oauth.logins.startLogin(provider as 'copilot' | 'kiro', {
          method,
          startUrl: values['start-url'],
          region: values.region,
        });
        process.stdout.write(`To sign in, open ${ticket.verification_uri_complete ?? ticket.verification_uri}\nand enter the code: ${ticket.user_code}\n(it expires at ${ticket.expires_at})\nWaiting…\n`);
        const status = await oauth.logins.wait(ticket.login_id);
        if (status.status === 'success') {
          process.stdout.write(`Signed in as ${status.label}.\nSaved to ${oauth.store.pathOf(status.credential_id)}\n`);
          return 0;
        }
        process.stderr.write(`Login failed: ${status.status === 'failed' ? status.reason : 'unknown outcome'}\n`);
        return 1;
      } finally {
        await oauth.close();
        await client.close();
      }
    }
    default:
      process.stderr.write(`unknown command: ${command}\n\n${USAGE}`);
      return 2;
  }
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]): string => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  process.stdout.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    const known = error instanceof ConfigError || error instanceof GatewayError;
    process.stderr.write(`${known ? `cliproxy: ${error.message}` : `cliproxy: ${(error as Error).stack ?? String(error)}`}\n`);
    process.exitCode = 1;
  },
);
