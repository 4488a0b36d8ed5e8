import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BerthError } from '../errors.js';

const run = promisify(execFile);

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

  async run(args: string[], options: { maxBuffer?: number } = {}): Promise<string> {
    return (await this.runBuffer(args, options)).toString('utf8');
  }

  /** The raw bytes of stdout, for file contents. */
  async runBuffer(args: string[], options: { maxBuffer?: number } = {}): Promise<Buffer> {
    try {
      const { stdout } = await run(
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

  /** Stages everything and commits when anything changed; returns the new commit or undefined. */
  async commitAll(message: string): Promise<string | undefined> {
    await this.run(['add', '-A']);
    const status = await this.run(['status', '--porcelain']);
    if (status.trim() === '') return undefined;
    await this.run(['commit', '-q', '--no-verify', '-m', message]);
    return (await this.run(['rev-parse', 'HEAD'])).trim();
  }
}
