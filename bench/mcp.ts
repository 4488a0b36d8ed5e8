import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAlternating, timedSeries, type TimedSeries } from './alternating-runs.js';
import { dockerExec, expectSame } from './checks.js';
import { berthBelow, compare, ratioBelow, type AimRule, type Comparison } from './comparison.js';
import { openBenchHub } from './fixture.js';
import { connectMcpStdio, textOf, type McpStdioSession } from './mcp-session.js';
import { MCP_WARMUP_RUNS, type PartContext } from './options.js';
import { log, type PartResult } from './report.js';
import { textOfSize } from './text-content.js';

/** `run_command` over MCP should take less than this fraction of `docker exec`'s time. */
export const MCP_RUN_AIM_RATIO = 0.5;
/** A 4 KiB `read_file` over MCP should take less than this many ms at p50. */
export const MCP_READ_4K_AIM_P50_MS = 2;

const PROJECT = 'app';
const SIZES = [
  { label: '4 KiB', bytes: 4 * 1024 },
  { label: '1 MiB', bytes: 1024 * 1024 },
] as const;

/**
 * Tool calls through a real MCP SDK client over stdio to a spawned `berth mcp`, each against the
 * same work done directly: `read_file` and `write_file` against `fs.readFileSync` and
 * `fs.writeFileSync` in this process, `run_command` against `docker exec <id> true`.
 */
export async function benchMcp({ dir, options, signal }: PartContext): Promise<PartResult> {
  const fixture = openBenchHub(dir, [PROJECT]);
  const projectDir = join(fixture.dir, PROJECT);
  let session: McpStdioSession | undefined;
  try {
    log('mcp: bringing up 1 project');
    const containerId = await fixture.up();
    log('mcp: starting `node bin/berth.js -f berth.yaml mcp` with an MCP SDK client over stdio');
    session = await connectMcpStdio(fixture.configFile, fixture.home);
    const mcp = session;
    const names = await mcp.toolNames();
    const missing = ['read_file', 'write_file', 'run_command'].filter((n) => !names.includes(n));
    if (missing.length > 0) throw new Error(`berth mcp does not offer ${missing.join(', ')}`);
    const call = (name: string, args: Record<string, unknown>) =>
      mcp.call(name, { project: PROJECT, ...args }, signal);
    const comparisons: Comparison[] = [];
    const pair = async (name: string, berth: TimedSeries, baseline: TimedSeries, aim?: AimRule) => {
      const plan = { name: `mcp: ${name}`, warmupRuns: MCP_WARMUP_RUNS, runs: options.runs, signal };
      await runAlternating(plan, [berth, baseline]);
      return compare(`MCP ${name}`, berth, baseline, aim ? { aim } : {});
    };

    for (const size of SIZES) {
      const path = `read-${size.bytes}.txt`;
      const file = join(projectDir, path);
      const content = textOfSize(size.bytes, `read ${size.label}`);
      writeFileSync(file, content);
      const tool = timedSeries('read_file (MCP over stdio)', () =>
        timed(
          () => call('read_file', { path }),
          (result) => expectSame(textOf(result), content, `read_file ${path}`),
        ),
      );
      const direct = timedSeries('fs.readFileSync', () =>
        timed(
          () => readFileSync(file, 'utf8'),
          (text) => expectSame(text, content, 'fs.readFileSync'),
        ),
      );
      const aim = size.label === '4 KiB' ? berthBelow(MCP_READ_4K_AIM_P50_MS) : undefined;
      comparisons.push(await pair(`read_file ${size.label}`, tool, direct, aim));
    }

    for (const size of SIZES) {
      const path = `write-${size.bytes}.txt`;
      const file = join(projectDir, path);
      const content = textOfSize(size.bytes, `write ${size.label}`);
      // the file holds same-sized other text before each write (untimed), so the check proves it
      const scrub = textOfSize(size.bytes, `scrub ${size.label}`);
      const written = () => expectSame(readFileSync(file, 'utf8'), content, `write ${path}`);
      const tool = timedSeries('write_file (MCP over stdio)', () => {
        writeFileSync(file, scrub);
        return timed(
          () => call('write_file', { path, content }),
          (result) => {
            const reply = result.structuredContent as { bytes?: unknown; created?: unknown } | undefined;
            if (reply?.bytes !== content.length || reply.created !== false)
              throw new Error(`write_file ${path}: unexpected reply ${JSON.stringify(reply)}`);
            written();
          },
        );
      });
      const direct = timedSeries('fs.writeFileSync', () => {
        writeFileSync(file, scrub);
        return timed(() => writeFileSync(file, content), written);
      });
      comparisons.push(await pair(`write_file ${size.label}`, tool, direct));
    }

    const runCommand = timedSeries('run_command (MCP over stdio)', () =>
      timed(
        () => call('run_command', { command: 'true' }),
        (result) => {
          const reply = result.structuredContent as { exit_code?: unknown } | undefined;
          if (reply?.exit_code !== 0) throw new Error(`run_command true: ${textOf(result)}`);
        },
      ),
    );
    const docker = dockerExec(containerId, ['true']);
    comparisons.push(await pair('run_command `true`', runCommand, docker, ratioBelow(MCP_RUN_AIM_RATIO)));
    return {
      about: [
        'MCP SDK Client over stdio to a spawned `node bin/berth.js -f <berth.yaml> mcp`; fs calls in-process on ' +
          'the same file, docker exec as a CLI child process on the same container',
        `${options.runs} measured runs each after ${MCP_WARMUP_RUNS} warm-up, alternating which goes first`,
      ],
      comparisons,
    };
  } finally {
    await session?.close();
    await fixture.close();
  }
}

/** Times `fn` alone; `check` runs after the clock stops. */
async function timed<T>(fn: () => T | Promise<T>, check: (value: T) => void): Promise<number> {
  const started = performance.now();
  const value = await fn();
  const ms = performance.now() - started;
  check(value);
  return ms;
}
