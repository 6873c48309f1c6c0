/**
 * The package's root directory, as a `file:` URL ending in `/`. This file sits one level
 * below the root both as a source (`src/package-root.ts`) and inside the bundle
 * (`dist/cli.js` and its chunks, all directly in `dist/`), so one relative URL serves both.
 */
export const PACKAGE_ROOT = new URL('../', import.meta.url);
