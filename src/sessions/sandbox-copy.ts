import { execFile } from 'node:child_process';
import { cpSync, lchownSync, mkdirSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { copyTree } from './copy-tree.js';
import { SandboxGit } from './sandbox-git.js';

const run = promisify(execFile);

export interface PopulateResult {
  /** How the copy was made: from the host's git objects, or a plain copy. */
  mode: 'git' | 'copy';
  /** The baseline commit every later change is measured against. */
  baseline: string;
  /** Files taken over from the host's uncommitted state (git mode). */
  overlaid: number;
}

export interface PopulateOptions {
  includeIgnored: boolean;
  onProgress?: (line: string) => void;
}

/**
 * Fills `workTree` with the project and makes the baseline commit in `gitDir`. A git
 * repository is cloned from its own objects (hard-linked, so nothing is re-hashed), checked
 * out at HEAD, then overlaid with the uncommitted and untracked files; .gitignore'd files stay
 * out unless asked for. Anything else is copied.
 */
export async function populateSandbox(
  hostPath: string,
  gitDir: string,
  workTree: string,
  options: PopulateOptions,
): Promise<PopulateResult> {
  mkdirSync(workTree, { recursive: true });
  const git = new SandboxGit(gitDir, workTree);
  if (await isRepoRoot(hostPath)) {
    options.onProgress?.('cloning from the host repository objects');
    await cloneFromHost(hostPath, gitDir, git);
    await checkoutHead(git, options.onProgress);
    const overlaid = await overlayUncommitted(hostPath, workTree, options);
    options.onProgress?.(`took ${overlaid} uncommitted or untracked entries from the host`);
    return { mode: 'git', baseline: await commitBaseline(git), overlaid };
  }
  options.onProgress?.('copying the project folder (not a git repository)');
  const onProgress = options.onProgress;
  const copied = copyTree(
    hostPath,
    workTree,
    onProgress ? (files) => onProgress(`copied ${files} files`) : undefined,
  );
  onProgress?.(`copied ${copied.files} files`);
  if (copied.skipped.length > 0) {
    onProgress?.(
      `left out ${copied.skipped.length} sockets, FIFOs or devices: ${copied.skipped.slice(0, 5).join(', ')}`,
    );
  }
  await run('git', ['init', '-q', '--bare', gitDir]);
  await git.run(['config', 'core.bare', 'false']);
  return { mode: 'copy', baseline: await commitBaseline(git), overlaid: 0 };
}

/** The steps of a git-mode start, exported so the benchmark times exactly these. */
export async function cloneFromHost(hostPath: string, gitDir: string, git: SandboxGit): Promise<void> {
  await run('git', ['-c', 'core.hooksPath=/dev/null', 'clone', '-q', '--bare', '--local', hostPath, gitDir]);
  await git.run(['config', 'core.bare', 'false']);
}

export async function checkoutHead(git: SandboxGit, onProgress?: (line: string) => void): Promise<void> {
  // writing the files is most of a start: let git use every core for it
  const args = ['-c', 'checkout.workers=0', 'checkout', '-q', '-f', 'HEAD'];
  if (!onProgress) {
    await git.run(args);
    return;
  }
  let last = 0;
  let latest = '';
  await git.run([...args.slice(0, -1), '--progress', 'HEAD'], {
    onStderr: (text) => {
      // "Updating files:  45% (4500/10000)", separated by carriage returns
      const counts = [...text.matchAll(/Updating files:\s+\d+% \((\d+)\/(\d+)\)/g)].at(-1);
      if (!counts) return;
      latest = `checked out ${counts[1]} of ${counts[2]} files`;
      if (Date.now() - last < 1000) return;
      last = Date.now();
      onProgress(latest);
    },
  });
  // git shows its meter only for a checkout that takes over two seconds
  onProgress(latest === '' ? 'checked out HEAD' : latest);
}

/** Commits everything as the baseline; returns its id. */
export async function commitBaseline(git: SandboxGit): Promise<string> {
  await git.run(['add', '-A']);
  await git.run(['commit', '-q', '--allow-empty', '--no-verify', '-m', 'session baseline']);
  return (await git.run(['rev-parse', 'HEAD'])).trim();
}

async function isRepoRoot(path: string): Promise<boolean> {
  try {
    const { stdout } = await run('git', ['-C', path, 'rev-parse', '--show-toplevel', 'HEAD']);
    const [top] = stdout.trim().split('\n');
    return top !== undefined && realpathSync(top) === realpathSync(path);
  } catch {
    return false; // not a repository, or one without commits yet
  }
}

/** Copies what `git status` reports as changed or untracked; removes what the host deleted. */
export async function overlayUncommitted(
  hostPath: string,
  workTree: string,
  options: PopulateOptions,
): Promise<number> {
  const args = ['-C', hostPath, 'status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames'];
  if (options.includeIgnored) args.push('--ignored=matching');
  const { stdout } = await run('git', args, { maxBuffer: 256 * 1024 * 1024 });
  let count = 0;
  for (const entry of stdout.split('\0')) {
    if (entry.length < 4) continue;
    const code = entry.slice(0, 2);
    const path = entry.slice(3);
    const target = join(workTree, path);
    if (code.includes('D')) {
      rmSync(target, { recursive: true, force: true });
    } else {
      mkdirSync(dirname(target), { recursive: true });
      rmSync(target, { recursive: true, force: true });
      cpSync(join(hostPath, path), target, {
        recursive: true,
        verbatimSymlinks: true,
        preserveTimestamps: true,
      });
    }
    count++;
  }
  return count;
}

/** Hands the whole tree to the sandbox user (links themselves, never their targets). */
export function chownTree(path: string, uid: number, gid: number): void {
  lchownSync(path, uid, gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) chownTree(child, uid, gid);
    else lchownSync(child, uid, gid);
  }
}
