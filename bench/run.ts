import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerRuntime, silentLogger } from '../src/index.js';
import { mustRun } from './command.js';
import { COMPOSE_BIN } from './compose.js';
import { benchExec } from './exec.js';
import { describe, log } from './log.js';
import { benchMcp } from './mcp.js';
import { benchMcpHttpConcurrency } from './mcp-http-concurrency.js';
import { benchOps } from './ops.js';
import { parseOptions, type BenchName } from './options.js';
import { formatReport, type BenchMeta, type BenchResult } from './report.js';
import { benchSession } from './session.js';
import { benchUp } from './up.js';

/**
 * Entry point of `npm run bench [-- --runs N] [--up-runs N] [--session-runs N] [--only NAME]
 * [--json]`: exec, then up, then the MCP tools over stdio, then the ops side-car, then sessions;
 * `--runs` is the measured runs per series of exec, of each MCP tool and of each ops latency;
 * `--only` (repeatable) runs just the named benchmarks.
 */
async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping after the current step, then cleaning up`);
    stop.abort(new Error(`interrupted by ${signal}`));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const root = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  try {
    const meta = await collectMeta();
    const wanted = (name: BenchName) => options.only.length === 0 || options.only.includes(name);
    const result: BenchResult = { meta };
    if (wanted('exec')) result.exec = await benchExec(root, options.runs, stop.signal);
    if (wanted('up')) result.up = await benchUp(root, options.upRuns, stop.signal);
    if (wanted('mcp')) result.mcp = await benchMcp(root, options.runs, stop.signal);
    if (wanted('mcp-http')) result.mcpHttp = await benchMcpHttpConcurrency(root, stop.signal);
    if (wanted('ops')) result.ops = await benchOps(root, options.runs, stop.signal);
    if (wanted('session')) result.session = await benchSession(root, options.sessionRuns, stop.signal);
    process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatReport(result));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function collectMeta(): Promise<BenchMeta> {
  const engine = await new DockerRuntime(silentLogger()).ping();
  const compose = await mustRun(COMPOSE_BIN, ['version', '--short']);
  return {
    startedAt: new Date().toISOString(),
    node: process.version,
    engine: engine.version,
    compose: compose.stdout.trim(),
    cpus: cpus().length,
  };
}

try {
  await main();
} catch (err) {
  log(`failed: ${describe(err)}`);
  process.exitCode = 1;
}
