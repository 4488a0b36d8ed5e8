import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpsClient } from '../src/ops/client/ops-client.js';
import type { RunRequest } from '../src/ops/protocol.js';
import { runAlternating, timedSeries, type TimedSeries } from './alternating-runs.js';
import { BERTH_BIN, mustRun, runCommand, spawnBerthServer, type BerthServer } from './child.js';
import { defined, dockerExec, expectExit, expectStdout, expectZeros } from './checks.js';
import { compare, ratioAtLeast, ratioBelow, type Series } from './comparison.js';
import { ComposeProject } from './compose.js';
import { BENCH_IMAGE, openBenchHub } from './fixture.js';
import { OPS_STREAM_RUNS, OPS_STREAM_WARMUP_RUNS, OPS_WARMUP_RUNS, type PartContext } from './options.js';
import { describe, log, value, type PartResult } from './report.js';
import { median, percentile } from './stats.js';

/** A raw `POST /run` of `true` should take less than this fraction of `docker exec`'s time at p50. */
export const OPS_AIM_RAW_RATIO = 0.3;

const PROJECT = 'app';
const SERVICE = 'shell';
const STREAM_BYTES = 200_000_000;
const STREAM_CAP = 300_000_000;
const STREAM_TIMEOUT_MS = 10 * 60 * 1000;
const HEAD_BYTES = 4096;
/** Keeps the service alive and stops at once on TERM; "$$" is Compose's literal "$". */
const KEEP_ALIVE = `["/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $$!; done"]`;

/**
 * The ops side-car, spawned as `berth ops serve --listen 127.0.0.1:0`, against the engine's own
 * tools on the same containers: the latency of `true` (the `berth run` CLI, raw POST /run to a
 * project and to a Compose service, `docker exec`, `docker-compose exec -T`), the time to the
 * first output byte of `echo x`, and the throughput of a 200 MB stream.
 */
