import { execFileSync, spawn } from 'node:child_process';
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { populateSandbox } from '../src/sessions/sandbox-copy.js';
import { chownTreeAt } from '../src/workspace/tree-chown.js';
import { makeTempDir } from './helpers/test-hub.js';

const docker = new Docker();
const SECRET = 'TOPSECRET-host-only';

/** Every regular file's bytes under `root`, never following a link (test-side only). */
function regularFileContents(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const st = lstatSync(path);
      if (st.isDirectory()) walk(path);
      else if (st.isFile()) out.push(readFileSync(path, 'utf8'));
    }
  };
  walk(root);
  return out;
}

/** Makes `project` a git repository with one commit (of everything in it, with `addAll`). */
function initRepo(project: string, options: { addAll: boolean }): void {
  execFileSync('git', ['init', '-q', project]);
  if (options.addAll) execFileSync('git', ['-C', project, 'add', '-A']);
  const who = ['-c', 'user.name=t', '-c', 'user.email=t@e'];
  execFileSync('git', ['-C', project, ...who, 'commit', '-q', '--allow-empty', '-m', 'x']);
}

/**
 * The project container is hostile and runs while the hub copies its folder: it swaps a folder
 * for a link to a host-only folder, again and again. The copy must never follow it, and never
 * crash: an entry that changes while it is copied is left out and reported.
 */
