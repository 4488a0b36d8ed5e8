import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBerthError } from '../src/errors.js';
import { LocalReplica } from '../src/workspace/sync-tree/local-replica.js';
import {
  AGENT_MAGIC,
  CLIENT_MAGIC,
  encodeFrame,
  FrameDecoder,
  FrameError,
  handshake,
  MAX_FRAME_BYTES,
} from '../src/sync/protocol/frames.js';
import { handDrivenAgent, pipedAgent } from './helpers/sync-agent-pipe.js';

const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Engine-free: the sync agent's framing, and what the client refuses from an agent. */
describe('sync frames', () => {
  it('decode across every cut of the stream, handshake included', () => {
    const stream = Buffer.concat([
      handshake(AGENT_MAGIC),
      encodeFrame({ t: 'a', id: 1 }),
      encodeFrame({ t: 'chunk', id: 2 }, Buffer.from('hello')),
    ]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder(AGENT_MAGIC, 'the agent');
      const frames = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(frames.map((f) => [f.header, f.body.toString()])).toEqual([
        [{ t: 'a', id: 1 }, ''],
        [{ t: 'chunk', id: 2 }, 'hello'],
      ]);
    }
  });

  it('refuse stray output, the other direction, another version, a huge frame, a header that is not JSON', () => {
    const refused = (bytes: Buffer, message: RegExp) => {
      const d = new FrameDecoder(AGENT_MAGIC, 'the agent');
      expect(() => d.push(bytes)).toThrow(message);
      // a broken stream stays broken
      expect(() => d.push(encodeFrame({ t: 'x', id: 1 }))).toThrow(FrameError);
    };
    refused(
      Buffer.from('OCI runtime exec failed: exec: "node": not found'),
      /did not start with the sync handshake/,
    );
    refused(handshake(CLIENT_MAGIC), /did not start with the sync handshake/);
    const v2 = handshake(AGENT_MAGIC);
    v2.writeUInt32BE(2, 8);
    refused(v2, /version 2, this side speaks 1/);
    const huge = Buffer.alloc(8);
    huge.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
    refused(Buffer.concat([handshake(AGENT_MAGIC), huge]), /sent a frame of \d+ bytes/);
    const bad = Buffer.from('not json');
    const prefix = Buffer.alloc(8);
    prefix.writeUInt32BE(4 + bad.length, 0);
    prefix.writeUInt32BE(bad.length, 4);
    refused(Buffer.concat([handshake(AGENT_MAGIC), prefix, bad]), /not JSON/);
  });

  it('refuse to encode over the caps', () => {
    expect(() => encodeFrame({ t: 'x', pad: 'y'.repeat(1024 * 1024) })).toThrow(/header/);
    expect(() => encodeFrame({ t: 'x' }, Buffer.alloc(MAX_FRAME_BYTES))).toThrow(/over the cap/);
  });
});

