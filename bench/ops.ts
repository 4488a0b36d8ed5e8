import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAlternating, type TimedSeries } from './alternating-runs.js';
import { mustRun } from './command.js';
import { ComposeProject } from './compose.js';
import { BENCH_IMAGE, openBenchHub } from './hub-fixture.js';
import { describe, log } from './log.js';
import type { RunBody } from '../src/ops/protocol.js';
import { postRun, type PostRunOutcome } from './ops-http-run.js';
import { startOpsSidecar, type OpsSidecar } from './ops-sidecar.js';
import { OPS_STREAM_RUNS, OPS_STREAM_WARMUP_RUNS, OPS_WARMUP_RUNS } from './options.js';
import {
  latencySummary,
  median,
  medianSummary,
  percentile,
  ratio,
  round,
  type LatencySummary,
  type MedianSummary,
} from './stats.js';
import { runStreamed, type StreamedChildResult } from './streamed-child.js';

/** A raw `POST /run` of `true` should take less than this fraction of `docker exec`'s time at p50. */
export const OPS_AIM_RAW_RATIO = 0.3;

const BIN = fileURLToPath(new URL('../bin/berth.js', import.meta.url));
const PROJECT = 'app';
const SERVICE = 'shell';
const STREAM_BYTES = 200_000_000;
const STREAM_CAP = 300_000_000;
const STREAM_TIMEOUT_MS = 10 * 60 * 1000;
/** Keeps the service alive and stops at once on TERM; "$$" is Compose's literal "$". */
const KEEP_ALIVE = `["/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $$!; done"]`;

export interface Timed {
  label: string;
  latency: LatencySummary;
}

/** A series and its ratio to the `docker exec` series of the same measurement (this / docker exec). */
export interface VsDocker extends Timed {
  ratio: { p50: number; p95: number };
}

/** A raw POST /run series, with the run's own duration as the side-car reported it in its exit event. */
export interface RawPost extends VsDocker {
  /** `duration_ms` of the exit event: the side-car's exec alone (whole ms, as sent). */
  sidecarExecMs: LatencySummary;
}

export interface OpsFigures {
  sidecar: string;
  client: string;
  runs: number;
  warmupRuns: number;
  order: string;
  composeProject: string;
  trueLatency: {
    berthRunCli: VsDocker;
    rawPostProject: RawPost;
    rawPostService: RawPost;
    composeExec: VsDocker;
    dockerExec: Timed;
  };
  firstByte: {
    rawPost: VsDocker;
    dockerExec: Timed;
  };
  stream: {
    command: string;
    bytes: number;
    /** `max_output_bytes` of each raw POST. */
    maxOutputBytes: number;
    runs: number;
    warmupRuns: number;
    order: string;
    /** MB = 10^6 bytes. */
    rawPost: { mbPerS: MedianSummary; ms: MedianSummary; sidecarExecMs: MedianSummary };
    dockerExec: { mbPerS: MedianSummary; ms: MedianSummary };
    /** raw POST / docker exec, on the medians of MB/s. */
    ratio: number;
    /** Raw runs (warm-ups included) whose exit event said `truncated: true` although all bytes arrived. */
    exitEventTruncated: { runs: number; of: number };
  };
  aims: {
    rawPostLatency: {
      ratioBelow: number;
      projectP50Ratio: number;
      serviceP50Ratio: number;
      projectMet: boolean;
      serviceMet: boolean;
      met: boolean;
    };
    streaming: { rawPostMBps: number; dockerExecMBps: number; met: boolean };
  };
}

/**
 * The ops side-car, spawned as `berth ops serve --listen 127.0.0.1:0`, against the engine's own
 * tools on the same containers: the latency of `true` (the `berth run` CLI, raw POST /run to a
 * project and to a Compose service, `docker exec`, `docker-compose exec -T`), the time to the
 * first output byte of `echo x`, and the throughput of a 200 MB stream.
 */
