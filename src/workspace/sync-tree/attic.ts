import * as fs from 'node:fs';
import { BerthError, errnoOf } from '../../errors.js';
import { inDir, openChildDir } from '../fd-dir.js';
import { DIGEST_PATTERN } from './digest-cache.js';
import { SYNC_STATE_DIR, type SyncPath } from './entry.js';
import { linkNoReplace, lstatBig, openFileNoFollow, randomName } from './tree-fds.js';

const { O_WRONLY, O_CREAT, O_APPEND, O_NOFOLLOW, O_TRUNC } = fs.constants;

/** One version sync took out of the tree: whose bytes, from where, when and why. */
export interface AtticRecord {
  digest: string;
  /** Where the bytes were (a sync path). */
  path: SyncPath;
  size: number;
  /** ms since the epoch. */
  time: number;
  /** What replaced or removed them (`put`, `remove`, …). */
  why: string;
  /**
   * Where the bytes are, below the sync root: `Attic.pathOf(digest)`, or beside it
   * (`<digest>.<random>`) when that name already held another copy.
   */
  file: SyncPath;
}

const INDEX = 'index.jsonl';
const INDEX_MAX = 64 * 1024 * 1024;

/**
 * The bytes sync replaced or removed, kept in `.berth-sync/attic/<digest[0..2]>/<digest>` on
 * the same file system as the tree (so keeping them is a rename, never a copy that could
 * fail half-way), with an append-only `index.jsonl` saying where each came from. Beyond
 * `maxBytes` the oldest versions go; the newest is always kept, however large.
 */
export class Attic {
  private records: AtticRecord[] | undefined;
  /** Each kept file's newest record (time, size) and their total: kept as records come and go. */
  private sizes: Map<SyncPath, { time: number; size: number }> | undefined;
  private totalBytes = 0;
  private indexFd: number | undefined;
  private readonly subdirs = new Map<string, number>();
  /** Folders whose entries changed since the last flush (for one fsync each). */
  private readonly touched = new Set<number>();

  constructor(
    private readonly atticFd: number,
    private readonly maxBytes: number,
  ) {}

  /** The attic file of a digest, as a path below the sync root. */
  static pathOf(digest: string): SyncPath {
    return `${SYNC_STATE_DIR}/attic/${digest.slice(0, 2)}/${digest}`;
  }

  /**
   * Moves the entry `name` of `dirFd` (a regular file whose bytes hash to `digest`) into the
   * attic. A copy with the same digest already there is not replaced: a writer that still had
   * either inode open may have written into it after it was checked, so both are kept.
   */
  keep(dirFd: number, name: Buffer, record: Omit<AtticRecord, 'time' | 'file'>): void {
    if (!DIGEST_PATTERN.test(record.digest)) {
      throw new BerthError('INVALID_ARGUMENT', `"${record.digest}" is not a SHA-256 digest`);
    }
    const records = this.load();
    const sub = this.subdir(record.digest.slice(0, 2));
    let fileName: Buffer = Buffer.from(record.digest);
    if (linkNoReplace(dirFd, name, sub, fileName) === 'taken') {
      fileName = randomName(`${record.digest}.`);
      fs.renameSync(inDir(dirFd, name), inDir(sub, fileName));
    } else {
      fs.unlinkSync(inDir(dirFd, name));
    }
    this.touched.add(sub);
    this.touched.add(dirFd);
    const file = `${SYNC_STATE_DIR}/attic/${record.digest.slice(0, 2)}/${fileName.toString('latin1')}`;
    const full: AtticRecord = { ...record, time: Date.now(), file };
    records.push(full);
    fs.writeSync(this.index(), `${JSON.stringify(full)}\n`);
    this.count(full);
    this.evict(file);
  }

  /** Every version still kept, newest first. */
  list(): AtticRecord[] {
    return [...this.load()].reverse();
  }

  /** The versions kept that were at `path`, newest first. */
  find(path: SyncPath): AtticRecord[] {
    const found: AtticRecord[] = [];
    const records = this.load();
    for (let i = records.length - 1; i >= 0; i--) if (records[i]!.path === path) found.push(records[i]!);
    return found;
  }

  /** Makes what `keep` did durable: the index and the folders it renamed into. */
  flush(dirs: Set<number>): void {
    for (const fd of this.touched) dirs.add(fd);
    this.touched.clear();
    if (this.indexFd !== undefined) dirs.add(this.indexFd);
  }

  /** The open folder holding a digest's file, made when absent. */
  subdir(prefix: string): number {
    let fd = this.subdirs.get(prefix);
    if (fd === undefined) {
      fd = openChildDir(this.atticFd, prefix, 0o700);
      if (fd === undefined)
        throw new BerthError('PATH_REFUSED', `the attic folder "${prefix}" is a link or not a folder`);
      this.subdirs.set(prefix, fd);
    }
    return fd;
  }

  close(): void {
    for (const fd of this.subdirs.values()) fs.closeSync(fd);
    this.subdirs.clear();
    if (this.indexFd !== undefined) fs.closeSync(this.indexFd);
    this.indexFd = undefined;
  }