export async function benchOps({ dir, options, signal }: PartContext): Promise<PartResult> {
  const composeName = `berthbenchops${randomBytes(4).toString('hex')}`;
  const fixture = openBenchHub(dir, [PROJECT], { opsAllowTargets: ['project:*', `compose:${composeName}`] });
  const compose = new ComposeProject(composeName, join(fixture.dir, 'compose.yml'));
  let sidecar: BerthServer | undefined;
  try {
    log('ops: bringing up 1 project and a 1-service docker-compose project');
    const containerId = await fixture.up();
    writeFileSync(
      compose.file,
      `version: '2.4'\nservices:\n  ${SERVICE}:\n    image: ${BENCH_IMAGE}\n    command: ${KEEP_ALIVE}\n`,
    );
    await compose.up();
    const ids = await compose.runningIds();
    if (ids.length !== 1) throw new Error(`docker-compose up: ${ids.length} containers running, expected 1`);
    log('ops: starting `node bin/berth.js -f berth.yaml ops serve --listen 127.0.0.1:0`');
    const token = randomBytes(24).toString('hex');
    const args = ['-f', fixture.configFile, 'ops', 'serve', '--listen', '127.0.0.1:0', '--token', token];
    sidecar = await spawnBerthServer(args, fixture.home, /berth ops side-car on (http:\/\/\S+)/, signal);
    const ops = sidecar;
    const client = new OpsClient({ url: ops.url, token });
    const clientEnv = { BERTH_HOME: fixture.home, BERTH_OPS_URL: ops.url, BERTH_OPS_TOKEN: token };
    const serviceTarget = `service:${composeName}/${SERVICE}`;
    const runs = options.runs;
    try {
      // `true`: every way in, all series every iteration
      const raw = (target: string) =>
        timedSeries(`raw POST /run ${target}`, async (also) => {
          const posted = await post(client, { target, command: ['true'] }, signal);
          expectExit(posted, `POST /run ${target}`);
          also('side-car exec ms', posted.outcome.durationMs);
          return posted.ms;
        });
      const rawProject = raw(`project:${PROJECT}`);
      const rawService = raw(serviceTarget);
      const cli = timedSeries('berth run (CLI child process)', async () => {
        const cliArgs = [
          BERTH_BIN,
          '-f',
          fixture.configFile,
          'run',
          '--target',
          `project:${PROJECT}`,
          '--',
          'true',
        ];
        return (await mustRun(process.execPath, cliArgs, { env: clientEnv })).ms;
      });
      const composeExec = timedSeries(
        'docker-compose exec -T',
        async () => (await compose.exec(SERVICE, ['true'])).ms,
      );
      const docker = dockerExec(containerId, ['true']);
      const plan = { name: 'ops: `true`', warmupRuns: OPS_WARMUP_RUNS, runs, signal };
      await runAlternating(plan, [cli, rawProject, docker, composeExec, rawService]);

      // the first output byte of `echo x`
      const firstRaw = timedSeries('raw POST /run, to the first stdout event', async () => {
        const posted = await post(client, { target: `project:${PROJECT}`, command: ['echo', 'x'] }, signal);
        expectExit(posted, 'POST /run echo x');
        expectStdout(posted.head, posted.stdoutBytes, 'x\n', 'POST /run echo x');
        return defined(posted.firstStdoutMs, 'POST /run echo x: no stdout event');
      });
      const firstDocker = timedSeries('docker exec', async () => {
        const r = await runCommand('docker', ['exec', containerId, 'echo', 'x'], { signal });
        expectExit({ code: r.exitCode, stderr: r.stderr }, 'docker exec echo x');
        expectStdout(r.stdout, r.stdoutBytes, 'x\n', 'docker exec echo x');
        return defined(r.firstStdoutMs, 'docker exec echo x: no stdout');
      });
      const firstPlan = { name: 'ops: first byte of `echo x`', warmupRuns: OPS_WARMUP_RUNS, runs, signal };
      await runAlternating(firstPlan, [firstRaw, firstDocker]);

      // a 200 MB stream, every byte counted in this process
      const argv = ['head', '-c', String(STREAM_BYTES), '/dev/zero'];
      const streamRaw = timedSeries('raw POST /run, stdout events decoded and counted', async (also) => {
        const req: RunRequest = {
          target: `project:${PROJECT}`,
          command: argv,
          maxOutputBytes: STREAM_CAP,
          timeoutMs: STREAM_TIMEOUT_MS,
        };
        const posted = await post(client, req, signal);
        // the byte count is the proof of completeness; the flag is recorded, not trusted
        expectExit(posted, 'POST /run head -c', true);
        expectZeros(posted.head, posted.stdoutBytes, STREAM_BYTES, 'POST /run head -c');
        also('side-car exec ms', posted.outcome.durationMs);
        also('truncated flag', posted.outcome.truncated ? 1 : 0);
        return posted.ms;
      });
      const streamDocker = timedSeries('docker exec', async () => {
        const r = await runCommand('docker', ['exec', containerId, ...argv], { signal, counted: true });
        expectExit({ code: r.exitCode, stderr: r.stderr }, 'docker exec head -c');
        expectZeros(r.stdout, r.stdoutBytes, STREAM_BYTES, 'docker exec head -c');
        return r.ms;
      });
      const streamPlan = {
        name: `ops: stream of ${STREAM_BYTES} bytes`,
        warmupRuns: OPS_STREAM_WARMUP_RUNS,
        runs: OPS_STREAM_RUNS,
        signal,
      };
      await runAlternating(streamPlan, [streamRaw, streamDocker]);

      const sidecarP50 = (s: TimedSeries) => value(percentile(s.also['side-car exec ms'] ?? [], 50));
      const truncated = (streamRaw.also['truncated flag'] ?? []).filter((t) => t === 1).length;
      const mbPerS = (s: TimedSeries): Series => ({
        label: s.label,
        samples: s.samples.map((ms) => STREAM_BYTES / 1e6 / (ms / 1000)),
      });
      const rawAim = ratioBelow(OPS_AIM_RAW_RATIO, [50]);
      return {
        about: [
          'side-car: `node bin/berth.js -f <berth.yaml> ops serve --listen 127.0.0.1:0 --token <t>` as a child ' +
            "process; raw POST /run from this process through src's OpsClient (node:http, keep-alive), " +
            'NDJSON decoded as it arrives, timed to the end of the answer (its exit event)',
          `\`true\` and \`echo x\`: ${runs} measured runs each after ${OPS_WARMUP_RUNS} warm-up; the stream: ` +
            `median of ${OPS_STREAM_RUNS} after ${OPS_STREAM_WARMUP_RUNS} warm-up; alternating the order`,
        ],
        comparisons: [
          compare('ops raw POST /run `true`, project target', rawProject, docker, { aim: rawAim }),
          compare('ops raw POST /run `true`, Compose service target', rawService, docker, { aim: rawAim }),
          compare('`berth run -- true` (CLI process)', cli, docker),
          compare('`docker-compose exec -T shell true` (a second baseline)', composeExec, docker),
          compare('ops first output byte of `echo x`', firstRaw, firstDocker),
          compare(
            `ops streaming \`head -c ${STREAM_BYTES} /dev/zero\``,
            mbPerS(streamRaw),
            mbPerS(streamDocker),
            {
              at: [50],
              unit: 'MB/s',
              aim: ratioAtLeast(1),
            },
          ),
        ],
        notes: [
          `the side-car reported duration_ms (its exec alone) at p50 ${sidecarP50(rawProject)} ms for ` +
            `project:${PROJECT}, ${sidecarP50(rawService)} ms for the Compose service, ` +
            `${sidecarP50(streamRaw)} ms for the stream`,
          `stream wall time, median: raw POST ${value(median(streamRaw.samples))} ms, ` +
            `docker exec ${value(median(streamDocker.samples))} ms (MB = 10^6 bytes)`,
          ...(truncated > 0
            ? [
                `note: ${truncated} of ${streamRaw.samples.length} stream runs had \`truncated: true\` in their exit ` +
                  `event although all ${STREAM_BYTES} bytes arrived (max_output_bytes ${STREAM_CAP})`,
              ]
            : []),
        ],
        details: { composeProject: composeName },
      };
    } catch (err) {
      throw new Error(`${describe(err)}; side-car stderr: ${ops.stderrTail() || '(empty)'}`, { cause: err });
    }
  } finally {
    await sidecar?.stop();
    await compose.remove();
    await fixture.close();
  }
}

