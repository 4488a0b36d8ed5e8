import * as fs from 'node:fs';
import { join } from 'node:path';
import { bytesKey, joinBytes, splitBytes } from '../workspace/byte-path.js';
import { copyFileIn, openChildDir, openRoot, readSmallFileIn, type EntryKind } from '../workspace/fd-dir.js';
import { removePath } from '../workspace/path-ops.js';
import { copyTreeFds, type TreeCopyReport } from '../workspace/tree-copy.js';
import { inspectHostRepo } from './host-repo.js';
import { SandboxGit } from './sandbox-git.js';

export interface PopulateResult {
  /** How the copy was made: with the host repository's history, or a plain copy. */
  mode: 'git' | 'copy';
  /** Why a folder with a `.git` was copied plainly. */
  plainWhy?: string;
  /** The baseline commit every later change is measured against. */
  baseline: string;
  files: number;
}

export interface PopulateOptions {
  includeIgnored: boolean;
  onProgress?: (line: string) => void;
}

/** Modes and folders of the baseline copy, for apply: `baseline.json` beside the workspace. */
export interface BaselineManifest {
  modes: Record<string, number>;
  folders: string[];
}

const EXCLUDE_MAX = 1024 * 1024;
const INDEX_MAX = 512 * 1024 * 1024;

/**
 * Fills `workTree` with the project and makes the baseline commit in `gitDir`. Nothing here
 * runs git on the host folder, and the host tree (which the project container can change at any
 * moment) is only read through fds (`workspace/tree-copy.ts`). For a git repository, the parts
 * of `.git` that hold history (objects, hard-linked; refs; HEAD; the index) are copied into the
 * session's own repository, which has berth's config, never the project's; then the work tree is
 * copied, leaving out what .gitignore ignores unless it is tracked or asked for, and
 * `git add -A` over the host's index finds the uncommitted changes without re-hashing the rest.
 * Anything else is copied whole. Every `.git` inside is left out.
 */
export async function populateSandbox(
  hostPath: string,
  gitDir: string,
  workTree: string,
  options: PopulateOptions,
): Promise<PopulateResult> {
  const manifest: BaselineManifest = { modes: {}, folders: [] };
  const onEntry = (path: Buffer, kind: EntryKind, mode: number) => {
    if (kind === 'folder') manifest.folders.push(bytesKey(path));
    else manifest.modes[bytesKey(path)] = mode;
  };
  fs.mkdirSync(workTree, { recursive: true, mode: 0o755 });
  const hostFd = openRoot(hostPath);
  try {
    const repo = inspectHostRepo(hostFd);
    let plainWhy = repo.kind === 'plain' ? repo.why : undefined;
    const git = new SandboxGit(gitDir, workTree);
    let copied: TreeCopyReport | undefined;
    if (repo.kind === 'repo') {
      try {
        options.onProgress?.('taking in the host repository history (objects are hard-linked)');
        const exclude = snapshotGitDir(repo.gitFd, gitDir, repo.objectFormat);
        if (await git.hasCommit('HEAD')) {
          const tracked = await trackedPaths(git);
          copied = copyWorkTree(hostFd, workTree, options, onEntry, {
            ...(exclude !== undefined ? { extraRules: exclude } : {}),
            keep: (path) => tracked.has(bytesKey(path)),
          });
        } else plainWhy = 'the repository has no commits yet';
      } finally {
        fs.closeSync(repo.gitFd);
      }
    }
    if (!copied) {
      removePath(gitDir);
      options.onProgress?.(`copying the project folder (${plainWhy ?? 'not a git repository'})`);
      copied = copyWorkTree(hostFd, workTree, { ...options, includeIgnored: true }, onEntry, undefined);
      await initSandboxRepo(gitDir, 'sha1');
    }
    options.onProgress?.(`copied ${copied.files} files`);
    if (copied.skipped.length > 0) {
      options.onProgress?.(
        `left out ${copied.skipped.length} sockets, FIFOs or devices: ${copied.skipped.slice(0, 5).join(', ')}`,
      );
    }
    if (copied.changed.length > 0) {
      options.onProgress?.(
        `left out ${copied.changed.length} entries that changed while being copied: ${copied.changed.slice(0, 5).join(', ')}`,
      );
    }
    fs.writeFileSync(join(gitDir, '..', 'baseline.json'), JSON.stringify(manifest));
    return {
      mode: plainWhy === undefined ? 'git' : 'copy',
      ...(plainWhy !== undefined && repo.kind === 'repo' ? { plainWhy } : {}),
      baseline: await commitBaseline(git),
      files: copied.files,
    };
  } finally {
    fs.closeSync(hostFd);
  }
}

function copyWorkTree(
  hostFd: number,
  workTree: string,
  options: PopulateOptions,
  onEntry: (path: Buffer, kind: EntryKind, mode: number) => void,
  gitignore: { extraRules?: string; keep: (path: Buffer) => boolean } | undefined,
): TreeCopyReport {
  const dstFd = openRoot(workTree);
  try {
    const onProgress = options.onProgress;
    return copyTreeFds(hostFd, dstFd, {
      skipGit: true,
      ...(gitignore && !options.includeIgnored ? { gitignore } : {}),
      onEntry,
      ...(onProgress ? { onProgress: (files: number) => onProgress(`copied ${files} files`) } : {}),
    });
  } finally {
    fs.closeSync(dstFd);
  }
}

