/**
 * Runs one gateway in a child process so a test can read everything it logs (pino writes
 * straight to file descriptor 1, out of reach of an in-process test). Takes the raw config
 * as JSON in argv[2] and the log level in argv[3]; exits on SIGTERM after closing.
 *
 *   node test/helpers/gateway-child.ts '{"port":0,...}' trace
 */
import { startGateway } from '../../src/server/gateway.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as unknown;
const gateway = await startGateway({ config, env: {}, logLevel: process.argv[3] ?? 'trace', watch: false });
process.stderr.write(`gateway-child listening ${gateway.url}\n`);
process.on('SIGTERM', () => {
  void gateway.close().finally(() => process.exit(0));
});
