/**
 * A deliberately small Replica the agent serves until the real LocalReplica (sync-tree) is in
 * the tree: enough for the protocol and the side-car to be tested end to end. It keeps none of
 * LocalReplica's safety (no attic, `expect` checked by kind only, no digest cache). Every
 * name is still looked up inside a folder fd (fd-dir.ts), never by joining path strings.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import ignore from 'ignore';
import { inDir, listNames, lstatIn, openChildDir, openFileIn, openRoot } from '../../workspace/fd-dir.js';
import type {
  OpResult,
  ReplicaIdentity,
  ScanResult,
  SyncEntry,
  SyncOp,
  SyncPath,
} from '../../workspace/sync-tree/entry.js';
import { SYNC_MODE_MASK, SYNC_STATE_DIR } from '../../workspace/sync-tree/entry.js';
import type {
  ContentChunk,
  ContentRequest,
  Replica,
  ScanOptions,
  StageResult,
  WatchHint,
} from '../../workspace/sync-tree/replica.js';

const READ_BYTES = 1024 * 1024;

export class StandInReplica implements Replica {
  readonly side = 'container' as const;
  private readonly rootFd: number;

  constructor(private readonly root: string) {
    this.rootFd = openRoot(root);
  }

  async identity(): Promise<ReplicaIdentity> {
    const state = this.stateDir();
    try {
      let marker = fs.readFileSync(inDir(state, 'replica-id'), 'utf8').trim();
      if (marker === '') {
        marker = randomBytes(16).toString('hex');
        fs.writeFileSync(inDir(state, 'replica-id'), marker);
      }
      const st = fs.fstatSync(this.rootFd);
      return { marker, root: `${st.dev}:${st.ino}` };
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw err;
      fs.writeFileSync(inDir(state, 'replica-id'), randomBytes(16).toString('hex'), { flag: 'wx' });
      return this.identity();
    } finally {
      fs.closeSync(state);
    }
  }

  async scan(options: ScanOptions): Promise<ScanResult> {
    const rules = ignore().add(options.ignore);
    const entries = new Map<SyncPath, SyncEntry>();
    const problems: { path: SyncPath; reason: string }[] = [];
    entries.set('', { kind: 'dir', mode: fs.fstatSync(this.rootFd).mode & SYNC_MODE_MASK });
    const walk = (dirFd: number, dir: SyncPath) => {
      for (const nameBytes of listNames(dirFd)) {
        const name = nameBytes.toString('latin1');
        const path = dir === '' ? name : `${dir}/${name}`;
        if (path === SYNC_STATE_DIR) continue;
        const st = lstatIn(dirFd, nameBytes);
        if (!st) continue;
        const shown = Buffer.from(path, 'latin1').toString('utf8');
        if (rules.ignores(st.isDirectory() ? `${shown}/` : shown)) continue;
        if (st.isDirectory()) {
          const child = openChildDir(dirFd, nameBytes);
          if (child === undefined) {
            problems.push({ path, reason: 'changed while scanned' });
            continue;
          }
          entries.set(path, { kind: 'dir', mode: st.mode & SYNC_MODE_MASK });
          try {
            walk(child, path);
          } finally {
            fs.closeSync(child);
          }
        } else if (st.isSymbolicLink()) {
          const target = fs.readlinkSync(inDir(dirFd, nameBytes), { encoding: 'buffer' });
          entries.set(path, { kind: 'link', target: target.toString('latin1') });
        } else if (st.isFile()) {
          const digest = hashIn(dirFd, nameBytes);
          if (digest === undefined) problems.push({ path, reason: 'unreadable' });
          else
            entries.set(path, {
              kind: 'file',
              mode: st.mode & SYNC_MODE_MASK,
              size: digest.size,
              digest: digest.hex,
            });
        } else {
          problems.push({ path, reason: 'not a file, folder or link' });
        }
      }
    };
    walk(this.rootFd, '');
    return { entries, problems, root: 'dir' };
  }

  async *read(files: ContentRequest[]): AsyncIterable<ContentChunk> {
    for (const file of files) {
      const opened = this.openParent(file.path);
      const handle = opened && openFileIn(opened.dirFd, opened.name);
      if (opened) fs.closeSync(opened.dirFd);
      if (!handle) {
        yield { digest: file.digest, data: Buffer.alloc(0), last: true, failed: 'not a readable file' };
        continue;
      }
      try {
        let sent = 0;
        for (;;) {
          const buffer = Buffer.allocUnsafe(READ_BYTES);
          const n = await new Promise<number>((resolve, reject) =>
            fs.read(handle.fd, buffer, 0, READ_BYTES, sent, (err, bytes) =>
              err ? reject(err) : resolve(bytes),
            ),
          );
          sent += n;
          yield { digest: file.digest, data: buffer.subarray(0, n), last: n === 0 };
          if (n === 0) break;
        }
      } finally {
        fs.closeSync(handle.fd);
      }
    }
  }

  async stage(chunks: AsyncIterable<ContentChunk>): Promise<StageResult> {
    const result: StageResult = { staged: [], failed: [] };
    const stage = this.stageDir();
    let current: { digest: string; fd: number; hash: ReturnType<typeof createHash> } | undefined;
    try {
      for await (const chunk of chunks) {
        if (!current) {
          const fd = fs.openSync(inDir(stage, `${chunk.digest}.part`), 'w', 0o600);
          current = { digest: chunk.digest, fd, hash: createHash('sha256') };
        }
        if (chunk.data.length > 0) {
          fs.writeSync(current.fd, chunk.data);
          current.hash.update(chunk.data);
        }
        if (!chunk.last && chunk.failed === undefined) continue;
        fs.fsyncSync(current.fd);
        fs.closeSync(current.fd);
        const ok = chunk.failed === undefined && current.hash.digest('hex') === current.digest;
        if (ok) {
          fs.renameSync(inDir(stage, `${current.digest}.part`), inDir(stage, current.digest));
          result.staged.push(current.digest);
        } else {
          fs.unlinkSync(inDir(stage, `${current.digest}.part`));
          result.failed.push({
            digest: current.digest,
            reason: chunk.failed ?? 'the bytes do not hash to the digest',
          });
        }
        current = undefined;
      }
    } finally {
      if (current) fs.closeSync(current.fd);
      fs.closeSync(stage);
    }
    return result;
  }

  async apply(ops: SyncOp[]): Promise<OpResult[]> {
    return ops.map((op) => {
      try {
        return this.applyOne(op);
      } catch (err) {
        return { ok: false, reason: 'error', detail: err instanceof Error ? err.message : String(err) };
      }
    });
  }

  async clearStage(): Promise<void> {
    const stage = this.stageDir();
    try {
      for (const name of listNames(stage)) fs.unlinkSync(inDir(stage, name));
    } finally {
      fs.closeSync(stage);
    }
  }

  async watch(onHint: (hint: WatchHint) => void): Promise<() => void> {
    const watcher = fs.watch(`${this.root}/`, { recursive: true, encoding: 'buffer' });
    let pending = new Set<string>();
    let timer: NodeJS.Timeout | undefined;
    watcher.on('change', (_event, name) => {
      const path = Buffer.isBuffer(name) ? name.toString('latin1') : String(name);
      if (path === SYNC_STATE_DIR || path.startsWith(`${SYNC_STATE_DIR}/`)) return;
      pending.add(path);
      timer ??= setTimeout(() => {
        timer = undefined;
        const paths = [...pending];
        pending = new Set();
        onHint({ paths });
      }, 50);
    });
    watcher.on('error', (err) => onHint({ all: true, reason: `the watcher failed: ${err.message}` }));
    return () => {
      if (timer) clearTimeout(timer);
      watcher.close();
    };
  }

  async close(): Promise<void> {
    fs.closeSync(this.rootFd);
  }

  private applyOne(op: SyncOp): OpResult {
    const opened = this.openParent(op.path);
    if (!opened) return { ok: false, reason: 'changed', detail: 'the parent folder is missing' };
    const { dirFd, name } = opened;
    try {
      const here = lstatIn(dirFd, name);
      const expected = op.expect;
      if ((here === undefined) !== (expected === null))
        return { ok: false, reason: 'changed', detail: 'not as expected' };
      const at = inDir(dirFd, name);
      switch (op.op) {
        case 'put': {
          const stage = this.stageDir();
          try {
            if (!lstatIn(stage, op.entry.digest))
              return { ok: false, reason: 'missing-content', detail: op.entry.digest };
            fs.chmodSync(inDir(stage, op.entry.digest), op.entry.mode);
            fs.renameSync(inDir(stage, op.entry.digest), at);
          } finally {
            fs.closeSync(stage);
          }
          return { ok: true, entry: op.entry };
        }
        case 'mkdir':
          fs.mkdirSync(at, op.mode);
          fs.chmodSync(at, op.mode);
          return { ok: true, entry: { kind: 'dir', mode: op.mode } };
        case 'symlink':
          fs.symlinkSync(Buffer.from(op.target, 'latin1'), at);
          return { ok: true, entry: { kind: 'link', target: op.target } };
        case 'chmod':
          fs.chmodSync(at, op.mode);
          return { ok: true, entry: { ...op.expect, mode: op.mode } };
        case 'remove':
          if (here?.isDirectory()) fs.rmdirSync(at);
          else fs.unlinkSync(at);
          return { ok: true, entry: null };
        case 'move': {
          const to = this.openParent(op.to);
          if (!to) return { ok: false, reason: 'error', detail: 'the destination folder is missing' };
          try {
            if (lstatIn(to.dirFd, to.name))
              return { ok: false, reason: 'error', detail: 'the destination is taken' };
            fs.renameSync(at, inDir(to.dirFd, to.name));
          } finally {
            fs.closeSync(to.dirFd);
          }
          return { ok: true, entry: null };
        }
      }
    } finally {
      fs.closeSync(dirFd);
    }
  }

  /** The folder holding `path`, opened one component at a time; undefined when one is missing. */
  private openParent(path: SyncPath): { dirFd: number; name: Buffer } | undefined {
    const parts = path.split('/').map((p) => Buffer.from(p, 'latin1'));
    const name = parts.pop()!;
    let fd = fs.openSync(`/proc/self/fd/${this.rootFd}`, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    for (const part of parts) {
      const next = openChildDir(fd, part);
      fs.closeSync(fd);
      if (next === undefined) return undefined;
      fd = next;
    }
    return { dirFd: fd, name };
  }

  private stateDir(): number {
    return openChildDir(this.rootFd, SYNC_STATE_DIR, 0o700)!;
  }

  private stageDir(): number {
    const state = this.stateDir();
    try {
      return openChildDir(state, 'stage', 0o700)!;
    } finally {
      fs.closeSync(state);
    }
  }
}

function hashIn(dirFd: number, name: Buffer): { hex: string; size: number } | undefined {
  const opened = openFileIn(dirFd, name);
  if (!opened) return undefined;
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    let size = 0;
    for (;;) {
      const n = fs.readSync(opened.fd, buffer, 0, READ_BYTES, size);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
      size += n;
    }
    return { hex: hash.digest('hex'), size };
  } finally {
    fs.closeSync(opened.fd);
  }
}
