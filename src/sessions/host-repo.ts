import * as fs from 'node:fs';
import { lstatIn, openChildDir, readSmallFileIn } from '../workspace/fd-dir.js';

const CONFIG_MAX = 1024 * 1024;

/** What berth found at a host folder's `.git`, read as data (git never runs there). */
export type HostRepo =
  { kind: 'repo'; gitFd: number; objectFormat: 'sha1' | 'sha256' } | { kind: 'plain'; why: string };

/** The git extensions a plain file copy of `.git` stays correct under. */
const KNOWN_EXTENSIONS = new Set(['objectformat', 'worktreeconfig']);

/**
 * Looks at `<host>/.git` through fds, never running git on it: a host repository's config,
 * hooks and attributes are written by whatever runs in the project container, so git must not
 * read them. A repository is one berth can take in when `.git` is a real folder (not a link, not
 * a `gitdir:` file), with its own objects (no alternates pointing elsewhere on the host), loose
 * or packed refs (not reftable) and no extension berth does not know. The caller closes `gitFd`.
 */
export function inspectHostRepo(hostFd: number): HostRepo {
  const st = lstatIn(hostFd, '.git');
  if (!st) return { kind: 'plain', why: 'not a git repository' };
  if (!st.isDirectory())
    return { kind: 'plain', why: '.git is not a folder (a linked worktree or submodule)' };
  const gitFd = openChildDir(hostFd, '.git');
  if (gitFd === undefined) return { kind: 'plain', why: '.git changed while being opened' };
  const refuse = (why: string): HostRepo => {
    fs.closeSync(gitFd);
    return { kind: 'plain', why };
  };
  if (lstatIn(gitFd, 'commondir')) return refuse('it is a linked worktree');
  if (!lstatIn(gitFd, 'HEAD')?.isFile()) return refuse('.git has no HEAD file');
  const objects = openChildDir(gitFd, 'objects');
  if (objects === undefined) return refuse('.git/objects is not a folder');
  try {
    const info = openChildDir(objects, 'info');
    if (info !== undefined) {
      const borrows = lstatIn(info, 'alternates') || lstatIn(info, 'http-alternates');
      fs.closeSync(info);
      if (borrows) return refuse('it borrows objects from another repository (alternates)');
    }
  } finally {
    fs.closeSync(objects);
  }
  const config = readSmallFileIn(gitFd, 'config', CONFIG_MAX);
  const extensions = config === undefined ? new Map<string, string>() : configSection(config, 'extensions');
  for (const key of extensions.keys()) {
    if (!KNOWN_EXTENSIONS.has(key)) return refuse(`it uses the git extension "${key}"`);
  }
  const format = extensions.get('objectformat')?.toLowerCase();
  if (format !== undefined && format !== 'sha1' && format !== 'sha256') {
    return refuse(`it uses object format "${format}"`);
  }
  return { kind: 'repo', gitFd, objectFormat: format === 'sha256' ? 'sha256' : 'sha1' };
}

/**
 * The `key = value` lines of one section of a git config file, keys lower-cased. Only for
 * reading facts about the repository's format (data), never for settings that run anything.
 */
export function configSection(config: Buffer, section: string): Map<string, string> {
  const out = new Map<string, string>();
  let inSection = false;
  for (const raw of config.toString('utf8').split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (line === '') continue;
    const header = /^\[([^\]"\s]+)(?:\s+"[^"]*")?\]$/.exec(line);
    if (header) {
      inSection = header[1]!.toLowerCase() === section && !line.includes('"');
      continue;
    }
    if (!inSection) continue;
    const kv = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$/.exec(line);
    if (kv) out.set(kv[1]!.toLowerCase(), (kv[2] ?? 'true').trim());
  }
  return out;
}
