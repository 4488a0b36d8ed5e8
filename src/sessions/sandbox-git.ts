import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { promisify } from 'node:util';
import { BerthError } from '../errors.js';

const run = promisify(execFile);

export interface GitRunOptions {
  maxBuffer?: number;
  /** Sees git's stderr as it comes (progress meters). */
  onStderr?: (text: string) => void;
  /** Written to git's stdin (then closed). */
  input?: string;
}

/**
 * The settings every git process berth starts runs with: no system or global config, no hooks,
 * no fsmonitor, pager, editor, ssh command or credential helper, no replace objects, no protocol
 * but local files (diffs are run with --no-ext-diff --no-textconv). The repository itself is always one berth made
 * (a session's, outside anything a container can write), so there is no project config to read.
 */
export const HARDENED_GIT_CONFIG: readonly string[] = [
  'core.hooksPath=/dev/null',
  'core.fsmonitor=false',
  'core.autocrlf=false',
  'core.pager=cat',
  'core.editor=false',
  'core.sshCommand=false',
  'core.attributesFile=/dev/null',
  'credential.helper=',
  'commit.gpgsign=false',
  'tag.gpgsign=false',
  'protocol.allow=never',
  'protocol.file.allow=always',
  'user.name=berth',
  'user.email=berth@localhost',
];

export function hardenedGitEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ATTR_NOSYSTEM: '1',
    GIT_NO_REPLACE_OBJECTS: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_PROTOCOL_FROM_USER: '0',
    GIT_ALLOW_PROTOCOL: 'file',
    GIT_PAGER: 'cat',
    GIT_EDITOR: 'false',
    HOME: home,
    LC_ALL: 'C',
  };
}

/**
 * git over a session sandbox. The repository lives outside the folder the container sees, so
 * code in the sandbox cannot plant hooks, fsmonitor commands or config that the hub's git would
 * then run on the host; on top of that every process runs with HARDENED_GIT_CONFIG.
 */
export class SandboxGit {
  constructor(
    readonly gitDir: string,
    readonly workTree: string,
  ) {}

  /** Arguments that come before every git subcommand berth runs here. */
  baseArgs(): string[] {
    return [
      `--git-dir=${this.gitDir}`,
      `--work-tree=${this.workTree}`,
      ...HARDENED_GIT_CONFIG.flatMap((kv) => ['-c', kv]),
    ];
  }

  env(): NodeJS.ProcessEnv {
    return hardenedGitEnv(this.gitDir);
  }

  /**
   * How every git process here is started: the hardened environment, and the session's own git
   * folder as the working directory, so nothing of the folder berth was started in (a user's
   * project, its `.git` and config) is ever where git looks.
   */
  private processOptions(): { env: NodeJS.ProcessEnv; cwd: string } {
    return { env: this.env(), cwd: this.gitDir };
  }

  async run(args: string[], options: GitRunOptions = {}): Promise<string> {
    return (await this.runBuffer(args, options)).toString('utf8');
  }

  /** The raw bytes of stdout, for file contents and byte paths. */
  async runBuffer(args: string[], options: GitRunOptions = {}): Promise<Buffer> {
    try {
      const pending = run('git', [...this.baseArgs(), ...args], {
        ...this.processOptions(),
        maxBuffer: options.maxBuffer ?? 64 * 1024 * 1024,
        encoding: 'buffer',
      });
      const { onStderr } = options;
      if (onStderr) pending.child.stderr?.on('data', (chunk: Buffer) => onStderr(chunk.toString()));
      if (options.input !== undefined) pending.child.stdin?.end(options.input);
      const { stdout } = await pending;
      return stdout;
    } catch (err) {
      const stderr = String((err as { stderr?: unknown }).stderr ?? '')
        .trim()
        .split('\n')[0];
      throw new BerthError(
        'GIT_FAILED',
        `git ${args[0]} failed in the session sandbox: ${(stderr || String(err)).replaceAll(this.gitDir, '<session git>').replaceAll(this.workTree, '<session workspace>')}`,
      );
    }
  }

  /** True when `rev` names a commit in this repository. */
  async hasCommit(rev: string): Promise<boolean> {
    try {
      await this.run(['rev-parse', '--verify', '-q', `${rev}^{commit}`]);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * A long-lived git process (such as `cat-file --batch`) with the same settings as `run`; the
   * caller owns its streams. Every git process berth starts comes from here or from `run`.
   */
  spawn(args: string[]): ChildProcessWithoutNullStreams {
    return spawn('git', [...this.baseArgs(), ...args], this.processOptions());
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
