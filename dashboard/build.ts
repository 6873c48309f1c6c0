/**
 * Builds the web console into `dashboard/dist/` (index.html, app.js, app.css) with esbuild:
 * the page's TypeScript, its stylesheet and uPlot are bundled, so the gateway serves it with
 * no CDN and no external font. `npm install` runs it (the `prepare` script); tests call
 * `buildDashboard()` when `dist/` is missing.
 *
 * @example
 *   node dashboard/build.ts            # one build
 *   node dashboard/build.ts --watch    # rebuild on every edit
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, context, type BuildOptions } from 'esbuild';

const HERE = fileURLToPath(new URL('.', import.meta.url));
export const DIST = fileURLToPath(new URL('./dist/', import.meta.url));

function options(outdir: string): BuildOptions {
  return {
    absWorkingDir: HERE,
    entryPoints: { app: 'src/main.ts' },
    bundle: true,
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    outdir,
    logLevel: 'warning',
  };
}

/**
 * Bundles the console into `outdir` (default `dashboard/dist/`). The files are written to a
 * sibling folder first and moved into place, so a gateway serving `outdir` meanwhile never
 * sees half a build, and two builds at once do not mix their files.
 */
export async function buildDashboard(outdir: string = DIST): Promise<void> {
  const target = outdir.replace(/[\\/]+$/, '');
  const staging = `${target}.staging-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(staging, { recursive: true });
    await build(options(staging));
    await copyFile(join(HERE, 'index.html'), join(staging, 'index.html'));
    await rm(target, { recursive: true, force: true });
    await rename(staging, target);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  if (process.argv.includes('--watch')) {
    await buildDashboard();
    const watcher = await context(options(DIST));
    await watcher.watch();
    process.stdout.write(`watching dashboard/src, writing ${DIST}\n`);
  } else {
    await buildDashboard();
    process.stdout.write(`dashboard built into ${DIST}\n`);
  }
}
