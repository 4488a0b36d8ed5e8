import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { mustRun, runCommand } from './child.js';
import { BENCH_IMAGE } from './fixture.js';

/** Every container and volume the sync part makes itself carries this label. */
export const SYNC_BENCH_LABEL = 'berth-bench=sync';
const DEBIAN_IMAGE = 'berth-test/debian:bookworm';
const RSYNC = '/usr/bin/rsync';
/** Where the host's rsync and its libraries go in the baseline's container. */
const RSYNC_DIR = '/opt/rsync';

/** A fresh labelled volume and a container of `image` that mounts it at /workspace. */
export interface VolumeBox {
  id: string;
  volume: string;
}

let boxes = 0;

export async function volumeBox(image: string): Promise<VolumeBox> {
  const name = `berth-test-bench-sync-${process.pid}-${++boxes}`;
  await mustRun('docker', ['volume', 'create', '--label', SYNC_BENCH_LABEL, name]);
  const run = await mustRun('docker', [
    'run',
    '-d',
    '--name',
    name,
    '--label',
    SYNC_BENCH_LABEL,
    '--network',
    'none',
    '-v',
    `${name}:/workspace`,
    image,
    'sleep',
    '86400',
  ]);
  return { id: run.stdout.trim(), volume: name };
}

/** A busybox container on a fresh volume, for `tar -x`. */
export function tarBox(): Promise<VolumeBox> {
  return volumeBox(BENCH_IMAGE);
}

/**
 * A Debian container on a fresh volume with the host's rsync in it: the images have none, so
 * the binary and the libraries ldd lists (but libc and the loader, which the image has) are
 * copied in with `docker cp`, behind a wrapper that sets LD_LIBRARY_PATH. `staging` is a host
 * folder for that copy, made once.
 */
export async function rsyncBox(staging: string): Promise<VolumeBox> {
  const dir = join(staging, 'rsync');
  if (!existsSync(join(dir, 'rsync'))) await stageRsync(dir);
  const box = await volumeBox(DEBIAN_IMAGE);
  await mustRun('docker', ['cp', `${dir}/.`, `${box.id}:${RSYNC_DIR}`]);
  return box;
}

async function stageRsync(dir: string): Promise<void> {
  if (!existsSync(RSYNC)) await mustRun('apt-get', ['install', '-y', '-q', 'rsync']);
  mkdirSync(join(dir, 'lib'), { recursive: true });
  const ldd = await mustRun('ldd', [RSYNC]);
  for (const match of ldd.stdout.matchAll(/=>\s+(\/\S+)/g)) {
    const lib = match[1]!;
    if (/\/(libc\.so|ld-linux)/.test(lib)) continue;
    copyFileSync(lib, join(dir, 'lib', basename(lib)));
  }
  copyFileSync(RSYNC, join(dir, 'rsync.bin'));
  writeFileSync(
    join(dir, 'rsync'),
    `#!/bin/sh\nLD_LIBRARY_PATH=${RSYNC_DIR}/lib exec ${RSYNC_DIR}/rsync.bin "$@"\n`,
    { mode: 0o755 },
  );
}

/** `tar -c -C <source> . | docker exec -i <box> tar -x -C /workspace`; its wall time in ms. */
export async function tarInto(source: string, box: VolumeBox): Promise<number> {
  const script = 'tar -c -C "$1" . | docker exec -i "$2" tar -x -C /workspace';
  return (await mustRun('sh', ['-c', script, 'sh', source, box.id])).ms;
}

/** `rsync -a -e 'docker exec -i' <source>/ <box>:/workspace/`; its wall time in ms. */
export async function rsyncInto(source: string, box: VolumeBox): Promise<number> {
  const args = [
    '-a',
    `--rsync-path=${RSYNC_DIR}/rsync`,
    '-e',
    'docker exec -i',
    `${source}/`,
    `${box.id}:/workspace/`,
  ];
  return (await mustRun('rsync', args)).ms;
}

/**
 * `sha256sum` of every file under /workspace in a container (but berth's own state folder),
 * sorted: what the host's list must equal for a copy to count.
 */
export async function containerDigests(containerId: string): Promise<string> {
  const script = 'cd /workspace && find . -path ./.berth-sync -prune -o -type f -exec sha256sum {} + | sort';
  return (await mustRun('docker', ['exec', containerId, 'sh', '-c', script])).stdout;
}

/** `sha256sum` of these files (relative to /workspace) in a container, in this order. */
export async function containerDigestsOf(containerId: string, paths: readonly string[]): Promise<string> {
  const input = paths.map((p) => `./${p}\n`).join('');
  const args = ['exec', '-i', containerId, 'sh', '-c', 'cd /workspace && xargs sha256sum'];
  return withInput('docker', args, input);
}

/** Runs a program with `input` on its stdin; its stdout, or an error with its stderr. */
function withInput(program: string, args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else
        reject(
          new Error(
            `\`${program} ${args.join(' ')}\` exited with ${code}: ${Buffer.concat(err).toString('utf8').trim()}`,
          ),
        );
    });
    child.stdin.end(input);
  });
}

/** Removes the containers and volumes labelled SYNC_BENCH_LABEL; logs through `onError`, never throws. */
export async function removeSyncBoxes(onError: (message: string) => void): Promise<void> {
  const ps = await runCommand('docker', ['ps', '-aq', '--filter', `label=${SYNC_BENCH_LABEL}`]);
  const ids = ps.stdout.split('\n').filter(Boolean);
  if (ids.length > 0) {
    const rm = await runCommand('docker', ['rm', '-f', '-v', ...ids]);
    if (rm.exitCode !== 0) onError(`could not remove containers ${ids.join(' ')}: ${rm.stderr.trim()}`);
  }
  const vols = await runCommand('docker', ['volume', 'ls', '-q', '--filter', `label=${SYNC_BENCH_LABEL}`]);
  const names = vols.stdout.split('\n').filter(Boolean);
  if (names.length > 0) {
    const rm = await runCommand('docker', ['volume', 'rm', ...names]);
    if (rm.exitCode !== 0) onError(`could not remove volumes ${names.join(' ')}: ${rm.stderr.trim()}`);
  }
}
