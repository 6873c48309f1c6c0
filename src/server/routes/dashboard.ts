/**
 * `GET /dashboard`: the web console, static files built into `dashboard/dist` by the
 * project's build step (`npm install` runs it). The files hold no secret — the page asks
 * for the management key and calls the management API with it — but, like every management
 * surface, with no management key configured they are served to loopback clients only.
 */
import type { GatewayRequest, GatewayResponse } from '../types.ts';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GatewayError } from '../../errors.ts';
import type { GatewayContext } from '../runtime.ts';
import { PACKAGE_ROOT } from '../../package-root.ts';

const ROOT = fileURLToPath(new URL('dashboard/dist/', PACKAGE_ROOT));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.map': 'application/json',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export async function dashboardRoute(request: GatewayRequest, response: GatewayResponse, context: GatewayContext, path: string): Promise<void> {
  const runtime = context.current();
  if (runtime.config.managementKey === undefined) runtime.auth.requireManagement(request);
  if (path === '/dashboard') {
    response.writeHead(308, { location: '/dashboard/' }).end();
    return;
  }
  const relative = decodeURIComponent(path.slice('/dashboard/'.length)) || 'index.html';
  const file = normalize(join(ROOT, relative));
  if (!file.startsWith(ROOT) || file.includes(`${sep}..${sep}`)) throw new GatewayError(404, 'not_found', 'no such file', { retryable: false });
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    if (relative === 'index.html') {
      throw new GatewayError(503, 'not_found', 'the dashboard is not built: run `npm install` (or `npm run build:dashboard`)', { retryable: false });
    }
    throw new GatewayError(404, 'not_found', `no such file: ${relative}`, { retryable: false });
  }
  response.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': body.length,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}
