// Registers gVisor's runsc as a Docker runtime in daemon.json, keeping every other setting.
// runsc from Debian only works under Docker with --network=none. Prints "changed" when it wrote.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const [file, runscPath] = process.argv.slice(2);
if (!file || !runscPath) {
  console.error('usage: register-runsc.mjs <daemon.json> <path-to-runsc>');
  process.exit(2);
}
let config = {};
if (existsSync(file)) {
  const text = readFileSync(file, 'utf8').trim();
  try {
    config = text === '' ? {} : JSON.parse(text);
  } catch (err) {
    console.error(`register-runsc: ${file} is not valid JSON (${err.message}); leaving it alone`);
    process.exit(1);
  }
}
const wanted = { path: runscPath, runtimeArgs: ['--network=none'] };
const current = config.runtimes?.runsc;
if (JSON.stringify(current) === JSON.stringify(wanted)) process.exit(0);
config.runtimes = { ...(config.runtimes ?? {}), runsc: wanted };
writeFileSync(`${file}.tmp`, `${JSON.stringify(config, null, 2)}\n`);
renameSync(`${file}.tmp`, file);
console.log('changed');
