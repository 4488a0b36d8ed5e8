import { readFileSync } from 'node:fs';
import { mustRun } from './child.js';

/**
 * Reads the CPU time the container's cgroup has used so far, in ms, from the host's cgroup files
 * (v1 `cpuacct.usage`, v2 `cpu.stat`): exact over any window, unlike `docker stats`' momentary
 * percentage. The cgroup is found once; each call reads one file. Needs the engine on this
 * machine (the bench's engine is).
 */
export async function containerCpuReader(containerId: string): Promise<() => number> {
  const path = await cgroupOf(containerId);
  if (path.v2) {
    const file = `/sys/fs/cgroup${path.v2}/cpu.stat`;
    return () => {
      const usec = /^usage_usec (\d+)$/m.exec(readFileSync(file, 'utf8'))?.[1];
      if (usec === undefined) throw new Error(`no usage_usec in the cgroup of ${containerId}`);
      return Number(usec) / 1000;
    };
  }
  const file = `/sys/fs/cgroup/cpuacct${path.v1}/cpuacct.usage`;
  return () => Number(readFileSync(file, 'utf8').trim()) / 1e6;
}

async function cgroupOf(containerId: string): Promise<{ v1?: string; v2?: string }> {
  const pid = (await mustRun('docker', ['inspect', '-f', '{{.State.Pid}}', containerId])).stdout.trim();
  let lines: string[];
  try {
    lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  } catch (err) {
    throw new Error(
      `cannot read the cgroup of container ${containerId.slice(0, 12)} (pid ${pid}) from this host: ${String(err)}`,
      { cause: err },
    );
  }
  for (const line of lines) {
    const [, controllers, path] = line.split(':');
    if (controllers?.split(',').includes('cpuacct')) return { v1: path! };
  }
  const unified = lines.find((l) => l.startsWith('0::'));
  if (unified) return { v2: unified.slice(3) };
  throw new Error(`no cpu accounting cgroup for container ${containerId.slice(0, 12)}`);
}

/** `docker stats --no-stream`'s MEM USAGE of a container, in MB (10^6 bytes). */
export async function containerMemoryMB(containerId: string): Promise<number> {
  const out = (await mustRun('docker', ['stats', '--no-stream', '--format', '{{.MemUsage}}', containerId]))
    .stdout;
  const match = /^\s*([\d.]+)\s*([KMG]i?B|B)\s*\//.exec(out);
  if (!match)
    throw new Error(`cannot read docker stats' memory of ${containerId.slice(0, 12)}: "${out.trim()}"`);
  const scale: Record<string, number> = {
    B: 1,
    KiB: 1024,
    MiB: 1024 ** 2,
    GiB: 1024 ** 3,
    KB: 1e3,
    MB: 1e6,
    GB: 1e9,
  };
  return (Number(match[1]) * scale[match[2]!]!) / 1e6;
}

/** Each process in the container (`docker top`): its command line and RSS in MB. */
export async function containerProcesses(containerId: string): Promise<{ args: string; rssMB: number }[]> {
  const out = (await mustRun('docker', ['top', containerId, '-o', 'pid,rss,args'])).stdout;
  return out
    .split('\n')
    .slice(1)
    .filter((l) => l.trim())
    .map((l) => {
      const [, rss, args] = /^\s*\d+\s+(\d+)\s+(.*)$/.exec(l) ?? [];
      return { args: args ?? l, rssMB: (Number(rss) * 1024) / 1e6 };
    });
}
