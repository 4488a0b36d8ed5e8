import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LABEL } from '../src/runtime/labels.js';
import { hardenedSpec } from '../src/runtime/hardened-spec.js';
import { makeTempDir } from './helpers/test-hub.js';
import { openTestSessions } from './helpers/test-sessions.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A berth process killed with SIGKILL in the middle of `session start`. */
async function killMidStart(home: string, project: string, when: RegExp): Promise<void> {
  const script = `
    import { openTestSessions } from './test/helpers/test-sessions.ts';
    const { sessions } = openTestSessions(${JSON.stringify(home)});
    await sessions.start({ path: ${JSON.stringify(project)}, runtime: 'runc', image: 'berth-test/busybox',
      onProgress: (line) => process.stdout.write(line + '\\n') });
    process.stdout.write('STARTED\\n');
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (c: Buffer) => {
      seen += c.toString();
      if (seen.includes('STARTED')) reject(new Error('the start finished before it could be killed'));
      if (when.test(seen)) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.once('exit', () => resolve());
  });
  await new Promise((r) => child.once('close', r));
}

describe('an interrupted session start', () => {
  it.each([
    ['during the copy', /copying the project folder/],
    ['after the container was made', /starting the sandbox container/],
  ])('killed %s: the next command removes its sandbox and container and marks it failed', async (_, when) => {
    const dir = makeTempDir();
    const home = join(dir, 'home');
    const project = join(dir, 'project');
    for (let d = 0; d < 20; d++) {
      mkdirSync(join(project, `d${d}`), { recursive: true });
      for (let f = 0; f < 200; f++) writeFileSync(join(project, `d${d}`, `f${f}`), `${d}.${f}\n`);
    }
    try {
      await killMidStart(home, project, when);
      const { sessions, store, runtime } = openTestSessions(home);
      try {
        const [left] = sessions.list();
        expect(left?.state).toBe('starting');
        expect(existsSync(join(home, 'sessions', left!.id))).toBe(true);
        expect(await sessions.recover()).toEqual([left!.id]);
        expect(sessions.get(left!.id).state).toBe('failed');
        expect(existsSync(join(home, 'sessions', left!.id))).toBe(false);
        // the killed process's create may still be in the engine: it lands after this recover ran,
        // and the next recover removes it (the session has ended by then)
        await expect
          .poll(
            async () => {
              await sessions.recover();
              return (await runtime.containers.list({ [LABEL.session]: left!.id })).length;
            },
            { timeout: 20_000, interval: 500 },
          )
          .toBe(0);
        // and a live start is never touched: recover() again finds nothing
        expect(await sessions.recover()).toEqual([]);
        // a container the engine made for it after all (its create outlived the kill) goes too
        const late = await runtime.containers.create(
          hardenedSpec({
            name: `berth-late-${left!.id}`,
            image: 'berth-test/busybox',
            cmd: ['sleep', '60'],
            labels: { [LABEL.session]: left!.id, [LABEL.role]: 'session' },
            init: false,
            limits: { cpus: 0.1, memoryBytes: 64 * 1024 * 1024, pids: 16 },
          }),
        );
        await sessions.recover();
        expect(await runtime.containers.inspect(late)).toBeUndefined();
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
