import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

/** How often the probe looks at a file it waits for. */
export const PROBE_POLL_MS = 2;
/** Bytes of padding after a saved file's token line: a 4 KiB save, like the tree's files. */
const PAD_BYTES = 4000;

/**
 * One `sh` inside the project's own container (busybox, the volume at /workspace), reached over
 * one `docker exec -i` for the whole series, so no save pays an exec's start. It does two
 * things, one line each on stdin, answering one line on stdout:
 *   `w <path> <token>`  writes the file (token line, then padding), answers `wrote`;
 *   `p <path> <token>`  polls the file every 2 ms until its first line is the token, answers `seen`.
 * Polling uses only shell builtins but `usleep`, and only while a save is awaited; it is a
 * process of its own beside the agent, so what it measures is what a program in the project's
 * container would see, and it takes nothing from the agent's stream.
 */
const SCRIPT = `
PAD=$(head -c ${PAD_BYTES} /dev/zero | tr '\\0' x)
while read -r cmd p t; do
  f="/workspace/$p"
  case "$cmd" in
    w) printf '%s\\n%s' "$t" "$PAD" > "$f" && echo wrote || echo failed ;;
    p) while :; do first=; { read -r first < "$f"; } 2>/dev/null; [ "$first" = "$t" ] && break; usleep ${PROBE_POLL_MS * 1000}; done; echo seen ;;
    *) echo "unknown command $cmd" ;;
  esac
done
`;

/** The content `w` writes, so the host can check a file it received byte for byte. */
export function probeContent(token: string): Buffer {
  return Buffer.from(`${token}\n${'x'.repeat(PAD_BYTES)}`);
}

export class ContainerProbe {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: {
    resolve: (line: { text: string; at: number }) => void;
    reject: (e: Error) => void;
  }[] = [];
  private stderr = '';
  private exited: Error | undefined;

  constructor(containerId: string) {
    this.child = spawn('docker', ['exec', '-i', containerId, 'sh', '-c', SCRIPT], { stdio: 'pipe' });
    this.child.stderr.on('data', (c: Buffer) => (this.stderr = (this.stderr + c.toString()).slice(-4096)));
    createInterface({ input: this.child.stdout }).on('line', (text) => {
      const at = performance.now();
      this.waiting.shift()?.resolve({ text, at });
    });
    this.child.once('exit', (code, signal) => {
      this.exited = new Error(`the probe in the container exited (${code ?? signal}): ${this.stderr.trim()}`);
      for (const w of this.waiting.splice(0)) w.reject(this.exited);
    });
  }

  /** Sends one command; resolves with its answer and when (performance.now()) it arrived. */
  send(
    cmd: 'w' | 'p',
    path: string,
    token: string,
    timeoutMs: number,
  ): Promise<{ text: string; at: number }> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the probe did not answer \`${cmd} ${path}\` within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiting.push({
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      this.child.stdin.write(`${cmd} ${path} ${token}\n`);
    });
  }

  /** Ends the exec (the shell and whatever it polls). Never throws. */
  close(): void {
    this.child.stdin.end();
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
