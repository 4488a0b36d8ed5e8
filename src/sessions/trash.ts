import * as fs from 'node:fs';
import { join } from 'node:path';
import { BerthError, errnoOf } from '../errors.js';
import { joinBytes, showBytes, splitBytes } from '../workspace/byte-path.js';
import { inDir, lstatIn, openDirStrict, openFileIn, openRoot } from '../workspace/fd-dir.js';
import { listFolder, removePath } from '../workspace/path-ops.js';
import { folderKey } from '../workspace/folder-lock.js';

const COPY_CHUNK = 1024 * 1024;

/** One thing apply deleted or replaced, kept so it can be put back. */
export interface TrashEntry {
  n: number;
  /** The project-relative path, as bytes in base64. */
  path: string;
  shown: string;
  kind: 'file' | 'link';
  size: number;
  mode: number;
  session: string;
  at: string;
}

export interface TrashApply {
  applyId: string;
  hostPath: string;
  session: string;
  at: string;
  entries: TrashEntry[];
}

export interface RestoreReport {
  applyId: string;
  restored: string[];
  /** Something was at the path already: the trashed version was put beside it. */
  beside: { path: string; as: string }[];
  failed: { path: string; why: string }[];
}

interface Header {
  applyId: string;
  hostPath: string;
  session: string;
  at: string;
}

/**
 * The trash of one apply: `<home>/trash/<folder key>/<applyId>/`, with each entry stored under
 * its number and `manifest.ndjson` (a header line, then one line per entry, one per restore),
 * appended as it goes so a kill never loses what was already moved.
 */
export class ApplyTrash {
  readonly dir: string;
  private count = 0;
  private next: number | undefined;

  constructor(
    home: string,
    private readonly hostPath: string,
    readonly applyId: string,
    private readonly session: string,
  ) {
    this.dir = join(home, 'trash', folderKey(hostPath), applyId);
  }

  get size(): number {
    return this.count;
  }

  /** Moves the entry `name` of `dirFd` (an aside of apply) into the trash as `path`. */
  take(dirFd: number, name: Buffer, path: Buffer): void {
    const st = lstatIn(dirFd, name);
    if (st === undefined) return;
    if (st.isDirectory()) {
      // only emptied folders are ever set aside: nothing to keep
      fs.rmdirSync(inDir(dirFd, name));
      return;
    }
    this.open();
    const n = this.nextNumber();
    const stored = join(this.dir, String(n));
    const kind = st.isSymbolicLink() ? 'link' : 'file';
    try {
      fs.renameSync(inDir(dirFd, name), stored);
    } catch (err) {
      if (errnoOf(err) !== 'EXDEV') throw err;
      if (kind === 'link') {
        fs.symlinkSync(fs.readlinkSync(inDir(dirFd, name), { encoding: 'buffer' }), stored);
      } else {
        const opened = openFileIn(dirFd, name);
        if (!opened)
          throw new BerthError(
            'PATH_REFUSED',
            `"${showBytes(path)}" changed while it was moved to the trash`,
          );
        try {
          copyFdToNew(opened.fd, fs.openSync(stored, 'wx', 0o600));
        } finally {
          fs.closeSync(opened.fd);
        }
      }
      fs.unlinkSync(inDir(dirFd, name));
    }
    const entry: TrashEntry = {
      n,
      path: path.toString('base64'),
      shown: showBytes(path),
      kind,
      size: st.size,
      mode: st.mode & 0o777,
      session: this.session,
      at: new Date().toISOString(),
    };
    fs.appendFileSync(join(this.dir, 'manifest.ndjson'), `${JSON.stringify({ entry })}\n`);
    this.count++;
  }

  private open(): void {
    if (fs.existsSync(join(this.dir, 'manifest.ndjson'))) return;
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const header: Header = {
      applyId: this.applyId,
      hostPath: this.hostPath,
      session: this.session,
      at: new Date().toISOString(),
    };
    fs.appendFileSync(join(this.dir, 'manifest.ndjson'), `${JSON.stringify({ header })}\n`);
  }

  private nextNumber(): number {
    // an apply recovered after a kill adds to the trash it had begun
    this.next ??= Math.max(-1, ...listFolder(this.dir).map(Number).filter(Number.isInteger)) + 1;
    return this.next++;
  }
}

/** Every apply with something left in the trash, newest first. */
export function listTrash(home: string): TrashApply[] {
  const root = join(home, 'trash');
  const out: TrashApply[] = [];
  if (!fs.existsSync(root)) return out;
  for (const folder of listFolder(root)) {
    for (const applyId of listFolder(join(root, folder))) {
      const read = readManifest(join(root, folder, applyId));
      if (read && read.entries.length > 0) out.push(read);
    }
  }
  return out.sort((a, b) => b.at.localeCompare(a.at));
}

/**
 * Puts trashed entries back (all of one apply, or of every apply of one session; `paths`
 * narrows them). Never over an existing entry: then beside it as `<name>.berth-restored-<id>`.
 * Parent folders are opened without following links, made when missing.
 */
