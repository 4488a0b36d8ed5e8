import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { BerthError } from '../errors.js';

const run = promisify(execFile);

export interface GitRunOptions {
  maxBuffer?: number;
  /** Sees git's stderr as it comes (progress meters). */
  onStderr?: (text: string) => void;
}

/**
 * git over a session sandbox. The repository lives outside the folder the container sees, so
 * code in the sandbox cannot plant hooks, fsmonitor commands or config that the hub's git would
 * then run on the host; hooks are off and no user or system config is read.
 */
export class SandboxGit {
  constructor(
    private readonly gitDir: string,
    private readonly workTree: string,
  ) {}

  async run(args: string[], options: GitRunOptions = {}): Promise<string> {
    return (await this.runBuffer(args, options)).toString('utf8');
  }

  /** The raw bytes of stdout, for file contents. */
  async runBuffer(args: string[], options: GitRunOptions = {}): Promise<Buffer> {
    try {
      const pending = run(
        'git',
        [
          `--git-dir=${this.gitDir}`,
          `--work-tree=${this.workTree}`,
          '-c',
          'core.hooksPath=/dev/null',
          '-c',
          'core.fsmonitor=false',
          '-c',
          'core.autocrlf=false',
          '-c',
          'commit.gpgsign=false',
          '-c',
          'user.name=berth',
          '-c',
          'user.email=berth@localhost',
          ...args,
        ],
        {
          env: {
            PATH: process.env.PATH ?? '/usr/bin:/bin',
            GIT_CONFIG_NOSYSTEM: '1',
            GIT_CONFIG_GLOBAL: '/dev/null',
            HOME: this.gitDir,
            LC_ALL: 'C',
          },
          maxBuffer: options.maxBuffer ?? 64 * 1024 * 1024,
          encoding: 'buffer',
        },
      );
      const { onStderr } = options;
      if (onStderr) pending.child.stderr?.on('data', (chunk: Buffer) => onStderr(chunk.toString()));
      const { stdout } = await pending;
      return stdout;
    } catch (err) {
      const stderr = String((err as { stderr?: unknown }).stderr ?? '')
        .trim()
        .split('\n')[0];
      throw new BerthError(
        'ENGINE_ERROR',
        `git ${args[0]} failed in the session sandbox: ${stderr || String(err)}`,
      );
    }
  }

  /** Object contents by id, through one `git cat-file --batch`. */
  async blobs(ids: string[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    if (ids.length === 0) return out;
    const child = spawn('git', [`--git-dir=${this.gitDir}`, 'cat-file', '--batch'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        HOME: this.gitDir,
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) =>
        code === 0 ? resolve() : reject(new BerthError('ENGINE_ERROR', `git cat-file exited with ${code}`)),
      );
    });
    child.stdin.end(`${ids.join('\n')}\n`);
    await done;
    const data = Buffer.concat(chunks);
    let at = 0;
    while (at < data.length) {
      const eol = data.indexOf(10, at);
      const [id = '', , size = '0'] = data.subarray(at, eol).toString().split(' ');
      const length = Number(size);
      out.set(id, data.subarray(eol + 1, eol + 1 + length));
      at = eol + 1 + length + 1;
    }
    return out;
  }

  /**
   * Stages everything and commits when anything changed; returns the new commit or undefined.
   * Plumbing rather than `status` + `commit`: each of those reads the whole index again, and
   * this runs after every tool call.
   */
  async commitAll(message: string): Promise<string | undefined> {
    await this.run(['add', '-A']);
    const [tree, heads] = await Promise.all([
      this.run(['write-tree']),
      this.run(['rev-parse', 'HEAD', 'HEAD^{tree}']),
    ]);
    const [head = '', headTree = ''] = heads.trim().split('\n');
    if (tree.trim() === headTree) return undefined;
    const commit = (await this.run(['commit-tree', tree.trim(), '-p', head, '-m', message])).trim();
    await this.run(['update-ref', '-m', 'commit', 'HEAD', commit, head]);
    return commit;
  }
}
