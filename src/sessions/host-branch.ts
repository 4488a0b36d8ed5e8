import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { BerthError, errnoOf } from '../errors.js';
import { inDir, openDirStrict, openRoot, readSmallFileIn } from '../workspace/fd-dir.js';
import { removePath } from '../workspace/path-ops.js';
import { inspectHostRepo } from './host-repo.js';
import type { SandboxGit } from './sandbox-git.js';

const PACKED_REFS_MAX = 256 * 1024 * 1024;

/**
 * Makes the session's HEAD branch `branch` of the host repository without running git there
 * (its config and hooks belong to the project container): the session's own git packs the new
 * objects (everything since the host commit the baseline sits on), and the pack, its index and
 * a new loose ref are written into the host's `.git` through fds, each as a temp file linked
 * into place so nothing that exists is replaced. An existing branch of that name is refused.
 */
export async function writeBranchToHost(
  git: SandboxGit,
  hostPath: string,
  branch: string,
  baseline: string,
): Promise<{ commit: string }> {
  const hostFd = openRoot(hostPath);
  try {
    const repo = inspectHostRepo(hostFd);
    if (repo.kind !== 'repo') {
      throw new BerthError(
        'INVALID_ARGUMENT',
        `the host folder cannot take a branch (${repo.why}); use \`berth session apply\``,
      );
    }
    try {
      const head = (await git.run(['rev-parse', '--verify', 'HEAD^{commit}'])).trim();
      const parent = (await git.hasCommit(`${baseline}^`))
        ? (await git.run(['rev-parse', `${baseline}^`])).trim()
        : undefined;
      const refName = `refs/heads/${branch}`;
      const packed = readSmallFileIn(repo.gitFd, 'packed-refs', PACKED_REFS_MAX)?.toString('utf8') ?? '';
      if (packed.split('\n').some((line) => line.endsWith(` ${refName}`))) throw exists(branch);
      const scratch = fs.mkdtempSync(join(dirname(git.gitDir), 'pack-'));
      try {
        const name = await packObjects(git, scratch, head, parent);
        const packDir = openDirStrict(
          repo.gitFd,
          ['objects', 'pack'].map((p) => Buffer.from(p)),
          0o755,
        );
        try {
          // the pack before its index: git only looks at packs that have one
          for (const ext of ['.pack', '.idx']) {
            placeFile(packDir, `${name}${ext}`, fs.readFileSync(join(scratch, `${name}${ext}`)), 0o444, true);
          }
        } finally {
          fs.closeSync(packDir);
        }
      } finally {
        removePath(scratch);
      }
      const parts = refName.split('/');
      const refDir = openDirStrict(
        repo.gitFd,
        parts.slice(0, -1).map((p) => Buffer.from(p)),
        0o755,
      );
      try {
        if (!placeFile(refDir, parts.at(-1)!, Buffer.from(`${head}\n`), 0o644, false)) throw exists(branch);
      } finally {
        fs.closeSync(refDir);
      }
      return { commit: head };
    } finally {
      fs.closeSync(repo.gitFd);
    }
  } finally {
    fs.closeSync(hostFd);
  }
}

/** `git pack-objects` of what `head` has that `parent` has not; returns the pack's base name. */
async function packObjects(git: SandboxGit, scratch: string, head: string, parent: string | undefined) {
  const hash = (
    await git.run(['pack-objects', '-q', '--revs', join(scratch, 'pack')], {
      input: `${head}\n${parent ? `^${parent}\n` : ''}`,
    })
  ).trim();
  if (!/^[0-9a-f]{40,64}$/.test(hash)) throw new BerthError('GIT_FAILED', 'git pack-objects wrote no pack');
  return `pack-${hash}`;
}

/**
 * A new file in an open folder, through a temp file and link(), so nothing that is there is
 * replaced or followed. Returns false when the name exists (`sameIsFine`: a pack of the same
 * name holds the same objects, so that counts as done). When berth runs as root the file goes
 * to the folder's owner.
 */
function placeFile(dirFd: number, name: string, data: Buffer, mode: number, sameIsFine: boolean): boolean {
  const tmp = `.berth-${randomBytes(6).toString('hex')}.tmp`;
  const fd = fs.openSync(
    inDir(dirFd, tmp),
    fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL,
    mode,
  );
  try {
    try {
      fs.writeSync(fd, data);
      fs.fsyncSync(fd);
      if (process.geteuid?.() === 0) {
        const owner = fs.fstatSync(dirFd);
        fs.fchownSync(fd, owner.uid, owner.gid);
      }
    } finally {
      fs.closeSync(fd);
    }
    try {
      fs.linkSync(inDir(dirFd, tmp), inDir(dirFd, name));
    } catch (err) {
      if (errnoOf(err) === 'EEXIST') return sameIsFine;
      throw err;
    }
    return true;
  } finally {
    fs.unlinkSync(inDir(dirFd, tmp));
  }
}

function exists(branch: string): BerthError {
  return new BerthError(
    'ALREADY_EXISTS',
    `the host repository already has a branch ${branch}; delete it or discard the session`,
  );
}