describe('RemoteReplica refuses what a hostile agent says', () => {
  const rejectsWith = async (promise: Promise<unknown>, code: string, message?: RegExp) => {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isBerthError(err), String(err)).toBe(true);
    expect((err as { code: string }).code).toBe(code);
    if (message) expect((err as Error).message).toMatch(message);
  };

  it('a malformed frame fails every pending call with PROTOCOL_ERROR and closes the stream', async () => {
    const agent = handDrivenAgent();
    agent.handshake();
    const identity = agent.replica.identity();
    const scan = agent.replica.scan({ ignore: [] });
    const prefix = Buffer.alloc(8);
    prefix.writeUInt32BE(4 + 3, 0);
    prefix.writeUInt32BE(3, 4);
    agent.agentSays(Buffer.concat([prefix, Buffer.from('{{{')]));
    await rejectsWith(identity, 'PROTOCOL_ERROR', /not JSON/);
    await rejectsWith(scan, 'PROTOCOL_ERROR');
    expect(agent.closed).toBe(true);
    expect(agent.closeError?.code).toBe('PROTOCOL_ERROR');
    await rejectsWith(agent.replica.identity(), 'PROTOCOL_ERROR');
  });

  it('bad entries, paths, digests, parents and answers to nothing are each a violation', async () => {
    const cases: [string, object][] = [
      [
        'a bad digest',
        {
          entries: [
            ['', { kind: 'dir', mode: 0o755 }],
            ['a', { kind: 'file', mode: 0o644, size: 1, digest: 'ABC' }],
          ],
          problems: [],
        },
      ],
      [
        'a `..` path',
        {
          entries: [
            ['', { kind: 'dir', mode: 0o755 }],
            ['..', { kind: 'dir', mode: 0o755 }],
          ],
          problems: [],
        },
      ],
      [
        'an absolute path',
        {
          entries: [
            ['', { kind: 'dir', mode: 0o755 }],
            ['/etc', { kind: 'dir', mode: 0o755 }],
          ],
          problems: [],
        },
      ],
      [
        'a NUL in a path',
        {
          entries: [
            ['', { kind: 'dir', mode: 0o755 }],
            ['a\0b', { kind: 'dir', mode: 0o755 }],
          ],
          problems: [],
        },
      ],
      ['a mode with setuid', { entries: [['', { kind: 'dir', mode: 0o4755 }]], problems: [] }],
      [
        'a negative size',
        {
          entries: [
            ['', { kind: 'dir', mode: 0o755 }],
            ['a', { kind: 'file', mode: 0o644, size: -1, digest: sha('') }],
          ],
          problems: [],
        },
      ],
      [
        'an orphan entry',
        {
          entries: [
            ['', { kind: 'dir', mode: 0o755 }],
            ['x/y', { kind: 'dir', mode: 0o755 }],
          ],
          problems: [],
        },
      ],
      ['an unknown kind', { entries: [['', { kind: 'fifo' }]], problems: [] }],
    ];
    for (const [what, part] of cases) {
      const agent = handDrivenAgent();
      agent.handshake();
      const scan = agent.replica.scan({ ignore: [] });
      agent.frame({ t: 'scan-part', id: 1 }, Buffer.from(JSON.stringify(part)));
      agent.frame({ t: 'scan-end', id: 1, root: 'dir' });
      await rejectsWith(scan, 'PROTOCOL_ERROR').catch((err: unknown) => {
        throw new Error(`${what}: ${String(err)}`);
      });
      expect(agent.closed, what).toBe(true);
    }
    const agent = handDrivenAgent();
    agent.handshake();
    const identity = agent.replica.identity();
    agent.frame({ t: 'done', id: 99 });
    await rejectsWith(identity, 'PROTOCOL_ERROR', /to no request/);
  });

  it('a scan sent as changes must name the scan this side holds, and remove only its paths', async () => {
    const root = {
      entries: [
        ['', { kind: 'dir', mode: 0o755 }],
        ['a', { kind: 'dir', mode: 0o755 }],
      ],
      problems: [],
    };
    // no full scan yet: any base, or a removal, is a violation
    for (const [what, header, part] of [
      ['a base never held', { base: 'abc' }, { entries: [], problems: [] }],
      ['removed paths in a whole scan', {}, { ...root, removed: ['a'] }],
    ] as [string, object, object][]) {
      const agent = handDrivenAgent();
      agent.handshake();
      const scan = agent.replica.scan({ ignore: [] });
      agent.frame({ t: 'scan-part', id: 1, ...header }, Buffer.from(JSON.stringify(part)));
      agent.frame({ t: 'scan-end', id: 1, root: 'dir', token: 'aa' });
      await rejectsWith(scan, 'PROTOCOL_ERROR').catch((err: unknown) => {
        throw new Error(`${what}: ${String(err)}`);
      });
    }
    const changes: [string, object][] = [
      ['a removed path the base lacks', { entries: [], problems: [], removed: ['b'] }],
      ['a path removed twice', { entries: [], problems: [], removed: ['a', 'a'] }],
      [
        'a path both changed and removed',
        { entries: [['a', { kind: 'dir', mode: 0o700 }]], problems: [], removed: ['a'] },
      ],
      ['the root removed', { entries: [], problems: [], removed: [''] }],
      [
        'a folder removed under its entries',
        { entries: [['a/x', { kind: 'dir', mode: 0o755 }]], problems: [], removed: ['a'] },
      ],
    ];
    for (const [what, part] of changes) {
      const agent = handDrivenAgent();
      agent.handshake();
      const first = agent.replica.scan({ ignore: [] });
      agent.frame({ t: 'scan-part', id: 1 }, Buffer.from(JSON.stringify(root)));
      agent.frame({ t: 'scan-end', id: 1, root: 'dir', token: 'aa' });
      expect([...(await first).entries.keys()]).toEqual(['', 'a']);
      const second = agent.replica.scan({ ignore: [] });
      const asked = JSON.parse(
        agent.sent
          .at(-1)!
          .subarray(8 + agent.sent.at(-1)!.readUInt32BE(4))
          .toString(),
      ) as { since?: string };
      expect(asked.since).toBe('aa');
      agent.frame({ t: 'scan-part', id: 2, base: 'aa' }, Buffer.from(JSON.stringify(part)));
      agent.frame({ t: 'scan-end', id: 2, root: 'dir', token: 'bb', base: 'aa' });
      await rejectsWith(second, 'PROTOCOL_ERROR').catch((err: unknown) => {
        throw new Error(`${what}: ${String(err)}`);
      });
    }
  });

  it('a read refuses content it did not ask for and more bytes than a file has', async () => {
    const digest = sha('abc');
    const collect = async (iterable: AsyncIterable<unknown>) => {
      const out = [];
      for await (const c of iterable) out.push(c);
      return out;
    };
    const agent = handDrivenAgent();
    agent.handshake();
    const read = collect(agent.replica.read([{ path: 'a', digest, size: 3 }]));
    await new Promise((r) => setImmediate(r));
    agent.frame({ t: 'chunk', id: 1, digest, last: false }, Buffer.from('abcd'));
    await rejectsWith(read, 'PROTOCOL_ERROR', /more bytes/);

    const other = handDrivenAgent();
    other.handshake();
    const read2 = collect(other.replica.read([{ path: 'a', digest, size: 3 }]));
    await new Promise((r) => setImmediate(r));
    other.frame({ t: 'chunk', id: 1, digest: sha('x'), last: true }, Buffer.from('x'));
    await rejectsWith(read2, 'PROTOCOL_ERROR', /did not ask for/);
  });

  it('a stream that ends fails pending calls with SYNC_AGENT_GONE and what the agent said', async () => {
    const agent = handDrivenAgent();
    agent.handshake();
    const identity = agent.replica.identity();
    agent.stderr('berth sync agent: out of disk\n');
    agent.lost();
    await rejectsWith(identity, 'SYNC_AGENT_GONE', /out of disk/);
    expect(agent.closeError?.code).toBe('SYNC_AGENT_GONE');
  });
});