describe('a project container swapping folders for links while a session copies its folder', () => {
  let dir: string;
  let project: string;
  let racer: Docker.Container | undefined;

  beforeAll(async () => {
    dir = makeTempDir();
    project = join(dir, 'project');
    mkdirSync(join(dir, 'secret'), { recursive: true });
    writeFileSync(join(dir, 'secret', 'secret.txt'), SECRET);
    for (const sub of ['a', 'b', 'c']) {
      mkdirSync(join(project, sub), { recursive: true });
      for (let i = 0; i < 150; i++) writeFileSync(join(project, sub, `f${i}.txt`), `${sub}${i}\n`);
    }
    // a link whose text is a host path: inside the container it leads nowhere, on the host to the secret
    const loop = ['a', 'b', 'c']
      .map(
        (s) =>
          `mv /workspace/${s} /workspace/${s}.x; ln -s ${join(dir, 'secret')} /workspace/${s}; rm -f /workspace/${s}; mv /workspace/${s}.x /workspace/${s};`,
      )
      .join(' ');
    racer = await docker.createContainer({
      Image: 'berth-test/busybox',
      Cmd: ['/bin/sh', '-c', `while :; do ${loop} done`],
      Labels: { 'berth-test': 'race' },
      HostConfig: { Binds: [`${project}:/workspace`], NetworkMode: 'none' },
    });
    await racer.start();
  });

  afterAll(async () => {
    await racer?.remove({ force: true }).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('plain folder and git repository, 12 copies: no host-only byte arrives, no copy fails', async () => {
    let reportedChanges = 0;
    let copiedFiles = 0;
    for (let round = 0; round < 12; round++) {
      if (round === 6) {
        // the same with a git repository (its work tree goes through the same copy)
        initRepo(project, { addAll: false });
      }
      const sandbox = join(dir, `sandbox-${round}`);
      const lines: string[] = [];
      await populateSandbox(project, join(sandbox, 'git'), join(sandbox, 'workspace'), {
        includeIgnored: false,
        onProgress: (l) => lines.push(l),
      });
      const reported = lines.some((l) => l.includes('changed while being copied'));
      if (reported) reportedChanges++;
      const contents = regularFileContents(join(sandbox, 'workspace'));
      expect(contents.some((c) => c.includes(SECRET))).toBe(false);
      // a folder the racer had displaced when the copy opened it is left out, so a round can
      // leave out all three; but never silently
      if (!reported) expect(contents.length).toBeGreaterThan(0);
      copiedFiles += contents.length;
      rmSync(sandbox, { recursive: true, force: true });
    }
    // the racer really raced: at least one copy saw an entry change under it
    expect(reportedChanges).toBeGreaterThan(0);
    expect(copiedFiles).toBeGreaterThan(0);
  }, 180_000);
});

/**
 * Handing the sandbox to uid 1000 walks a tree that its container may still be changing. A
 * process swapping a folder for a link to root-owned host files, as fast as it can, must never
 * get those host files chowned.
 */
describe.skipIf(process.geteuid?.() !== 0)(
  'chown of a tree while a folder in it is swapped for a link',
  () => {
    it('400 passes with a racer: the root-owned files outside keep their owner', async () => {
      const dir = makeTempDir();
      const tree = join(dir, 'tree');
      const outside = join(dir, 'host-only');
      mkdirSync(join(tree, 'a', 'deep'), { recursive: true });
      for (let i = 0; i < 20; i++) writeFileSync(join(tree, 'a', 'deep', `f${i}`), 'x');
      mkdirSync(outside);
      for (let i = 0; i < 20; i++) writeFileSync(join(outside, `f${i}`), 'host');
      chownSync(outside, 0, 0);
      const swap = `cd ${tree}; while :; do mv a a.x; ln -s ${outside} a; rm -f a; mv a.x a; ln -s ${outside} a/deep/l 2>/dev/null; done`;
      const racer = spawn('/bin/sh', ['-c', swap], { stdio: 'ignore' });
      try {
        for (let pass = 0; pass < 400; pass++) {
          try {
            chownTreeAt(tree, 1000, 1000);
          } catch (err) {
            // a name that vanished mid-walk may end a pass; it must never reach outside
            expect((err as NodeJS.ErrnoException).code).toMatch(/ENOENT|ENOTDIR/);
          }
        }
      } finally {
        // the shell's last mv or ln may still be running when it dies: wait for it to be gone
        const exited = new Promise((r) => racer.once('close', r));
        racer.kill('SIGKILL');
        await exited;
      }
      expect(statSync(outside).uid).toBe(0);
      for (let i = 0; i < 20; i++) expect(statSync(join(outside, `f${i}`)).uid).toBe(0);
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    });
  },
);

describe('names that are not UTF-8', () => {
  it('arrive in the sandbox byte for byte, from a plain folder and from a git repository', async () => {
    const dir = makeTempDir();
    try {
      for (const kind of ['plain', 'git'] as const) {
        const project = join(dir, kind);
        mkdirSync(project);
        const odd = Buffer.concat([
          Buffer.from(`${project}/caf`),
          Buffer.from([0xff, 0xfe]),
          Buffer.from('.txt'),
        ]);
        writeFileSync(odd, 'latin bytes\n');
        if (kind === 'git') {
          initRepo(project, { addAll: true });
        }
        const sandbox = join(dir, `sandbox-${kind}`);
        await populateSandbox(project, join(sandbox, 'git'), join(sandbox, 'workspace'), {
          includeIgnored: false,
        });
        const names = readdirSync(join(sandbox, 'workspace'), { encoding: 'buffer' });
        expect(names.map((n) => n.toString('hex'))).toEqual([
          Buffer.from([0x63, 0x61, 0x66, 0xff, 0xfe, 0x2e, 0x74, 0x78, 0x74]).toString('hex'),
        ]);
        // and git in the session holds the same bytes
        const tree = execFileSync('git', [
          '--git-dir',
          join(sandbox, 'git'),
          'ls-tree',
          '-z',
          '--name-only',
          'HEAD',
        ]);
        expect(tree.subarray(0, tree.length - 1).toString('hex')).toBe(names[0]!.toString('hex'));
        expect(existsSync(join(sandbox, 'baseline.json'))).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('links planted in the project .git', () => {
  it('are not taken into the session repository (refs, objects, packs)', async () => {
    const dir = makeTempDir();
    try {
      const project = join(dir, 'project');
      const elsewhere = join(dir, 'other-repo');
      mkdirSync(project);
      execFileSync('git', ['init', '-q', elsewhere]);
      writeFileSync(join(project, 'a.txt'), 'a\n');
      initRepo(project, { addAll: true });
      const git = join(project, '.git');
      symlinkSync(join(elsewhere, '.git', 'objects'), join(git, 'objects', 'borrowed'));
      mkdirSync(join(git, 'objects', 'pack'), { recursive: true });
      symlinkSync(join(elsewhere, '.git', 'HEAD'), join(git, 'objects', 'pack', 'pack-evil.pack'));
      symlinkSync(join(elsewhere, '.git', 'HEAD'), join(git, 'refs', 'heads', 'evil'));
      const sandbox = join(dir, 'sandbox');
      await populateSandbox(project, join(sandbox, 'git'), join(sandbox, 'workspace'), {
        includeIgnored: false,
      });
      const links = execFileSync('find', [join(sandbox, 'git'), '-type', 'l']).toString();
      expect(links).toBe('');
      expect(readFileSync(join(sandbox, 'workspace', 'a.txt'), 'utf8')).toBe('a\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
