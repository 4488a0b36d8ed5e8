import type { ExecFigures } from './exec.js';
import type { McpCase, McpFigures } from './mcp.js';
import type { McpHttpConcurrencyFigures } from './mcp-http-concurrency.js';
import type { OpsFigures, Timed, VsDocker } from './ops.js';
import type { SessionFigures } from './session.js';
import type { UpFigures } from './up.js';

export interface BenchMeta {
  startedAt: string;
  node: string;
  engine: string;
  compose: string;
  cpus: number;
}

/** A benchmark left out with `--only` is absent. */
export interface BenchResult {
  meta: BenchMeta;
  exec?: ExecFigures;
  up?: UpFigures;
  mcp?: McpFigures;
  mcpHttp?: McpHttpConcurrencyFigures;
  ops?: OpsFigures;
  session?: SessionFigures;
}

const ms = (n: number) => n.toFixed(1);
const x = (n: number) => n.toFixed(3);
const verdict = (met: boolean) => (met ? 'met' : 'NOT met');

/** The human-readable report for stdout. */
export function formatReport({ meta, exec, up, mcp, mcpHttp, ops, session }: BenchResult): string {
  const sections = [
    exec && formatExec(exec),
    up && formatUp(up),
    mcp && formatMcp(mcp),
    mcpHttp && formatMcpHttp(mcpHttp),
    ops && formatOps(ops),
    session && formatSession(session),
  ].filter((s) => s !== undefined);
  const lines = [
    `berth benchmarks — ${meta.startedAt}, node ${meta.node}, engine ${meta.engine}, ` +
      `docker-compose ${meta.compose}, ${meta.cpus} CPUs`,
    ...sections.flatMap((s) => ['', ...s]),
  ];
  return `${lines.join('\n')}\n`;
}

function formatExec(exec: ExecFigures): string[] {
  return [
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
  ];
}

