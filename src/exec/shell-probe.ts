import { describeError } from '../errors.js';
import type { ContainerRuntime } from '../runtime/container-runtime.js';

/**
 * Whether the container can run a shell command now. "Started" is not enough: with an init as
 * PID 1 a container counts as running for a moment even when its image has no /bin/sh, and
 * gVisor takes a moment after start before it accepts an exec. `output` says why not.
 */
export async function probeShell(
  runtime: ContainerRuntime,
  id: string,
): Promise<{ ready: boolean; output: string }> {
  let output = '';
  try {
    const { exitCode } = await runtime.exec.run(
      { id },
      {
        cmd: ['/bin/sh', '-c', 'exit 0'],
        onStdout: (c) => {
          output += c.toString();
        },
        onStderr: (c) => {
          output += c.toString();
        },
      },
    );
    return { ready: exitCode === 0, output };
  } catch (err) {
    return { ready: false, output: describeError(err) };
  }
}