export async function benchOps(root: string, runs: number, signal: AbortSignal): Promise<OpsFigures> {
  const composeName = `berthbenchops${randomBytes(4).toString('hex')}`;
  const fixture = openBenchHub(join(root, 'ops'), [PROJECT], {
    opsAllowTargets: ['project:*', `compose:${composeName}`],
  });
  const composeFile = join(fixture.dir, 'compose.yml');
  const compose = new ComposeProject(composeName, composeFile);
  let sidecar: OpsSidecar | undefined;
  try {
    log('ops: bringing up 1 project and a 1-service docker-compose project');
    const [up] = await fixture.hub.up();
    if (!up) throw new Error('hub.up() returned no project');
    writeFileSync(
      composeFile,
      `version: '2.4'\nservices:\n  ${SERVICE}:\n    image: ${BENCH_IMAGE}\n    command: ${KEEP_ALIVE}\n`,
    );
    await compose.up();
    const ids = await compose.runningIds();
    if (ids.length !== 1) throw new Error(`docker-compose up: ${ids.length} containers running, expected 1`);
    log('ops: starting `node bin/berth.js -f berth.yaml ops serve --listen 127.0.0.1:0`');
    sidecar = await startOpsSidecar(fixture.configFile, fixture.home, signal);
    const ops = sidecar;
    const failing = (err: unknown) =>
      new Error(`${describe(err)}; side-car stderr: ${ops.stderrTail() || '(empty)'}`, { cause: err });
    const context = {
      ops,
      configFile: fixture.configFile,
      containerId: up.containerId,
      compose,
      serviceTarget: `service:${composeName}/${SERVICE}`,
      signal,
    };
    try {
      const latency = await benchTrue(context, runs);
      const firstByte = await benchFirstByte(context, runs);
      const stream = await benchStream(context);
      return summarize(latency, firstByte, stream, runs, composeName);
    } catch (err) {
      throw failing(err);
    }
  } finally {
    await sidecar?.stop();
    await compose.remove();
    await fixture.close();
    try {
      rmSync(fixture.dir, { recursive: true, force: true });
    } catch (err) {
      log(`ops: could not remove ${fixture.dir}: ${describe(err)}`);
    }
  }
}

interface Context {
  ops: OpsSidecar;
  configFile: string;
  containerId: string;
  compose: ComposeProject;
  serviceTarget: string;
  signal: AbortSignal;
}

/** A raw POST series also keeps the side-car's `duration_ms`, warm-ups included (dropped later). */
interface RawSeries extends TimedSeries {
  sidecarExecMs: number[];
}

interface TrueSeries {
  cli: TimedSeries;
  rawProject: RawSeries;
  rawService: RawSeries;
  compose: TimedSeries;
  docker: TimedSeries;
}

async function benchTrue(c: Context, runs: number): Promise<TrueSeries> {
  const s: TrueSeries = {
    cli: series('berth run (CLI child process)', async () => {
      const args = [BIN, '-f', c.configFile, 'run', '--target', `project:${PROJECT}`, '--', 'true'];
      return (await mustRun(process.execPath, args, { env: c.ops.clientEnv })).ms;
    }),
    rawProject: rawSeries(`raw POST /run project:${PROJECT}`, c, { target: `project:${PROJECT}` }),
    rawService: rawSeries(`raw POST /run ${c.serviceTarget}`, c, { target: c.serviceTarget }),
    compose: series('docker-compose exec -T (CLI child process)', async () => {
      return (await c.compose.exec(SERVICE, ['true'])).ms;
    }),
    docker: series('docker exec (CLI child process)', async () => {
      return (await mustRun('docker', ['exec', c.containerId, 'true'])).ms;
    }),
  };
  await runAlternating({ name: 'ops: `true`', warmupRuns: OPS_WARMUP_RUNS, runs, signal: c.signal }, [
    s.cli,
    s.rawProject,
    s.docker,
    s.compose,
    s.rawService,
  ]);
  return s;
}

function rawSeries(label: string, c: Context, body: Pick<RunBody, 'target'>): RawSeries {
  const sidecarExecMs: number[] = [];
  return {
    label,
    samples: [],
    sidecarExecMs,
    async measure() {
      const outcome = await postRun(c.ops, { ...body, command: ['true'] }, c.signal);
      expectExit(outcome, label);
      sidecarExecMs.push(outcome.exit.duration_ms);
      return outcome.exitMs;
    },
  };
}

interface FirstByteSeries {
  raw: TimedSeries;
  docker: TimedSeries;
}

