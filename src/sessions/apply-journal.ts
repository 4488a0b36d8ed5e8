import * as fs from 'node:fs';
import { join } from 'node:path';
import { errnoOf, isBerthError } from '../errors.js';
import { joinBytes, showBytes, splitBytes } from '../workspace/byte-path.js';
import { listFolder, removePath } from '../workspace/path-ops.js';
import { inDir, lstatIn, openDirStrict, openRoot } from '../workspace/fd-dir.js';
import { withFolderLock } from '../workspace/folder-lock.js';
import { ApplyTrash } from './trash.js';
import { processAlive } from '../workspace/process-alive.js';

/** One replace or delete of an apply: where its temp file and its aside live. */
export interface JournalEntry {
  n: number;
  /** The folder, project-relative, bytes in base64 ('' for the project folder). */
  dir: string;
  /** The target's name in that folder, bytes in base64. */
  name: string;
}

export interface ApplyJournalFile {
  applyId: string;
  hostPath: string;
  session: string;
  pid: number;
  at: string;
  entries: JournalEntry[];
}

export interface RecoveryReport {
  recovered: {
    applyId: string;
    hostPath: string;
    session: string;
    tempsRemoved: number;
    /** Asides put back where the target was missing. */
    putBack: string[];
    /** Asides moved to the trash because the new entry was in place. */
    trashed: string[];
  }[];
}

/** Applies running in this process: their journals are live, not left over. */
const active = new Set<string>();

export function tmpName(applyId: string, n: number): Buffer {
  return Buffer.from(`.berth-${applyId}-${n}.tmp`);
}

export function asideName(applyId: string, n: number): Buffer {
  return Buffer.from(`.berth-${applyId}-${n}.aside`);
}

function journalDir(home: string): string {
  return join(home, 'journals');
}

/**
 * The journal of an apply, written (and fsynced) before its first change on the host, naming
 * every temp file and aside it may leave, so `recoverApplies` can finish a killed one.
 */
export function writeJournal(home: string, journal: ApplyJournalFile): void {
  const dir = journalDir(home);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${journal.applyId}.json`);
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(journal));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  active.add(journal.applyId);
}

export function removeJournal(home: string, applyId: string): void {
  removePath(join(journalDir(home), `${applyId}.json`));
  active.delete(applyId);
}

/** Marks a journal of this process as no longer live (an apply that failed): recovery may take it. */
export function releaseJournal(applyId: string): void {
  active.delete(applyId);
}

/**
 * Finishes every apply that was interrupted (killed, or failed midway): in each folder of its
 * journal, temp files are removed; an aside goes back where its target is missing, or to the
 * apply's trash where the new entry is in place. Then the journal is removed. Journals of
 * applies still running (here or in a live process) are left alone.
 */
export async function recoverApplies(home: string): Promise<RecoveryReport> {
  const report: RecoveryReport = { recovered: [] };
  const dir = journalDir(home);
  if (!fs.existsSync(dir)) return report;
  for (const file of listFolder(dir).filter((f) => f.endsWith('.json'))) {
    let journal: ApplyJournalFile;
    try {
      journal = JSON.parse(fs.readFileSync(join(dir, file), 'utf8')) as ApplyJournalFile;
    } catch {
      continue; // removed meanwhile
    }
    if (active.has(journal.applyId) || (journal.pid !== process.pid && processAlive(journal.pid))) continue;
    try {
      await withFolderLock(
        home,
        journal.hostPath,
        `recovery of apply ${journal.applyId}`,
        async () => {
          report.recovered.push(recoverOne(home, journal));
          removeJournal(home, journal.applyId);
        },
        { waitMs: 2000 },
      );
    } catch (err) {
      if (!isBerthError(err, 'FOLDER_BUSY')) throw err;
    }
  }
  return report;
}

function recoverOne(home: string, journal: ApplyJournalFile): RecoveryReport['recovered'][number] {
  const out = {
    applyId: journal.applyId,
    hostPath: journal.hostPath,
    session: journal.session,
    tempsRemoved: 0,
    putBack: [] as string[],
    trashed: [] as string[],
  };
  let rootFd: number;
  try {
    rootFd = openRoot(journal.hostPath);
  } catch {
    return out; // the project folder is gone: nothing of ours is left in it
  }
  const trash = new ApplyTrash(home, journal.hostPath, journal.applyId, journal.session);
  try {
    for (const entry of journal.entries) {
      const dirParts = splitBytes(Buffer.from(entry.dir, 'base64'));
      const name = Buffer.from(entry.name, 'base64');
      const shown = showBytes(joinBytes([...dirParts, name]));
      let dirFd: number;
      try {
        dirFd = openDirStrict(rootFd, dirParts);
      } catch {
        continue; // the folder is gone or is no longer a folder: nothing of ours can be in it
      }
      try {
        const tmp = tmpName(journal.applyId, entry.n);
        if (lstatIn(dirFd, tmp) !== undefined) {
          unlinkQuiet(dirFd, tmp);
          out.tempsRemoved++;
        }
        const aside = asideName(journal.applyId, entry.n);
        const st = lstatIn(dirFd, aside);
        if (st === undefined) continue;
        if (lstatIn(dirFd, name) === undefined && putAsideBack(dirFd, aside, name, st.isDirectory())) {
          out.putBack.push(shown);
        } else {
          trash.take(dirFd, aside, joinBytes([...dirParts, name]));
          out.trashed.push(shown);
        }
      } finally {
        fs.closeSync(dirFd);
      }
    }
  } finally {
    fs.closeSync(rootFd);
  }
  return out;
}

/** Puts an aside back under its name without replacing anything there; false when taken. */
export function putAsideBack(dirFd: number, aside: Buffer, name: Buffer, folder: boolean): boolean {
  try {
    if (folder) {
      if (lstatIn(dirFd, name) !== undefined) return false;
      fs.renameSync(inDir(dirFd, aside), inDir(dirFd, name));
    } else {
      fs.linkSync(inDir(dirFd, aside), inDir(dirFd, name));
      fs.unlinkSync(inDir(dirFd, aside));
    }
    return true;
  } catch (err) {
    if (errnoOf(err) === 'EEXIST' || errnoOf(err) === 'ENOTEMPTY') return false;
    throw err;
  }
}

function unlinkQuiet(dirFd: number, name: Buffer): void {
  try {
    fs.unlinkSync(inDir(dirFd, name));
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'EISDIR' || code === 'EPERM') fs.rmdirSync(inDir(dirFd, name));
    else if (code !== 'ENOENT') throw err;
  }
}