describe('the agent server and RemoteReplica over in-process pipes', () => {
  it('a second full scan crosses as its changes and comes out equal to a whole one', async () => {
    const root = mkdtempSync(join(tmpdir(), 'berth-test-sync-'));
    for (let i = 0; i < 30; i++) writeFileSync(join(root, `f${i}`), `file ${i}\n`);
    const local = new LocalReplica({ root, side: 'container' });
    const { replica, received } = pipedAgent(new LocalReplica({ root, side: 'container' }));
    const sizes: number[] = [];
    const measured = async (options: { ignore: string[]; paths?: string[] }) => {
      const before = received();
      const scan = await replica.scan(options);
      sizes.push(received() - before);
      return scan;
    };
    const whole = await measured({ ignore: [] });
    expect(whole.entries.size).toBe(31);
    writeFileSync(join(root, 'f3'), 'changed\n');
    rmSync(join(root, 'f4'));
    mkdirSync(join(root, 'd'));
    symlinkSync('f1', join(root, 'd/link'));
    const changed = await measured({ ignore: [] });
    expect(changed).toEqual(await local.scan({ ignore: [] }));
    // 31 entries the first time, 4 changed and 1 removed the second
    expect(sizes[1]!).toBeLessThan(sizes[0]! / 3);
    // a scoped scan in between neither uses nor moves the base
    const scoped = await replica.scan({ ignore: [], paths: ['d'] });
    expect([...scoped.entries.keys()].sort()).toContain('d/link');
    rmSync(join(root, 'd'), { recursive: true });
    expect(await replica.scan({ ignore: [] })).toEqual(await local.scan({ ignore: [] }));
    // the earlier result was not changed under its holder
    expect(changed.entries.has('d/link')).toBe(true);
    await replica.close();
  });

  it('stage, apply, scan, read and watch round-trip a small tree', async () => {
    const root = mkdtempSync(join(tmpdir(), 'berth-test-sync-'));
    const { replica } = pipedAgent(new LocalReplica({ root, side: 'container' }));
    const id = await replica.identity();
    expect(id.marker).toMatch(/^[0-9a-f-]{32,36}$/);
    const files = Array.from({ length: 50 }, (_, i) => ({
      path: `d/f${i}`,
      data: Buffer.from(`file ${i}\n`),
    }));
    async function* chunks() {
      for (const f of files) yield { digest: sha(f.data), data: f.data, last: true };
    }
    const staged = await replica.stage(chunks());
    expect(staged.failed).toEqual([]);
    expect(staged.staged).toHaveLength(50);
    const results = await replica.apply([
      { op: 'mkdir', path: 'd', expect: null, mode: 0o755 },
      ...files.map((f) => ({
        op: 'put' as const,
        path: f.path,
        expect: null,
        entry: { kind: 'file' as const, mode: 0o644, size: f.data.length, digest: sha(f.data) },
      })),
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(readFileSync(join(root, 'd/f7'), 'utf8')).toBe('file 7\n');
    const scan = await replica.scan({ ignore: ['f1*'] });
    expect(scan.root).toBe('dir');
    expect(scan.entries.get('d/f7')).toMatchObject({ kind: 'file', digest: sha('file 7\n') });
    expect(scan.entries.has('d/f12')).toBe(false);
    const back: Buffer[] = [];
    for await (const c of replica.read([{ path: 'd/f3', digest: sha('file 3\n'), size: 7 }]))
      back.push(c.data);
    expect(Buffer.concat(back).toString()).toBe('file 3\n');
    const hints: unknown[] = [];
    const stop = await replica.watch((h) => hints.push(h));
    writeFileSync(join(root, 'd/new'), 'x');
    await expect.poll(() => JSON.stringify(hints), { timeout: 10_000 }).toContain('d/new');
    stop();
    await replica.close();
  });
});
