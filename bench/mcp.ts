import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAlternating, type TimedSeries } from './alternating-runs.js';
import { mustRun } from './command.js';
import { openBenchHub } from './hub-fixture.js';
import { log } from './log.js';
import { connectMcpStdio, textOf, type McpStdioSession } from './mcp-session.js';
import { MCP_WARMUP_RUNS } from './options.js';
import { latencySummary, percentile, ratio, type LatencySummary } from './stats.js';
import { textOfSize } from './text-content.js';

/** `run_command` over MCP should take less than this fraction of `docker exec`'s time. */
export const MCP_RUN_AIM_RATIO = 0.5;
/** A 4 KiB `read_file` over MCP should take less than this many ms at p50. */
export const MCP_READ_4K_AIM_P50_MS = 2;

const PROJECT = 'app';
/** In-process file calls take a few µs: keep 4 decimals of a ms. */
const DECIMALS = 4;

const SIZES = [
  { label: '4 KiB', bytes: 4 * 1024 },
  { label: '1 MiB', bytes: 1024 * 1024 },
] as const;

type SizeLabel = (typeof SIZES)[number]['label'];

export interface McpCase {
  berthLabel: string;
  baselineLabel: string;
  berth: LatencySummary;
  baseline: LatencySummary;
  /** berth / baseline. */
  ratio: { p50: number; p95: number };
}

export interface McpFigures {
  transport: string;
  runs: number;
  warmupRuns: number;
  order: string;
  readFile: Record<SizeLabel, McpCase>;
  writeFile: Record<SizeLabel, McpCase>;
  runCommand: McpCase;
  aims: {
    runCommand: { ratioBelow: number; p50Met: boolean; p95Met: boolean; met: boolean };
    readFile4KiB: { p50BelowMs: number; p50Ms: number; met: boolean };
  };
}

/**
 * Tool calls through a real MCP SDK client over stdio to a spawned `berth mcp`, each against the
 * same work done directly: `read_file` and `write_file` against `fs.readFileSync` and
 * `fs.writeFileSync` in this process, `run_command` against `docker exec <id> true`.
 */
export async function benchMcp(root: string, runs: number, signal: AbortSignal): Promise<McpFigures> {
  const fixture = openBenchHub(join(root, 'mcp'), [PROJECT]);
  const projectDir = join(fixture.dir, PROJECT);
  let session: McpStdioSession | undefined;
  try {
    log('mcp: bringing up 1 project');
    const [up] = await fixture.hub.up();
    if (!up) throw new Error('hub.up() returned no project');
    log('mcp: starting `node bin/berth.js -f berth.yaml mcp` with an MCP SDK client over stdio');
    session = await connectMcpStdio(fixture.configFile, fixture.home);
    await expectTools(session, ['read_file', 'write_file', 'run_command']);
    const mcp = session;
    const pair = async (name: string, berth: TimedSeries, baseline: TimedSeries) => {
      await runAlternating({ name: `mcp: ${name}`, warmupRuns: MCP_WARMUP_RUNS, runs, signal }, [
        berth,
        baseline,
      ]);
      return summarizeCase(berth, baseline);
    };

    const readFile = {} as Record<SizeLabel, McpCase>;
    for (const size of SIZES) {
      const name = `read-${size.bytes}.txt`;
      const content = textOfSize(size.bytes, `read ${size.label}`);
      writeFileSync(join(projectDir, name), content);
      readFile[size.label] = await pair(
        `read_file ${size.label}`,
        readFileTool(mcp, name, content, signal),
        readFileDirect(join(projectDir, name), content),
      );
    }

    const writeFile = {} as Record<SizeLabel, McpCase>;
    for (const size of SIZES) {
      const name = `write-${size.bytes}.txt`;
      const file = join(projectDir, name);
      const content = textOfSize(size.bytes, `write ${size.label}`);
      const scrub = textOfSize(size.bytes, `scrub ${size.label}`);
      writeFileSync(file, scrub);
      writeFile[size.label] = await pair(
        `write_file ${size.label}`,
        writeFileTool(mcp, name, file, content, scrub, signal),
        writeFileDirect(file, content, scrub),
      );
    }

    const runCommand = await pair(
      'run_command `true`',
      runCommandTool(mcp, signal),
      dockerExec(up.containerId),
    );
    return summarize(readFile, writeFile, runCommand, runs);
  } finally {
    await session?.close();
    await fixture.close();
  }
}

async function expectTools(session: McpStdioSession, wanted: string[]): Promise<void> {
  const names = await session.toolNames();
  const missing = wanted.filter((n) => !names.includes(n));
  if (missing.length > 0) throw new Error(`berth mcp does not offer ${missing.join(', ')}`);
}

