import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BerthError, describeError } from '../errors.js';
import type { ContainerRuntime, Labels, ProgressFn } from '../runtime/container-runtime.js';
import { removePathAsync } from '../workspace/path-ops.js';

/** Where the image holds node and the agent's entry. */
export const AGENT_NODE = '/berth/node';
export const AGENT_MAIN = '/berth/dist/sync/agent/main.js';
const IMAGE_NAME = 'berth-sync-agent';
/** The only package the agent may import besides node's own modules. */
const AGENT_PACKAGES: Record<string, string[]> = { ignore: ['package.json', 'index.js', 'LICENSE-MIT'] };

/** berth's package folder: this file sits two levels down, in src/sync or dist/sync. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Go's architecture names (the engine's) as node spells them (process.arch). */
const GO_TO_NODE_ARCH: Record<string, string> = {
  amd64: 'x64',
  arm64: 'arm64',
  arm: 'arm',
  '386': 'ia32',
  ppc64le: 'ppc64',
  s390x: 's390x',
  riscv64: 'riscv64',
};

export interface AgentImage {
  tag: string;
  id: string;
  /** False when an image with this tag was there already. */
  built: boolean;
}

/** One file of the image: where it comes from on the host, where it goes in the image. */
interface ImageFile {
  source: string;
  target: string;
}

/**
 * The side-car's image, built here from what this host already has: `FROM scratch`, this
 * process's own node executable with the shared libraries it loads, and berth's compiled agent
 * (its import closure, checked to need nothing but node's modules and `ignore`). No registry,
 * no shell, nothing else. The tag hashes node's version and the agent's files, so a changed
 * agent gets a new image and an unchanged one is built once.
 */
export async function ensureAgentImage(
  runtime: ContainerRuntime,
  options: { labels: Labels; onProgress?: ProgressFn },
): Promise<AgentImage> {
  await refuseForeignArch(runtime);
  const agentFiles = await agentCode();
  const tag = `${IMAGE_NAME}:${await agentHash(agentFiles)}`;
  const existing = await runtime.images.inspect(tag);
  if (existing) return { tag, id: existing.id, built: false };
  const files = [...agentFiles, { source: process.execPath, target: AGENT_NODE }, ...(await nodeLibraries())];
  const context = await fsp.mkdtemp(join(tmpdir(), 'berth-agent-image-'));
  try {
    const libraryDirs = [
      ...new Set(files.filter((f) => f.target.includes('.so')).map((f) => posix.dirname(f.target))),
    ];
    const dockerfile = [
      'FROM scratch',
      'COPY rootfs/ /',
      `ENV LD_LIBRARY_PATH=${libraryDirs.join(':')}`,
      `CMD ${JSON.stringify([AGENT_NODE, AGENT_MAIN, 'idle'])}`,
      '',
    ].join('\n');
    await fsp.writeFile(join(context, 'Dockerfile'), dockerfile);
    const listed = ['Dockerfile'];
    for (const file of files) {
      const inContext = posix.join('rootfs', file.target);
      await fsp.mkdir(join(context, dirname(inContext)), { recursive: true });
      // copies the bytes (a library's link is resolved), keeping the mode (node stays executable)
      await fsp.copyFile(file.source, join(context, inContext));
      listed.push(inContext);
    }
    await fsp.writeFile(join(context, 'rootfs/berth/package.json'), '{"type":"module"}\n');
    listed.push('rootfs/berth/package.json');
    const image = await runtime.images.build(
      { context, dockerfile: 'Dockerfile', tag, labels: options.labels, args: {}, files: listed },
      options.onProgress,
    );
    return { tag, id: image.id, built: true };
  } finally {
    await removePathAsync(context);
  }
}

/** The image carries this host's node: an engine on another architecture could not run it. */
async function refuseForeignArch(runtime: ContainerRuntime): Promise<void> {
  const engine = await runtime.ping();
  if (engine.arch === undefined) return;
  const engineArch = GO_TO_NODE_ARCH[engine.arch] ?? engine.arch;
  if (engineArch !== process.arch)
    throw new BerthError(
      'UNSUPPORTED',
      `the engine runs on ${engine.arch} but this host is ${process.arch}: berth's sync side-car is built from this host's own node executable, which cannot run there; run berth on a ${engine.arch} host to sync with this engine`,
      { engineArch: engine.arch, hostArch: process.arch },
    );
}

/** The compiled agent's import closure from its entry, plus the packages it may use. */
async function agentCode(): Promise<ImageFile[]> {
  const dist = resolve(PACKAGE_ROOT, 'dist');
  const entry = join(dist, 'sync/agent/main.js');
  try {
    await fsp.access(entry);
  } catch {
    throw new BerthError(
      'NOT_READY',
      `berth's compiled sync agent is missing (${entry}); run \`npm run build\` first`,
    );
  }
  const seen = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = await fsp.readFile(file, 'utf8');
    for (const specifier of importsOf(text)) {
      if (specifier.startsWith('.')) todo.push(resolve(dirname(file), specifier));
      else if (specifier in AGENT_PACKAGES) packages.add(specifier);
      else if (!isBuiltin(specifier))
        throw new BerthError(
          'BUILD_FAILED',
          `the sync agent imports "${specifier}" (in ${relative(PACKAGE_ROOT, file)}); it runs on a bare node and may import only node's modules and ${Object.keys(AGENT_PACKAGES).join(', ')}`,
        );
    }
  }
  const files = [...seen].map((source) => ({
    source,
    target: posix.join('/berth', relative(PACKAGE_ROOT, source)),
  }));
  for (const name of packages) {
    const folder = join(PACKAGE_ROOT, 'node_modules', name);
    for (const part of AGENT_PACKAGES[name]!)
      files.push({ source: join(folder, part), target: posix.join('/berth/node_modules', name, part) });
  }
  return files.sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
}

/** Static and dynamic import specifiers of a compiled ES module (tsc's output: one form each). */
function importsOf(text: string): string[] {
  const found: string[] = [];
  const forms = [
    /^\s*(?:import|export)\s[^;]*?\sfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const form of forms) for (const match of text.matchAll(form)) found.push(match[1]!);
  return found;
}

async function agentHash(files: ImageFile[]): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`node ${process.version} ${process.arch}\0`);
  for (const file of files) {
    hash.update(`${file.target}\0`);
    hash.update(await fsp.readFile(file.source));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

/** The shared libraries and loader node needs, as `ldd` lists them, at the same paths. */
async function nodeLibraries(): Promise<ImageFile[]> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)('ldd', [process.execPath], { timeout: 30_000 }));
  } catch (err) {
    const text =
      String((err as { stdout?: unknown }).stdout ?? '') + String((err as { stderr?: unknown }).stderr ?? '');
    if (/not a dynamic executable|statically linked/.test(text)) return [];
    throw new BerthError(
      'UNSUPPORTED',
      `cannot list the shared libraries of ${process.execPath} with ldd (${describeError(err)}); the sync side-car needs them`,
    );
  }
  const files: ImageFile[] = [];
  for (const line of stdout.split('\n')) {
    const linked = /=>\s*(\/\S+)\s*\(0x[0-9a-f]+\)/.exec(line);
    const loader = /^\s*(\/\S+)\s*\(0x[0-9a-f]+\)/.exec(line);
    const path = linked?.[1] ?? loader?.[1];
    if (path) files.push({ source: path, target: path });
  }
  if (!files.some((f) => /ld-[^/]*\.so/.test(f.target)))
    throw new BerthError(
      'UNSUPPORTED',
      `ldd named no loader for ${process.execPath}; the sync side-car cannot run it`,
    );
  return files;
}