function formatUp(up: UpFigures): string[] {
  return [
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

function formatMcpHttp(f: McpHttpConcurrencyFigures): string[] {
  const row = (name: string, b: McpHttpConcurrencyFigures['berth']) => [
    name,
    String(b.errors),
    ms(b.latency.p50),
    ms(b.latency.p99),
    ms(b.wallMs),
  ];
  return [
    `mcp over HTTP, ${f.concurrency} concurrent \`${f.command}\` on one project: ${f.server}; one warm-up burst of each first`,
    table(
      ['', 'errors', 'p50 ms', 'p99 ms', 'all done ms'],
      [
        row('run_command over Streamable HTTP', f.berth),
        row('docker exec (CLI child processes)', f.docker),
        ['ratio berth/docker', '', x(f.ratio.p50), x(f.ratio.p99), ''],
      ],
    ),
    `a ping from a second client during the burst answered in ${ms(f.pingDuringBurstMs)} ms`,
    ...f.berth.errorSamples.map((e) => `error: ${e}`),
    `aim: ${f.aim.errors} errors: ${verdict(f.aim.met)} (${f.berth.errors})`,
  ];
}

function formatOps(ops: OpsFigures): string[] {
  const { trueLatency: t, firstByte: f, stream: s } = ops;
  const { rawPostLatency: rawAim, streaming: streamAim } = ops.aims;
  const vs = (name: string, c: VsDocker) => [
    name,
    ms(c.latency.p50),
    ms(c.latency.p95),
    x(c.ratio.p50),
    x(c.ratio.p95),
  ];
  const base = (name: string, c: Timed) => [name, ms(c.latency.p50), ms(c.latency.p95), '1.000', '1.000'];
  const mbps = (n: number) => n.toFixed(1);
  return [
    `ops side-car: ${ops.sidecar}; ${ops.client}`,
    `\`true\`: ${ops.runs} measured runs each after ${ops.warmupRuns} warm-up, ${ops.order}`,
    table(
      ['', 'p50 ms', 'p95 ms', 'ratio p50', 'ratio p95'],
      [
        vs('berth run --target project:app -- true (CLI child process)', t.berthRunCli),
        vs('raw POST /run project:app (to the exit event)', t.rawPostProject),
        vs(`raw POST /run service:<compose>/shell (to the exit event)`, t.rawPostService),
        base('docker exec <container> true (CLI child process)', t.dockerExec),
        vs('docker-compose exec -T shell true (CLI child process)', t.composeExec),
      ],
    ),
    'ratio = this/docker exec; the side-car reported duration_ms (its exec alone) at p50 ' +
      `${ms(t.rawPostProject.sidecarExecMs.p50)} ms for project:app, ` +
      `${ms(t.rawPostService.sidecarExecMs.p50)} ms for the Compose service`,
    `first output byte of \`echo x\`: ${ops.runs} measured runs each after ${ops.warmupRuns} warm-up, alternating`,
    table(
      ['', 'p50 ms', 'p95 ms', 'ratio p50', 'ratio p95'],
      [
        vs('raw POST /run project:app (to the first stdout event)', f.rawPost),
        base('docker exec <container> echo x (to the first stdout byte)', f.dockerExec),
      ],
    ),
    `stream \`${s.command}\` (${s.bytes} bytes, all counted in this process): median of ${s.runs} ` +
      `runs each after ${s.warmupRuns} warm-up, ${s.order}`,
    table(
      ['', 'MB/s', 'ms'],
      [
        [
          'raw POST /run project:app (NDJSON decoded)',
          mbps(s.rawPost.mbPerS.median),
          ms(s.rawPost.ms.median),
        ],
        [
          'docker exec <container> (stdout piped here)',
          mbps(s.dockerExec.mbPerS.median),
          ms(s.dockerExec.ms.median),
        ],
        ['ratio raw POST/docker exec', x(s.ratio), ''],
      ],
    ),
    `MB = 10^6 bytes; the side-car reported duration_ms (its exec alone) median ${ms(s.rawPost.sidecarExecMs.median)} ms`,
    ...(s.exitEventTruncated.runs > 0
      ? [
          `note: ${s.exitEventTruncated.runs} of ${s.exitEventTruncated.of} raw runs had \`truncated: true\` in ` +
            `their exit event although all ${s.bytes} bytes arrived (max_output_bytes ${s.maxOutputBytes})`,
        ]
      : []),
    `aim: raw POST /run \`true\` p50 < ${rawAim.ratioBelow}× docker exec: ` +
      `project:app ${verdict(rawAim.projectMet)} (${x(rawAim.projectP50Ratio)}), ` +
      `Compose service ${verdict(rawAim.serviceMet)} (${x(rawAim.serviceP50Ratio)}) → aim ${verdict(rawAim.met)}`,
    `aim: streaming throughput ≥ docker exec: ${verdict(streamAim.met)} ` +
      `(${mbps(streamAim.rawPostMBps)} vs ${mbps(streamAim.dockerExecMBps)} MB/s)`,
  ];
}

function formatSession(session: SessionFigures): string[] {
  const { start, apply, project } = session;
  const mb = (project.bytes / 1e6).toFixed(1);
  const u = project.uncommitted;
  const steps = (times: Record<string, number>) =>
    Object.entries(times)
      .map(([name, t]) => `${name} ${ms(t)}`)
      .join(', ');
  return [
    `session: project of ${project.files} files, ${mb} MB in a git repository, plus ${u.changed} changed, ` +
      `${u.untracked} untracked and ${u.deleted} deleted file(s) uncommitted; runtime runc, network none`,
    `start: ${start.runs} measured runs each after ${start.warmupRuns} warm-up, ${start.order}`,
    table(
      ['', 'p50 ms', 'p95 ms'],
      [
        ['berth session start (library, to container ready)', ms(start.berth.p50), ms(start.berth.p95)],
        ['baseline script (one sh child process)', ms(start.baseline.p50), ms(start.baseline.p95)],
        ['ratio berth/baseline', x(start.ratio.p50), x(start.ratio.p95)],
      ],
    ),
    `baseline: sh -c '${start.baselineScript}' sh <project> <dest> <image>`,
    `aim: ratio p50 ≤ ${start.aim.ratioAtMost}: ${verdict(start.aim.met)} (${x(start.ratio.p50)})`,
    `where the time goes (median of ${start.steps.replays} step-by-step replays, ms):`,
    `  berth: ${steps(start.steps.berth)}`,
    `  baseline: ${steps(start.steps.baseline)}`,
    `apply of ${apply.files} changed files: median of ${apply.runs} runs after ${apply.warmupRuns} warm-up, ` +
      `${apply.order}; a fresh session and host copy each run`,
    table(
      ['', 'median ms'],
      [
        ['berth session apply (library, three-way)', ms(apply.berth.median)],
        [`rsync -a --files-from (the same ${apply.files} files)`, ms(apply.rsync.median)],
        ['ratio berth/rsync', x(apply.ratio)],
      ],
    ),
    ...session.exec.flatMap((e) => [
      `a tool call that changes one file (${e.runtime}): ${e.runs} measured runs each after ${e.warmupRuns} ` +
        `warm-up, ${e.order}; same container, same workspace`,
      table(
        ['', 'p50 ms', 'p95 ms'],
        [
          ['berth session exec (exec, end leftovers, commit)', ms(e.berth.p50), ms(e.berth.p95)],
          ['docker exec + git add -A + git commit', ms(e.baseline.p50), ms(e.baseline.p95)],
          ['ratio berth/baseline', x(e.ratio.p50), x(e.ratio.p95)],
        ],
      ),
    ]),
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
