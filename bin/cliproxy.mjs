#!/usr/bin/env node
// Runs the compiled CLI when the package was built (npm pack/publish), else the TypeScript
// sources directly (Node >= 22.18 strips types natively).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
await import(existsSync(compiled) ? compiled : new URL('../src/cli.ts', import.meta.url).href);