export function restoreFromTrash(home: string, apply: TrashApply, paths: string[] = []): RestoreReport {
  const report: RestoreReport = { applyId: apply.applyId, restored: [], beside: [], failed: [] };
  const dir = join(home, 'trash', folderKey(apply.hostPath), apply.applyId);
  const wanted = (shown: string) =>
    paths.length === 0 ||
    paths.some((p) => shown === p.replace(/\/$/, '') || shown.startsWith(`${p.replace(/\/$/, '')}/`));
  const rootFd = openRoot(apply.hostPath);
  try {
    for (const entry of apply.entries) {
      if (!wanted(entry.shown)) continue;
      const parts = splitBytes(Buffer.from(entry.path, 'base64'));
      const name = parts.at(-1);
      if (name === undefined) continue;
      let dirFd: number;
      try {
        dirFd = openDirStrict(rootFd, parts.slice(0, -1), 0o755);
      } catch (err) {
        report.failed.push({ path: entry.shown, why: err instanceof Error ? err.message : String(err) });
        continue;
      }
      try {
        const as = putBack(join(dir, String(entry.n)), entry, dirFd, name, apply.applyId);
        if (as === undefined) report.restored.push(entry.shown);
        else report.beside.push({ path: entry.shown, as: showBytes(joinBytes([...parts.slice(0, -1), as])) });
        fs.appendFileSync(join(dir, 'manifest.ndjson'), `${JSON.stringify({ restored: entry.n })}\n`);
        removePath(join(dir, String(entry.n)));
      } catch (err) {
        report.failed.push({ path: entry.shown, why: err instanceof Error ? err.message : String(err) });
      } finally {
        fs.closeSync(dirFd);
      }
    }
  } finally {
    fs.closeSync(rootFd);
  }
  const left = readManifest(dir);
  if (left && left.entries.length === 0) removePath(dir);
  return report;
}

/** The applies `key` names: an apply id, or a session id (every apply of it). */
export function findTrash(home: string, key: string): TrashApply[] {
  const found = listTrash(home).filter((a) => a.applyId === key || a.session === key);
  if (found.length === 0) {
    throw new BerthError('NOT_FOUND', `nothing in the trash for "${key}"; see \`berth session trash\``);
  }
  return found;
}

/** Undefined when the target was free; otherwise the name it was restored under instead. */
function putBack(
  stored: string,
  entry: TrashEntry,
  dirFd: number,
  name: Buffer,
  applyId: string,
): Buffer | undefined {
  const tmp = Buffer.from(`.berth-${applyId}-restore-${entry.n}.tmp`);
  try {
    fs.unlinkSync(inDir(dirFd, tmp));
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw err;
  }
  if (entry.kind === 'link') {
    fs.symlinkSync(fs.readlinkSync(stored, { encoding: 'buffer' }), inDir(dirFd, tmp));
  } else {
    const src = fs.openSync(stored, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      const out = fs.openSync(
        inDir(dirFd, tmp),
        fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
        0o600,
      );
      fs.fchmodSync(out, entry.mode);
      copyFdToNew(src, out);
    } finally {
      fs.closeSync(src);
    }
  }
  try {
    for (const candidate of [name, Buffer.concat([name, Buffer.from(`.berth-restored-${applyId}`)])]) {
      try {
        fs.linkSync(inDir(dirFd, tmp), inDir(dirFd, candidate));
        return candidate === name ? undefined : candidate;
      } catch (err) {
        if (errnoOf(err) !== 'EEXIST') throw err;
      }
    }
    throw new BerthError('ALREADY_EXISTS', `"${entry.shown}" and its restored name are both taken`);
  } finally {
    fs.unlinkSync(inDir(dirFd, tmp));
  }
}

/** Copies from `src` into the new file `out` (closed after), then fsyncs it. */
function copyFdToNew(src: number, out: number): void {
  try {
    const buffer = Buffer.allocUnsafe(COPY_CHUNK);
    let at = 0;
    for (;;) {
      const n = fs.readSync(src, buffer, 0, buffer.length, at);
      if (n === 0) break;
      let w = 0;
      while (w < n) w += fs.writeSync(out, buffer, w, n - w);
      at += n;
    }
    fs.fsyncSync(out);
  } finally {
    fs.closeSync(out);
  }
}

function readManifest(dir: string): TrashApply | undefined {
  let text: string;
  try {
    text = fs.readFileSync(join(dir, 'manifest.ndjson'), 'utf8');
  } catch {
    return undefined;
  }
  let header: Header | undefined;
  const entries = new Map<number, TrashEntry>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: { header?: Header; entry?: TrashEntry; restored?: number };
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      continue; // a line cut short by a kill
    }
    if (parsed.header) header = parsed.header;
    if (parsed.entry) entries.set(parsed.entry.n, parsed.entry);
    if (parsed.restored !== undefined) entries.delete(parsed.restored);
  }
  if (!header) return undefined;
  return { ...header, entries: [...entries.values()].sort((a, b) => a.n - b.n) };
}
