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

  async run(args: string[], options: GitRunOptions = {}): Promise<string> {
    return (await this.runBuffer(args, options)).toString('utf8');
  }

  /** The raw bytes of stdout, for file contents and byte paths. */
  async runBuffer(args: string[], options: GitRunOptions = {}): Promise<Buffer> {
    try {
      const pending = run('git', [...this.baseArgs(), ...args], {
        env: this.env(),
        maxBuffer: options.maxBuffer ?? 64 * 1024 * 1024,
        encoding: 'buffer',
      });
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

  /** Object contents by id, through one `git cat-file --batch`. */
  async blobs(ids: string[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    if (ids.length === 0) return out;
    const child = spawn('git', [...this.baseArgs(), 'cat-file', '--batch'], {
      env: this.env(),
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
