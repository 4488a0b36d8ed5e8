import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { BerthError, describeError } from '../../errors.js';
import type { AttachedProcess, AttachOptions, RawExecOptions, RawExecResult } from '../container-runtime.js';
import { ExecStream } from '../exec-stream.js';
import { drained } from '../flow-gate.js';
import { demux } from './demux.js';
import { engineError, sleep, statusOf } from './engine-call.js';

/** One engine exec: its streams demultiplexed into the shared exec stream, then the exit code. */
export async function engineExec(
  docker: Docker,
  id: string,
  options: RawExecOptions,
): Promise<RawExecResult> {
  const { exec, stream } = await startExec(docker, id, execOptions(options, false), 'starting exec');
  const run = new ExecStream(options, stream, () => stream.destroy());
  demux(
    stream,
    (c) => run.stdout(c),
    (c) => run.stderr(c),
  );
  const ended = () => run.endWith(() => exitCodeOf(exec));
  stream.once('end', ended);
  stream.once('close', ended);
  stream.once('error', ended);
  return run.result;
}

/** A long-lived exec with stdin attached. */
export async function engineAttach(
  docker: Docker,
  id: string,
  options: AttachOptions,
): Promise<AttachedProcess> {
  const { stream } = await startExec(docker, id, execOptions(options, true), 'starting an attached exec');
  demux(stream, options.onStdout, options.onStderr);
  let closed = false;
  const onClose = () => {
    if (closed) return;
    closed = true;
    options.onClose();
  };
  stream.once('end', onClose);
  stream.once('close', onClose);
  stream.once('error', onClose);
  return {
    write: (data) => (closed ? false : stream.write(data)),
    drained: () => drained(stream),
    close: () => stream.destroy(),
    pause: () => stream.pause(),
    resume: () => stream.resume(),
  };
}

function execOptions(
  options: { cmd: string[]; env?: Record<string, string>; workingDir?: string; user?: string },
  stdin: boolean,
): Docker.ExecCreateOptions {
  const create: Docker.ExecCreateOptions = {
    Cmd: options.cmd,
    AttachStdin: stdin,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    Env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
  };
  if (options.workingDir !== undefined) create.WorkingDir = options.workingDir;
  if (options.user !== undefined) create.User = options.user;
  return create;
}

/** The stream can close a moment before the engine records the exit code. */
async function exitCodeOf(exec: Docker.Exec): Promise<number | undefined> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const state = await exec.inspect();
    if (!state.Running && state.ExitCode !== null) return state.ExitCode;
    await sleep(attempt < 10 ? 5 : 20);
  }
  return undefined;
}

/** Creates and starts an exec with its streams hijacked (stdin too when the options attach it). */
async function startExec(
  docker: Docker,
  id: string,
  createOptions: Docker.ExecCreateOptions,
  action: string,
): Promise<{ exec: Docker.Exec; stream: Duplex }> {
  try {
    const exec = await docker.getContainer(id).exec(createOptions);
    const stdin = createOptions.AttachStdin === true;
    const stream = (await exec.start({ hijack: true, stdin, Detach: false, Tty: false })) as Duplex;
    return { exec, stream };
  } catch (err) {
    const status = statusOf(err);
    if (status === 404 || status === 409)
      throw new BerthError('NOT_RUNNING', `the container is not running (${describeError(err)})`, {
        container: id.slice(0, 12),
      });
    throw engineError(action, err);
  }
}