interface Posted {
  outcome: Awaited<ReturnType<OpsClient['run']>>;
  code: number;
  timedOut: boolean;
  truncated: boolean;
  /** ms from the request's start until the answer (its exit event) has ended. */
  ms: number;
  /** ms from the request's start until the first stdout event was decoded. */
  firstStdoutMs: number | undefined;
  stdoutBytes: number;
  /** The first HEAD_BYTES of stdout, for checks. */
  head: string;
  stderr: string;
}

/** One `POST /run` through berth's own client, every stdout byte counted as it arrives. */
async function post(client: OpsClient, req: RunRequest, signal: AbortSignal): Promise<Posted> {
  const started = performance.now();
  let firstStdoutMs: number | undefined;
  let stdoutBytes = 0;
  const head: Buffer[] = [];
  let stderr = '';
  const outcome = await client.run(
    req,
    {
      onStdout: (chunk) => {
        firstStdoutMs ??= performance.now() - started;
        if (stdoutBytes < HEAD_BYTES) head.push(chunk.subarray(0, HEAD_BYTES - stdoutBytes));
        stdoutBytes += chunk.length;
      },
      onStderr: (chunk) => {
        stderr = (stderr + chunk.toString('utf8')).slice(0, HEAD_BYTES);
      },
    },
    signal,
  );
  const ms = performance.now() - started;
  const { code, timedOut, truncated } = outcome;
  return {
    outcome,
    code,
    timedOut,
    truncated,
    ms,
    firstStdoutMs,
    stdoutBytes,
    head: Buffer.concat(head).toString('latin1'),
    stderr,
  };
}
