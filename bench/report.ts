import type { ExecFigures } from './exec.js';
import type { McpCase, McpFigures } from './mcp.js';
import type { UpFigures } from './up.js';

export interface BenchMeta {
  startedAt: string;
  node: string;
  engine: string;
  compose: string;
  cpus: number;
}

export interface BenchResult {
  meta: BenchMeta;
  exec: ExecFigures;
  up: UpFigures;
  mcp: McpFigures;
}

const ms = (n: number) => n.toFixed(1);
const x = (n: number) => n.toFixed(3);
const verdict = (met: boolean) => (met ? 'met' : 'NOT met');

/** The human-readable report for stdout. */
export function formatReport({ meta, exec, up, mcp }: BenchResult): string {
  const lines = [
    `berth benchmarks — ${meta.startedAt}, node ${meta.node}, engine ${meta.engine}, ` +
      `docker-compose ${meta.compose}, ${meta.cpus} CPUs`,
    '',
    `exec \`${exec.command}\`: ${exec.runs} measured runs each after ${exec.warmupRuns} warm-up, ${exec.order}`,
    table(
      ['', 'p50 ms', 'p95 ms'],
      [
        ['berth exec (library, hub.exec; in-container runner)', ms(exec.berth.p50), ms(exec.berth.p95)],
        ['berth exec (runner off: engine exec via API)', ms(exec.berthEngine.p50), ms(exec.berthEngine.p95)],
        ['docker exec (CLI child process)', ms(exec.docker.p50), ms(exec.docker.p95)],
        ['ratio berth/docker', x(exec.ratio.p50), x(exec.ratio.p95)],
        ['ratio berth (runner off)/docker', x(exec.engineRatio.p50), x(exec.engineRatio.p95)],
      ],
    ),
    `aim: ratio < ${exec.aim.ratioBelow}: p50 ${verdict(exec.aim.p50Met)}, p95 ${verdict(exec.aim.p95Met)} ` +
      `→ aim ${verdict(exec.aim.met)}`,
    '',
    `up, ${up.projects} projects (network: isolated): median of ${up.runs} rounds after ` +
      `${up.warmupRounds} warm-up round, ${up.order}`,
    table(
      ['', 'cold ms', 'warm ms'],
      [
        ['berth up (library, hub.up)', ms(up.berth.cold.median), ms(up.berth.warm.median)],
        ['docker-compose up -d', ms(up.compose.cold.median), ms(up.compose.warm.median)],
        ['ratio berth/compose', x(up.ratio.cold), x(up.ratio.warm)],
      ],
    ),
    `compose file: ${up.composeFileNote}`,
    '',
    ...formatMcp(mcp),
  ];
  return `${lines.join('\n')}\n`;
}

function formatMcp(mcp: McpFigures): string[] {
  const fine = (n: number) => n.toFixed(3);
  const row = (name: string, c: McpCase) => [
    name,
    fine(c.berth.p50),
    fine(c.berth.p95),
    fine(c.baseline.p50),
    fine(c.baseline.p95),
    x(c.ratio.p50),
    x(c.ratio.p95),
  ];
  const { runCommand, readFile4KiB } = mcp.aims;
  return [
    `mcp: ${mcp.transport}; ${mcp.runs} measured runs each after ${mcp.warmupRuns} warm-up, ${mcp.order}`,
    table(
      ['berth tool vs baseline', 'berth p50', 'berth p95', 'base p50', 'base p95', 'ratio p50', 'ratio p95'],
      [
        row('read_file 4 KiB vs fs.readFileSync', mcp.readFile['4 KiB']),
        row('read_file 1 MiB vs fs.readFileSync', mcp.readFile['1 MiB']),
        row('write_file 4 KiB vs fs.writeFileSync', mcp.writeFile['4 KiB']),
        row('write_file 1 MiB vs fs.writeFileSync', mcp.writeFile['1 MiB']),
        row('run_command `true` vs docker exec true', mcp.runCommand),
      ],
    ),
    'times in ms; ratio = berth/baseline; fs calls run in-process on the same file, ' +
      'docker exec as a CLI child process on the same container',
    `aim: run_command/docker exec ratio < ${runCommand.ratioBelow}: ` +
      `p50 ${verdict(runCommand.p50Met)} (${x(mcp.runCommand.ratio.p50)}), ` +
      `p95 ${verdict(runCommand.p95Met)} (${x(mcp.runCommand.ratio.p95)}) → aim ${verdict(runCommand.met)}`,
    `aim: read_file 4 KiB p50 < ${readFile4KiB.p50BelowMs} ms (absolute): ` +
      `${verdict(readFile4KiB.met)} (${fine(readFile4KiB.p50Ms)} ms)`,
  ];
}

/** First column left-aligned, the others right-aligned. */
function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((row) =>
      row
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join('  '),
    )
    .join('\n');
}