/**
 * The session repository from the host's `.git`, taking only data: HEAD, refs, packed-refs,
 * shallow, the index and the objects (hard-linked where the filesystem allows; git's objects
 * are content-addressed and never rewritten in place). Config, hooks, info/attributes and
 * alternates stay behind; the config is berth's own. Returns the host's info/exclude rules.
 */
function snapshotGitDir(
  hostGitFd: number,
  gitDir: string,
  objectFormat: 'sha1' | 'sha256',
): string | undefined {
  fs.mkdirSync(gitDir, { recursive: true, mode: 0o700 });
  const dstFd = openRoot(gitDir);
  try {
    for (const name of ['HEAD', 'packed-refs', 'shallow', 'index']) {
      // (the index's own time matters to git's "racily clean" check: it is kept)
      copyFileIn(hostGitFd, dstFd, name, name === 'index' ? INDEX_MAX : 64 * 1024 * 1024);
    }
    for (const [name, hardLink] of [
      ['refs', false],
      ['objects', true],
    ] as const) {
      const src = openChildDir(hostGitFd, name);
      const dst = openChildDir(dstFd, name, 0o755);
      if (src === undefined || dst === undefined) continue;
      try {
        copyTreeFds(src, dst, {
          hardLink,
          // a link in refs/ or objects/ could lead git to data elsewhere on the host: none is taken
          skip: (path, kind) =>
            kind === 'symlink' || (name === 'objects' && splitBytes(path)[0]?.toString('latin1') === 'info'),
        });
      } finally {
        fs.closeSync(src);
        fs.closeSync(dst);
      }
    }
    fs.mkdirSync(join(gitDir, 'refs', 'heads'), { recursive: true });
    fs.mkdirSync(join(gitDir, 'objects', 'pack'), { recursive: true });
    writeSandboxConfig(gitDir, objectFormat);
    const info = openChildDir(hostGitFd, 'info');
    if (info === undefined) return undefined;
    try {
      return readSmallFileIn(info, 'exclude', EXCLUDE_MAX)?.toString('utf8');
    } finally {
      fs.closeSync(info);
    }
  } finally {
    fs.closeSync(dstFd);
  }
}

/**
 * berth's config for a session repository. Stat checks use size and whole-second mtime only:
 * the copy keeps mtimes but not inodes or ctimes, so the host's index stays valid for it.
 */
function writeSandboxConfig(gitDir: string, objectFormat: 'sha1' | 'sha256'): void {
  const lines = [
    '[core]',
    `\trepositoryformatversion = ${objectFormat === 'sha256' ? 1 : 0}`,
    '\tbare = false',
    '\tfilemode = true',
    '\tsymlinks = true',
    '\tlogallrefupdates = false',
    '\tcheckStat = minimal',
    '\ttrustctime = false',
    '\tprecomposeunicode = false',
    '\tquotePath = false',
    '[gc]',
    '\tauto = 0',
    '[maintenance]',
    '\tauto = false',
    ...(objectFormat === 'sha256' ? ['[extensions]', '\tobjectformat = sha256'] : []),
  ];
  fs.writeFileSync(join(gitDir, 'config'), `${lines.join('\n')}\n`);
}

async function initSandboxRepo(gitDir: string, objectFormat: 'sha1' | 'sha256'): Promise<void> {
  for (const dir of ['objects/pack', 'objects/info', 'refs/heads', 'refs/tags']) {
    fs.mkdirSync(join(gitDir, dir), { recursive: true, mode: 0o755 });
  }
  fs.writeFileSync(join(gitDir, 'HEAD'), 'ref: refs/heads/main\n');
  writeSandboxConfig(gitDir, objectFormat);
}

/** Every tracked path of the index and every folder above one, as byte-path keys. */
async function trackedPaths(git: SandboxGit): Promise<Set<string>> {
  const out = new Set<string>();
  const listing = await git.runBuffer(['ls-files', '-z'], { maxBuffer: 1024 * 1024 * 1024 });
  let start = 0;
  for (let i = 0; i < listing.length; i++) {
    if (listing[i] !== 0) continue;
    const parts = splitBytes(listing.subarray(start, i));
    start = i + 1;
    for (let depth = 1; depth <= parts.length; depth++) out.add(bytesKey(joinBytes(parts.slice(0, depth))));
  }
  return out;
}

/** Commits everything as the baseline (on top of the host's HEAD, if any); returns its id. */
async function commitBaseline(git: SandboxGit): Promise<string> {
  await git.run(['add', '-A']);
  await git.run(['commit', '-q', '--allow-empty', '--no-verify', '-m', 'session baseline']);
  return (await git.run(['rev-parse', 'HEAD'])).trim();
}