/** Times `fn` alone; `check` runs after the clock stops. */
async function timed<T>(fn: () => T | Promise<T>, check: (value: T) => void): Promise<number> {
  const started = performance.now();
  const value = await fn();
  const ms = performance.now() - started;
  check(value);
  return ms;
}

function readFileTool(session: McpStdioSession, path: string, expected: string, signal: AbortSignal) {
  return series('read_file (MCP over stdio)', () =>
    timed(
      () => session.call('read_file', { project: PROJECT, path }, signal),
      (result) => expectSame(textOf(result), expected, `read_file ${path}`),
    ),
  );
}

function readFileDirect(file: string, expected: string) {
  return series('fs.readFileSync (in-process)', () =>
    timed(
      () => readFileSync(file, 'utf8'),
      (text) => expectSame(text, expected, 'fs.readFileSync'),
    ),
  );
}

/** The file is overwritten with same-sized other text first (untimed), so the check proves the write. */
function writeFileTool(
  session: McpStdioSession,
  path: string,
  file: string,
  content: string,
  scrub: string,
  signal: AbortSignal,
) {
  return series('write_file (MCP over stdio)', () => {
    writeFileSync(file, scrub);
    return timed(
      () => session.call('write_file', { project: PROJECT, path, content }, signal),
      (result) => {
        const reply = result.structuredContent as { bytes?: unknown; created?: unknown } | undefined;
        if (reply?.bytes !== content.length || reply.created !== false)
          throw new Error(`write_file ${path}: unexpected reply ${JSON.stringify(reply)}`);
        expectSame(readFileSync(file, 'utf8'), content, `write_file ${path}`);
      },
    );
  });
}

function writeFileDirect(file: string, content: string, scrub: string) {
  return series('fs.writeFileSync (in-process, same path)', () => {
    writeFileSync(file, scrub);
    return timed(
      () => writeFileSync(file, content),
      () => expectSame(readFileSync(file, 'utf8'), content, 'fs.writeFileSync'),
    );
  });
}

function runCommandTool(session: McpStdioSession, signal: AbortSignal) {
  return series('run_command (MCP over stdio)', () =>
    timed(
      () => session.call('run_command', { project: PROJECT, command: 'true' }, signal),
      (result) => {
        const reply = result.structuredContent as { exit_code?: unknown } | undefined;
        if (reply?.exit_code !== 0) throw new Error(`run_command true: ${textOf(result)}`);
      },
    ),
  );
}

function dockerExec(containerId: string) {
  return series('docker exec (CLI child process)', async () => {
    return (await mustRun('docker', ['exec', containerId, 'true'])).ms;
  });
}

function series(label: string, measure: () => Promise<number>): TimedSeries {
  return { label, samples: [], measure };
}

function expectSame(actual: string, expected: string, what: string): void {
  if (actual === expected) return;
  throw new Error(
    `${what}: got ${actual.length} characters that differ from the ${expected.length} expected`,
  );
}

function summarizeCase(berth: TimedSeries, baseline: TimedSeries): McpCase {
  return {
    berthLabel: berth.label,
    baselineLabel: baseline.label,
    berth: latencySummary(berth.samples, DECIMALS),
    baseline: latencySummary(baseline.samples, DECIMALS),
    ratio: {
      p50: ratio(percentile(berth.samples, 50), percentile(baseline.samples, 50)),
      p95: ratio(percentile(berth.samples, 95), percentile(baseline.samples, 95)),
    },
  };
}

function summarize(
  readFile: Record<SizeLabel, McpCase>,
  writeFile: Record<SizeLabel, McpCase>,
  runCommand: McpCase,
  runs: number,
): McpFigures {
  const run = runCommand.ratio;
  const read4k = readFile['4 KiB'].berth.p50;
  return {
    transport: 'MCP SDK Client over stdio to a spawned `node bin/berth.js -f <berth.yaml> mcp`',
    runs,
    warmupRuns: MCP_WARMUP_RUNS,
    order: 'berth and baseline every iteration, alternating which goes first',
    readFile,
    writeFile,
    runCommand,
    aims: {
      runCommand: {
        ratioBelow: MCP_RUN_AIM_RATIO,
        p50Met: run.p50 < MCP_RUN_AIM_RATIO,
        p95Met: run.p95 < MCP_RUN_AIM_RATIO,
        met: run.p50 < MCP_RUN_AIM_RATIO && run.p95 < MCP_RUN_AIM_RATIO,
      },
      readFile4KiB: {
        p50BelowMs: MCP_READ_4K_AIM_P50_MS,
        p50Ms: read4k,
        met: read4k < MCP_READ_4K_AIM_P50_MS,
      },
    },
  };
}
