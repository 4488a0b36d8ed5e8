import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cliFixture } from './helpers/cli-fixture.js';

const BIN = fileURLToPath(new URL('../bin/berth.js', import.meta.url));

/** `berth ops serve …` as a real process; resolves with its URL once it listens. */
function serve(dir: string, home: string, args: string[]) {
  const child = spawn(process.execPath, [BIN, 'ops', 'serve', ...args], {
    cwd: dir,
    env: { ...process.env, BERTH_HOME: home },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise<{ url: string; stop: () => Promise<void> }>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      const url = /side-car on (\S+)/.exec(err)?.[1];
      if (url)
        resolve({
          url,
          stop: async () => {
            child.kill('SIGTERM');
            await new Promise((r) => child.once('exit', r));
          },
        });
    });
    child.once('exit', (code) => reject(new Error(`ops serve exited ${code}: ${err}`)));
  });
}

describe('berth run through a real side-car', () => {
  it('over TCP with BERTH_OPS_URL and BERTH_OPS_TOKEN: streams both streams and passes the exit code', async () => {
    await using f = cliFixture('pass-fail');
    const token = 'cli-token-0123456789abcdef0123456789';
    const ops = await serve(f.dir, f.home, ['--listen', '127.0.0.1:0', '--token', token]);
    try {
      expect(ops.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const env = { BERTH_OPS_URL: ops.url, BERTH_OPS_TOKEN: token };
      const r = await f.run(
        ['run', '--target', 'project:good', '--', 'sh', '-c', 'echo out; echo err >&2; exit 5'],
        env,
      );
      expect(r).toMatchObject({ code: 5, stdout: 'out\n', stderr: 'err\n' });
      const timed = await f.run(
        ['run', '--target', 'project:good', '--timeout', '400', '--', 'sleep', '30'],
        env,
      );
      expect(timed.code).toBe(124);
      const wrong = await f.run(['run', '--target', 'project:good', '--', 'true'], {
        ...env,
        BERTH_OPS_TOKEN: 'nope',
      });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/^berth: the side-car refused \(401\)/);
      const noTarget = await f.run(['run', '--', 'true'], env);
      expect(noTarget.stderr).toBe('berth: give --target (one of project:good, project:bad, project:docs)\n');
    } finally {
      await ops.stop();
    }
  });

  it('over the default unix socket and stored token, with no settings at all', async () => {
    await using f = cliFixture('pass-fail');
    const ops = await serve(f.dir, f.home, []);
    try {
      expect(ops.url).toBe(`unix://${f.home}/ops.sock`);
      const r = await f.run(['run', '--target', 'project:bad', '--json', '--', 'sh', './check.sh']);
      expect(r.code).toBe(7);
      expect(JSON.parse(r.stdout)).toMatchObject({
        code: 7,
        stdout: 'checking bad\n',
        stderr: 'assertion failed: 2 != 3\n',
      });
    } finally {
      await ops.stop();
    }
    const gone = await f.run(['run', '--target', 'project:bad', '--', 'true']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/does not answer .*start it with `berth ops serve`/);
  });
});
