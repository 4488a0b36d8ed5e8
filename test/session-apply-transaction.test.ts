import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBerthError } from '../src/errors.js';
import { recoverApplies } from '../src/sessions/apply-journal.js';
import { makeGitProject } from './helpers/git-project.js';
import { makeTempDir } from './helpers/test-hub.js';
import { openTestSessions, type TestSessions } from './helpers/test-sessions.js';

const IMAGE = 'berth-test/busybox';

interface Fixture extends TestSessions {
  dir: string;
  home: string;
  host: string;
}

async function withProject(fn: (f: Fixture) => Promise<void>, setup?: (host: string) => void): Promise<void> {
  const dir = makeTempDir();
  const host = join(dir, 'project');
  const home = join(dir, 'home');
  fs.mkdirSync(host);
  makeGitProject(host);
  setup?.(host);
  const opened = openTestSessions(home);
  try {
    await fn({ ...opened, dir, home, host });
  } finally {
    for (const s of opened.sessions.list())
      if (s.state === 'running') await opened.sessions.discard(s.id).catch(() => undefined);
    opened.store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Every `.berth-` temp or aside left anywhere in the folder (bytes-safe walk of a test tree). */
function leftovers(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: Buffer) => {
    for (const ent of fs.readdirSync(dir, { withFileTypes: true, encoding: 'buffer' })) {
      const path = Buffer.concat([dir, Buffer.from('/'), ent.name]);
      if (/^\.berth-.*\.(tmp|aside)$/.test(ent.name.toString('latin1'))) out.push(path.toString('latin1'));
      if (ent.isDirectory()) walk(path);
    }
  };
  walk(Buffer.from(root));
  return out;
}

async function sh(f: Fixture, id: string, script: string): Promise<void> {
  const r = await f.sessions.exec(id, ['/bin/sh', '-c', script]);
  expect(r.exitCode, r.stderr).toBe(0);
}

describe.each(['runc', 'runsc'] as const)('session apply as a transaction on %s', (runtime) => {
  const start = (f: Fixture) => f.sessions.start({ path: f.host, runtime, image: IMAGE });

  it('three concurrent applies of different sessions on one project: nothing is lost', async () => {
    await withProject(async (f) => {
      const [a, b, c] = [await start(f), await start(f), await start(f)];
      await sh(f, a.id, 'echo A > a.txt && echo A >> src/app.txt');
      await sh(f, b.id, 'echo B > b.txt');
      await sh(f, c.id, 'echo C > c.txt && echo C >> src/app.txt');
      const reports = await Promise.all([a, b, c].map((s) => f.sessions.apply(s.id)));
      expect(fs.readFileSync(join(f.host, 'a.txt'), 'utf8')).toBe('A\n');
      expect(fs.readFileSync(join(f.host, 'b.txt'), 'utf8')).toBe('B\n');
      expect(fs.readFileSync(join(f.host, 'c.txt'), 'utf8')).toBe('C\n');
      // src/app.txt: one session's version in place, the other's beside it as a conflict
      const app = fs.readFileSync(join(f.host, 'src', 'app.txt'), 'utf8');
      const conflicted = reports.flatMap((r) => r.conflicts);
      expect(conflicted).toHaveLength(1);
      const loser = conflicted[0]!.sessionCopy!;
      const other = fs.readFileSync(join(f.host, loser), 'utf8');
      expect([app, other].sort()).toEqual([
        'line one\nuncommitted line\nA\n',
        'line one\nuncommitted line\nC\n',
      ]);
      expect(leftovers(f.host)).toEqual([]);
    });
  });

  it('a host edit made between plan and replace becomes a conflict with both versions kept', async () => {
    await withProject(async (f) => {
      const s = await start(f);
      await sh(f, s.id, 'echo session >> src/app.txt && echo fine > other.txt');
      const report = await f.sessions.apply(s.id, [], {
        beforeReplace: (path) => {
          if (path === 'src/app.txt')
            fs.writeFileSync(join(f.host, 'src', 'app.txt'), 'saved by the user mid-apply\n');
        },
      });
      expect(report.written).toEqual(['other.txt']);
      expect(report.conflicts.map((c) => c.path)).toEqual(['src/app.txt']);
      expect(fs.readFileSync(join(f.host, 'src', 'app.txt'), 'utf8')).toBe('saved by the user mid-apply\n');
      expect(fs.readFileSync(join(f.host, 'src', `app.txt.berth-session-${s.id}`), 'utf8')).toBe(
        'line one\nuncommitted line\nsession\n',
      );
      expect(leftovers(f.host)).toEqual([]);
    });
  });

  it('rm -rf ./* stops with MASS_DELETE; allowed, the files go to the trash and restore brings them back', async () => {
    await withProject(
      async (f) => {
        const s = await start(f);
        await sh(f, s.id, 'rm -rf ./*');
        const err = await f.sessions.apply(s.id).catch((e: unknown) => e);
        expect(isBerthError(err, 'MASS_DELETE')).toBe(true);
        expect(fs.readFileSync(join(f.host, 'many', 'f7.txt'), 'utf8')).toBe('file 7\n');
        expect(f.sessions.get(s.id).state).toBe('running');

        const report = await f.sessions.apply(s.id, [], { allowMassDelete: true });
        expect(report.deleted).toHaveLength(62);
        expect(fs.existsSync(join(f.host, 'many'))).toBe(false);
        expect(report.trash).toBe(report.applyId);
        const listed = await f.sessions.trash();
        expect(listed[0]!.entries).toHaveLength(62);

        const restored = await f.sessions.restore(report.trash!);
        expect(restored[0]!.restored).toHaveLength(62);
        for (let i = 0; i < 60; i++)
          expect(fs.readFileSync(join(f.host, 'many', `f${i}.txt`), 'utf8')).toBe(`file ${i}\n`);
        expect(fs.readFileSync(join(f.host, 'src', 'app.txt'), 'utf8')).toBe('line one\nuncommitted line\n');
        expect(await f.sessions.trash()).toEqual([]);
      },
      (host) => {
        fs.mkdirSync(join(host, 'many'));
        for (let i = 0; i < 60; i++) fs.writeFileSync(join(host, 'many', `f${i}.txt`), `file ${i}\n`);
      },
    );
  });

  it('--paths applies only those and keeps the session open; a second apply finishes it', async () => {
    await withProject(async (f) => {
      const s = await start(f);
      await sh(f, s.id, 'echo one > one.txt && mkdir -p sub && echo two > sub/two.txt');
      const first = await f.sessions.apply(s.id, ['sub']);
      expect(first.written).toEqual(['sub/two.txt']);
      expect(first.remaining).toEqual(['one.txt']);
      expect(fs.existsSync(join(f.host, 'one.txt'))).toBe(false);
      expect(f.sessions.get(s.id).state).toBe('running');
      const second = await f.sessions.apply(s.id);
      expect(second.written).toEqual(['one.txt']);
      expect(second.remaining).toEqual([]);
      expect(f.sessions.get(s.id).state).toBe('applied');
    });
  });

  it('reports a nested repository, creates empty folders and removes emptied ones', async () => {
    await withProject(
      async (f) => {
        const s = await start(f);
        await sh(f, s.id, 'mkdir -p empty/deeper && rm -r olddir');
        const nested = join(f.sessions.workspacePath(s.id), 'nested');
        fs.mkdirSync(nested);
        fs.writeFileSync(join(nested, 'inside.txt'), 'nested\n');
        const git = (...args: string[]) =>
          execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
            cwd: nested,
            stdio: 'pipe',
          });
        git('init', '-q');
        git('add', '-A');
        git('commit', '-q', '-m', 'nested');
        await f.sessions.commitStep(s.id, 'a nested repository');
        const report = await f.sessions.apply(s.id);
        expect(report.skipped.map((x) => x.path)).toEqual(['nested']);
        expect(report.skipped[0]!.why).toMatch(/nested git repository/);
        expect(report.folders.created).toEqual(['empty/deeper']);
        expect(fs.statSync(join(f.host, 'empty', 'deeper')).isDirectory()).toBe(true);
        expect(report.folders.removed).toEqual(['olddir']);
        expect(fs.existsSync(join(f.host, 'olddir'))).toBe(false);
        expect(fs.existsSync(join(f.host, 'nested'))).toBe(false);
      },
      (host) => {
        fs.mkdirSync(join(host, 'olddir'));
        fs.writeFileSync(join(host, 'olddir', 'x.txt'), 'x\n');
      },
    );
  });

  it('keeps host modes, applies the session mode changes, and new files keep their mode', async () => {
    await withProject(
      async (f) => {
        const s = await start(f);
        await sh(
          f,
          s.id,
          'echo more >> secret.txt && chmod 600 shared.txt && chmod +x run.sh && echo new > fresh.txt && chmod 600 fresh.txt',
        );
        const report = await f.sessions.apply(s.id);
        expect(report.written.sort()).toEqual(['fresh.txt', 'run.sh', 'secret.txt', 'shared.txt']);
        const mode = (name: string) => fs.statSync(join(f.host, name)).mode & 0o777;
        expect(mode('secret.txt')).toBe(0o700);
        expect(fs.readFileSync(join(f.host, 'secret.txt'), 'utf8')).toBe('s\nmore\n');
        expect(mode('shared.txt')).toBe(0o600);
        expect(mode('run.sh')).toBe(0o755);
        expect(mode('fresh.txt')).toBe(0o600);
      },
      (host) => {
        fs.writeFileSync(join(host, 'secret.txt'), 's\n', { mode: 0o700 });
        fs.chmodSync(join(host, 'secret.txt'), 0o700);
        fs.writeFileSync(join(host, 'shared.txt'), 'shared\n');
        fs.chmodSync(join(host, 'shared.txt'), 0o644);
        fs.writeFileSync(join(host, 'run.sh'), 'echo hi\n');
        fs.chmodSync(join(host, 'run.sh'), 0o644);
      },
    );
  });

  it('a name with byte \\xff round-trips exactly', async () => {
    const odd = Buffer.from([0x63, 0x61, 0x66, 0xff, 0x2e, 0x74, 0x78, 0x74]); // caf\xff.txt
    await withProject(
      async (f) => {
        const s = await start(f);
        await sh(
          f,
          s.id,
          `for x in caf*.txt; do echo more >> "$x"; done && printf 'new\\n' > "$(printf 'n\\376.txt')"`,
        );
        const report = await f.sessions.apply(s.id);
        expect(report.written.sort()).toEqual(['caf\\xff.txt', 'n\\xfe.txt']);
        const names = fs.readdirSync(f.host, { encoding: 'buffer' }).map((n) => n.toString('hex'));
        expect(names).toContain(odd.toString('hex'));
        expect(names).toContain(Buffer.from([0x6e, 0xfe, 0x2e, 0x74, 0x78, 0x74]).toString('hex'));
        const hostOdd = Buffer.concat([Buffer.from(`${f.host}/`), odd]);
        expect(fs.readFileSync(hostOdd, 'utf8')).toBe('odd\nmore\n');
        expect(names.filter((n) => n.startsWith('636166'))).toHaveLength(1);
      },
      (host) => fs.writeFileSync(Buffer.concat([Buffer.from(`${host}/`), odd]), 'odd\n'),
    );
  });

  it('a FIFO at a changed path, a 300 MiB file and file↔folder changes never block the rest', async () => {
    await withProject(
      async (f) => {
        const s = await start(f);
        await sh(
          f,
          s.id,
          [
            'echo session >> fifo-here.txt',
            'truncate -s 300M big.bin',
            'rm thing && mkdir thing && echo in > thing/inner.txt',
            'rm -r folder && echo now-a-file > folder',
            'echo ok > ok.txt',
          ].join(' && '),
        );
        fs.rmSync(join(f.host, 'fifo-here.txt'));
        execFileSync('mkfifo', [join(f.host, 'fifo-here.txt')]);
        const rssBefore = process.memoryUsage().rss;
        const report = await f.sessions.apply(s.id);
        expect(process.memoryUsage().rss - rssBefore).toBeLessThan(150 * 1024 * 1024);
        expect(report.written.sort()).toEqual(['big.bin', 'folder', 'ok.txt', 'thing/inner.txt']);
        expect(report.conflicts.map((c) => c.path)).toEqual(['fifo-here.txt']);
        expect(fs.lstatSync(join(f.host, 'fifo-here.txt')).isFIFO()).toBe(true);
        expect(fs.statSync(join(f.host, 'big.bin')).size).toBe(300 * 1024 * 1024);
        expect(fs.readFileSync(join(f.host, 'thing', 'inner.txt'), 'utf8')).toBe('in\n');
        expect(fs.readFileSync(join(f.host, 'folder'), 'utf8')).toBe('now-a-file\n');
        expect(leftovers(f.host)).toEqual([]);
      },
      (host) => {
        fs.writeFileSync(join(host, 'fifo-here.txt'), 'before\n');
        fs.writeFileSync(join(host, 'thing'), 'a file\n');
        fs.mkdirSync(join(host, 'folder'));
        fs.writeFileSync(join(host, 'folder', 'x.txt'), 'x\n');
      },
    );
  }, 120_000);

  it('an apply killed midway leaves no .berth- file once recovered, and a second apply finishes it', async () => {
    await withProject(async (f) => {
      const s = await start(f);
      await sh(f, s.id, 'for i in 1 2 3 4 5 6; do echo "v$i" > f$i.txt; done && echo changed >> src/app.txt');
      await f.sessions.commitStep(s.id, 'files');
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join('test', 'helpers', 'apply-child.ts'), f.home, s.id, '4'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
        child.once('exit', (_c, sig) => resolve(sig)),
      );
      expect(signal, stderr).toBe('SIGKILL');
      expect(leftovers(f.host).length).toBeGreaterThan(0);
      const recovery = await recoverApplies(f.home);
      expect(recovery.recovered).toHaveLength(1);
      expect(leftovers(f.host)).toEqual([]);
      expect(fs.readdirSync(join(f.home, 'journals'))).toEqual([]);
      expect(f.sessions.get(s.id).state).toBe('running');
      const report = await f.sessions.apply(s.id);
      for (let i = 1; i <= 6; i++) expect(fs.readFileSync(join(f.host, `f${i}.txt`), 'utf8')).toBe(`v${i}\n`);
      expect(fs.readFileSync(join(f.host, 'src', 'app.txt'), 'utf8')).toBe(
        'line one\nuncommitted line\nchanged\n',
      );
      expect(report.conflicts).toEqual([]);
      expect(f.sessions.get(s.id).state).toBe('applied');
    });
  }, 60_000);

  it('writes nothing under .git through an in-project link (docs -> .git)', async () => {
    await withProject(
      async (f) => {
        const s = await start(f);
        await sh(
          f,
          s.id,
          'mkdir -p docs/hooks && echo "touch /tmp/pwned" > docs/hooks/post-checkout && echo x > y.txt',
        );
        // meanwhile the project container swaps docs for a link into the repository
        fs.rmSync(join(f.host, 'docs'), { recursive: true });
        fs.symlinkSync('.git', join(f.host, 'docs'));
        const report = await f.sessions.apply(s.id);
        expect(report.written).toEqual(['y.txt']);
        expect(report.conflicts.map((c) => c.path)).toEqual(['docs/hooks/post-checkout']);
        expect(fs.existsSync(join(f.host, '.git', 'hooks', 'post-checkout'))).toBe(false);
        expect(fs.readlinkSync(join(f.host, 'docs'))).toBe('.git');
      },
      (host) => {
        fs.mkdirSync(join(host, 'docs'));
        fs.writeFileSync(join(host, 'docs', 'readme.md'), '# docs\n');
      },
    );
  });
});
