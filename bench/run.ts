import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { mustRun } from './child.js';
import { COMPOSE_BIN } from './compose.js';
import { benchExec } from './exec.js';
import { openBenchHub, removeTree } from './fixture.js';
import { benchMcp } from './mcp.js';
import { benchMcpHttp } from './mcp-http.js';
import { benchOps } from './ops.js';
import { parseOptions, type BenchName, type PartContext } from './options.js';
import {
  describe,
  formatMeta,
  formatPart,
  log,
  type BenchMeta,
  type PartReport,
  type PartResult,
} from './report.js';
import { benchSession } from './session.js';
import { benchSync } from './sync.js';
import { benchTeam } from './team.js';
import { benchUp } from './up.js';

const PARTS: Record<BenchName, (context: PartContext) => Promise<PartResult>> = {
  exec: benchExec,
  up: benchUp,
  mcp: benchMcp,
  'mcp-http': benchMcpHttp,
  ops: benchOps,
  session: benchSession,
  sync: benchSync,
  team: benchTeam,
};

/**
 * Entry point of `npm run bench [-- --runs N] [--up-runs N] [--session-runs N] [--only NAME]
 * [--json]`. Each part's figures are printed as it ends; a part that fails is reported with its
 * error and the run goes on, ending with a non-zero exit code. With `--json`, stdout gets one
 * JSON document at the end and each part's text goes to stderr as it ends.
 */
async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping after the current step, then cleaning up`);
    stop.abort(new Error(`interrupted by ${signal}`));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const root = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  const text = (s: string) => (options.json ? process.stderr : process.stdout).write(s);
  try {
    const meta = await collectMeta(join(root, 'meta'));
    text(formatMeta(meta));
    const parts: PartReport[] = [];
    for (const [part, bench] of Object.entries(PARTS) as [BenchName, (typeof PARTS)[BenchName]][]) {
      if (options.only.length > 0 && !options.only.includes(part)) continue;
      const started = performance.now();
      const seconds = () => Math.round((performance.now() - started) / 100) / 10;
      let report: PartReport;
      try {
        stop.signal.throwIfAborted();
        const result = await bench({ dir: join(root, part), options, signal: stop.signal });
        report = { part, seconds: seconds(), ...result };
      } catch (err) {
        log(`${part} failed: ${describe(err)}`);
        report = { part, seconds: seconds(), error: describe(err) };
      }
      parts.push(report);
      text(formatPart(report));
    }
    if (options.json) process.stdout.write(`${JSON.stringify({ meta, parts }, null, 2)}\n`);
    const failed = parts.filter((p) => p.error !== undefined).map((p) => p.part);
    if (failed.length > 0) log(`failed: ${failed.join(', ')}`);
    return failed.length > 0 ? 1 : 0;
  } finally {
    removeTree(root);
  }
}

/** What the figures were measured on; what cannot be found out is said so, and the run goes on. */
async function collectMeta(dir: string): Promise<BenchMeta> {
  const unknown = (err: unknown) => `unknown (${describe(err)})`;
  const fixture = openBenchHub(dir, ['unused']);
  try {
    const [engine, compose] = await Promise.all([
      fixture.berth.runtime.ping().then((p) => p.version, unknown),
      mustRun(COMPOSE_BIN, ['version', '--short']).then((r) => r.stdout.trim(), unknown),
    ]);
    return {
      startedAt: new Date().toISOString(),
      node: process.version,
      engine,
      compose,
      cpus: cpus().length,
    };
  } finally {
    await fixture.close();
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  log(`failed: ${describe(err)}`);
  process.exitCode = 1;
}
