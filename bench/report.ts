import type { ExecFigures } from './exec.js';
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
}

/** The human-readable report for stdout. */
export function formatReport({ meta, exec, up }: BenchResult): string {
  const ms = (n: number) => n.toFixed(1);
  const x = (n: number) => n.toFixed(3);
  const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
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
  ];
  return `${lines.join('\n')}\n`;
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