async function benchFirstByte(c: Context, runs: number): Promise<FirstByteSeries> {
  const s: FirstByteSeries = {
    raw: series(`raw POST /run project:${PROJECT}, to the first stdout event`, async () => {
      const body = { target: `project:${PROJECT}`, command: ['echo', 'x'] };
      const outcome = await postRun(c.ops, body, c.signal);
      expectExit(outcome, 'raw POST /run echo x');
      expectOutput(outcome.stdoutHead, outcome.stdoutBytes, 'x\n', 'raw POST /run echo x');
      return defined(outcome.firstStdoutMs, 'raw POST /run echo x: no stdout event');
    }),
    docker: series('docker exec, to the first stdout byte', async () => {
      const result = await runStreamed('docker', ['exec', c.containerId, 'echo', 'x'], c.signal);
      expectChildExit(result, 'docker exec echo x');
      expectOutput(result.stdoutHead, result.stdoutBytes, 'x\n', 'docker exec echo x');
      return defined(result.firstStdoutMs, 'docker exec echo x: no stdout');
    }),
  };
  await runAlternating(
    { name: 'ops: first byte of `echo x`', warmupRuns: OPS_WARMUP_RUNS, runs, signal: c.signal },
    [s.raw, s.docker],
  );
  return s;
}

interface StreamSeries {
  raw: RawSeries;
  docker: TimedSeries;
  /** Per raw run, warm-ups included: did its exit event say `truncated` although every byte came? */
  exitTruncated: boolean[];
}

async function benchStream(c: Context): Promise<StreamSeries> {
  const argv = ['head', '-c', String(STREAM_BYTES), '/dev/zero'];
  const sidecarExecMs: number[] = [];
  const exitTruncated: boolean[] = [];
  const s: StreamSeries = {
    exitTruncated,
    raw: {
      label: `raw POST /run project:${PROJECT}, stdout events decoded and counted`,
      samples: [],
      sidecarExecMs,
      async measure() {
        const body: RunBody = {
          target: `project:${PROJECT}`,
          command: argv,
          max_output_bytes: STREAM_CAP,
          timeout_ms: STREAM_TIMEOUT_MS,
        };
        const outcome = await postRun(c.ops, body, c.signal);
        // the byte count below is the proof of completeness; the flag is recorded, not trusted
        expectExit(outcome, 'raw POST /run head -c', { truncatedFlagAllowed: true });
        expectZeros(outcome.stdoutHead, outcome.stdoutBytes, 'raw POST /run head -c');
        sidecarExecMs.push(outcome.exit.duration_ms);
        exitTruncated.push(outcome.exit.truncated);
        return outcome.exitMs;
      },
    },
    docker: series('docker exec, stdout counted in this process', async () => {
      const result = await runStreamed('docker', ['exec', c.containerId, ...argv], c.signal);
      expectChildExit(result, 'docker exec head -c');
      expectZeros(result.stdoutHead, result.stdoutBytes, 'docker exec head -c');
      return result.ms;
    }),
  };
  await runAlternating(
    {
      name: `ops: stream of ${STREAM_BYTES} bytes`,
      warmupRuns: OPS_STREAM_WARMUP_RUNS,
      runs: OPS_STREAM_RUNS,
      signal: c.signal,
    },
    [s.raw, s.docker],
  );
  return s;
}

function series(label: string, measure: () => Promise<number>): TimedSeries {
  return { label, samples: [], measure };
}

function expectExit(outcome: PostRunOutcome, what: string, opts = { truncatedFlagAllowed: false }): void {
  const { exit } = outcome;
  if (exit.code !== 0 || exit.timed_out || (exit.truncated && !opts.truncatedFlagAllowed))
    throw new Error(
      `${what}: exit ${JSON.stringify(exit)}${outcome.stderr ? `, stderr: ${outcome.stderr.trim()}` : ''}`,
    );
}

function expectChildExit(result: StreamedChildResult, what: string): void {
  if (result.exitCode !== 0)
    throw new Error(`${what} exited with ${result.exitCode ?? result.signal}: ${result.stderr.trim()}`);
}

function expectOutput(head: Buffer, bytes: number, expected: string, what: string): void {
  if (bytes !== Buffer.byteLength(expected) || head.toString('utf8') !== expected)
    throw new Error(
      `${what}: stdout ${JSON.stringify(head.toString('utf8'))} (${bytes} bytes), expected ${JSON.stringify(expected)}`,
    );
}