  private index(): number {
    this.indexFd ??= fs.openSync(
      inDir(this.atticFd, INDEX),
      O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW,
      0o600,
    );
    return this.indexFd;
  }

  /** The records whose file is still there, oldest first (a damaged line is skipped). */
  private load(): AtticRecord[] {
    if (this.records) return this.records;
    const records: AtticRecord[] = [];
    const opened = openFileNoFollow(this.atticFd, Buffer.from(INDEX));
    if (!('error' in opened)) {
      try {
        const size = Math.min(Number(opened.st.size), INDEX_MAX);
        const buffer = Buffer.alloc(size);
        const n = fs.readSync(opened.fd, buffer, 0, size, 0);
        for (const line of buffer.subarray(0, n).toString('utf8').split('\n')) {
          const record = parseRecord(line);
          if (record && this.present(record.file)) records.push(record);
        }
      } finally {
        fs.closeSync(opened.fd);
      }
    }
    this.records = records;
    return records;
  }

  private present(file: SyncPath): boolean {
    const [prefix, name] = file.split('/').slice(2);
    const sub = openChildDir(this.atticFd, prefix!);
    if (sub === undefined) return false;
    try {
      return lstatBig(sub, Buffer.from(name!, 'latin1'))?.isFile() ?? false;
    } finally {
      fs.closeSync(sub);
    }
  }

  /** Adds a record to the running sizes (a file recorded twice counts once, at its newest). */
  private count(record: AtticRecord): void {
    const sizes = this.sizeIndex();
    const before = sizes.get(record.file);
    if (before) this.totalBytes -= before.size;
    sizes.set(record.file, { time: record.time, size: record.size });
    this.totalBytes += record.size;
  }

  private sizeIndex(): Map<SyncPath, { time: number; size: number }> {
    if (!this.sizes) {
      this.sizes = new Map();
      this.totalBytes = 0;
      for (const r of this.load()) {
        const before = this.sizes.get(r.file);
        if (before) this.totalBytes -= before.size;
        this.sizes.set(r.file, { time: r.time, size: r.size });
        this.totalBytes += r.size;
      }
    }
    return this.sizes;
  }

  /**
   * Drops the oldest files (never `keepFile`, the newest) until the attic fits its size cap.
   * Under the cap (the usual case) it costs nothing: the total is kept as records come.
   */
  private evict(keepFile: SyncPath): void {
    const newest = this.sizeIndex();
    if (this.totalBytes <= this.maxBytes) return;
    const records = this.load();
    let total = this.totalBytes;
    const oldestFirst = [...newest.entries()].sort((a, b) => a[1].time - b[1].time);
    const gone = new Set<string>();
    for (const [file, { size }] of oldestFirst) {
      if (total <= this.maxBytes) break;
      if (file === keepFile) continue;
      const [prefix, name] = file.split('/').slice(2);
      try {
        fs.unlinkSync(inDir(this.subdir(prefix!), Buffer.from(name!, 'latin1')));
      } catch (err) {
        if (errnoOf(err) !== 'ENOENT') throw err;
      }
      gone.add(file);
      newest.delete(file);
      total -= size;
    }
    this.totalBytes = total;
    if (gone.size === 0) return;
    this.records = records.filter((r) => !gone.has(r.file));
    this.rewriteIndex();
  }

  /** After an eviction the index is written afresh (temp file, then rename), without the gone. */
  private rewriteIndex(): void {
    const tmp = Buffer.from(`${INDEX}.tmp`);
    const fd = fs.openSync(inDir(this.atticFd, tmp), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0o600);
    try {
      fs.writeSync(fd, this.records!.map((r) => `${JSON.stringify(r)}\n`).join(''));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(inDir(this.atticFd, tmp), inDir(this.atticFd, INDEX));
    if (this.indexFd !== undefined) fs.closeSync(this.indexFd);
    this.indexFd = undefined;
    this.touched.add(this.atticFd);
  }
}

function parseRecord(line: string): AtticRecord | undefined {
  if (line.trim() === '') return undefined;
  try {
    const r = JSON.parse(line) as Partial<AtticRecord>;
    if (typeof r.digest !== 'string' || !DIGEST_PATTERN.test(r.digest)) return undefined;
    if (typeof r.path !== 'string' || typeof r.size !== 'number' || typeof r.time !== 'number')
      return undefined;
    const file = typeof r.file === 'string' ? r.file : Attic.pathOf(r.digest);
    // the index may have been written by the other side: a file is only ever one below its prefix folder
    const parts = file.split('/');
    const folder = `${SYNC_STATE_DIR}/attic/${r.digest.slice(0, 2)}`;
    if (parts.length !== 4 || parts.slice(0, 3).join('/') !== folder) return undefined;
    if (!parts[3]!.startsWith(r.digest)) return undefined;
    const why = typeof r.why === 'string' ? r.why : '';
    return { digest: r.digest, path: r.path, size: r.size, time: r.time, why, file };
  } catch {
    return undefined;
  }
}
