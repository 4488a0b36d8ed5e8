#!/usr/bin/env node
import { existsSync } from 'node:fs';

// sync stages and fsyncs many files at once; libuv's default of 4 threads would queue them
process.env.UV_THREADPOOL_SIZE ??= '16';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('berth: not built yet; run `npm run build` (npm ci does it for you)\n');
  process.exit(1);
}
await import(entry.href);