function expectZeros(head: Buffer, bytes: number, what: string): void {
  if (bytes !== STREAM_BYTES)
    throw new Error(`${what}: ${bytes} bytes arrived, expected exactly ${STREAM_BYTES}`);
  if (head.some((b) => b !== 0)) throw new Error(`${what}: the stream does not start with zero bytes`);
}

function defined(value: number | undefined, message: string): number {
  if (value === undefined) throw new Error(message);
  return value;
}

function vsDocker(s: TimedSeries, docker: TimedSeries): VsDocker {
  return {
    label: s.label,
    latency: latencySummary(s.samples),
    ratio: {
      p50: ratio(percentile(s.samples, 50), percentile(docker.samples, 50)),
      p95: ratio(percentile(s.samples, 95), percentile(docker.samples, 95)),
    },
  };
}

function rawVsDocker(s: RawSeries, docker: TimedSeries, warmupRuns: number): RawPost {
  return { ...vsDocker(s, docker), sidecarExecMs: latencySummary(s.sidecarExecMs.slice(warmupRuns)) };
}

function timedOnly(s: TimedSeries): Timed {
  return { label: s.label, latency: latencySummary(s.samples) };
}

const mbPerS = (ms: number) => STREAM_BYTES / 1e6 / (ms / 1000);

function summarize(
  t: TrueSeries,
  f: FirstByteSeries,
  st: StreamSeries,
  runs: number,
  composeProject: string,
): OpsFigures {
  const rawPostProject = rawVsDocker(t.rawProject, t.docker, OPS_WARMUP_RUNS);
  const rawPostService = rawVsDocker(t.rawService, t.docker, OPS_WARMUP_RUNS);
  const rawMBps = st.raw.samples.map(mbPerS);
  const dockerMBps = st.docker.samples.map(mbPerS);
  const rawMedian = round(median(rawMBps), 1);
  const dockerMedian = round(median(dockerMBps), 1);
  const projectP50Ratio = rawPostProject.ratio.p50;
  const serviceP50Ratio = rawPostService.ratio.p50;
  return {
    sidecar:
      '`node bin/berth.js -f <berth.yaml> ops serve --listen 127.0.0.1:0 --token <t>` as a child process',
    client:
      'raw POST /run from this process with node:http, one keep-alive connection, NDJSON decoded as it arrives',
    runs,
    warmupRuns: OPS_WARMUP_RUNS,
    order: 'all series every iteration, alternating the order',
    composeProject,
    trueLatency: {
      berthRunCli: vsDocker(t.cli, t.docker),
      rawPostProject,
      rawPostService,
      composeExec: vsDocker(t.compose, t.docker),
      dockerExec: timedOnly(t.docker),
    },
    firstByte: { rawPost: vsDocker(f.raw, f.docker), dockerExec: timedOnly(f.docker) },
    stream: {
      command: `head -c ${STREAM_BYTES} /dev/zero`,
      bytes: STREAM_BYTES,
      maxOutputBytes: STREAM_CAP,
      runs: OPS_STREAM_RUNS,
      warmupRuns: OPS_STREAM_WARMUP_RUNS,
      order: 'raw POST and docker exec every iteration, alternating which goes first',
      rawPost: {
        mbPerS: medianSummary(rawMBps),
        ms: medianSummary(st.raw.samples),
        sidecarExecMs: medianSummary(st.raw.sidecarExecMs.slice(OPS_STREAM_WARMUP_RUNS)),
      },
      dockerExec: { mbPerS: medianSummary(dockerMBps), ms: medianSummary(st.docker.samples) },
      ratio: ratio(median(rawMBps), median(dockerMBps)),
      exitEventTruncated: { runs: st.exitTruncated.filter(Boolean).length, of: st.exitTruncated.length },
    },
    aims: {
      rawPostLatency: {
        ratioBelow: OPS_AIM_RAW_RATIO,
        projectP50Ratio,
        serviceP50Ratio,
        projectMet: projectP50Ratio < OPS_AIM_RAW_RATIO,
        serviceMet: serviceP50Ratio < OPS_AIM_RAW_RATIO,
        met: projectP50Ratio < OPS_AIM_RAW_RATIO && serviceP50Ratio < OPS_AIM_RAW_RATIO,
      },
      streaming: {
        rawPostMBps: rawMedian,
        dockerExecMBps: dockerMedian,
        met: median(rawMBps) >= median(dockerMBps),
      },
    },
  };
}
