/**
 * Builds the gateway into `dist/`: `src/cli.ts` and everything it imports, npm packages
 * included, bundled by esbuild into `dist/cli.js` plus one chunk per lazily loaded part (the
 * Redis driver, say). `npm install` runs it (`prepare`), so does `npm start` (`prestart`) and
 * `npm run bench`; `bin/cliproxy.mjs` runs the bundle when it exists.
 *
 * Why a bundle, when Node 24 runs the TypeScript sources as they are: type stripping loads a
 * WebAssembly compiler into every process (~17 MB of RSS), and ~400 module files cost more
 * memory than one file whose functions V8 compiles only when first called. Idle RSS is one of
 * the figures users compare gateways on (BENCHMARKS.md).
 *
 * @example
 *   node scripts/build.ts           # dist/
 *   node scripts/build.ts OUTDIR    # elsewhere (the tests build into a temporary folder)
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Bundles the gateway into `outdir` (default `dist/`), replacing what was there. */
export async function buildServer(outdir: string = resolve(ROOT, 'dist')): Promise<void> {
  // Loaded here: a production install (no devDependencies) can still run the bundle it has.
  const { build } = await import('esbuild');
  await rm(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: { cli: 'src/cli.ts' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    outdir,
    chunkNames: 'chunk-[hash]',
    // Bundled CommonJS packages (pino, ioredis, …) call require() for Node's built-ins.
    banner: { js: "import { createRequire as __cliproxyRequire } from 'node:module'; const require = __cliproxyRequire(import.meta.url);" },
    // Whitespace and comments out, names kept (stack traces stay readable): the source stays
    // in memory, as one-byte text only when no comment holds a non-ASCII character.
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    logLevel: 'warning',
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await buildServer(process.argv[2] === undefined ? undefined : resolve(process.argv[2]));
  } catch (error) {
    // `npm start` after `npm install --omit=dev`: no esbuild, but a built bundle to run.
    const missing = (error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes('esbuild');
    if (!missing || process.argv[2] !== undefined || !existsSync(resolve(ROOT, 'dist', 'cli.js'))) throw error;
    console.error('scripts/build.ts: esbuild is not installed (devDependencies omitted); running the existing dist/ as it is');
  }
}
