import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** What the fuzz sees at one path of a side (test-only: it walks its own temp folders). */
export type Seen =
  | { kind: 'file'; mode: number; size: number; readonly content: string }
  | { kind: 'dir'; mode: number }
  | { kind: 'link'; target: string };

const STATE = '.berth-sync';

/**
 * Every entry below `root` (the root itself and `.berth-sync` left out), parents first, sorted.
 * `lazy`: a file's content is read when first asked for (the caller asks before it changes it).
 */
export function walkSide(root: string, lazy = false): Map<string, Seen> {
  const out = new Map<string, Seen>();
  const walk = (rel: string): void => {
    const names = readdirSync(rel === '' ? root : join(root, rel)).sort();
    for (const name of names) {
      if (rel === '' && name === STATE) continue;
      const path = rel === '' ? name : `${rel}/${name}`;
      const full = join(root, path);
      const st = lstatSync(full);
      if (st.isDirectory()) {
        out.set(path, { kind: 'dir', mode: st.mode & 0o777 });
        walk(path);
      } else if (st.isSymbolicLink()) out.set(path, { kind: 'link', target: readlinkSync(full) });
      else if (st.isFile()) {
        const file = { kind: 'file' as const, mode: st.mode & 0o777, size: st.size };
        if (!lazy) out.set(path, { ...file, content: readFileSync(full, 'latin1') });
        else {
          let content: string | undefined;
          out.set(path, {
            ...file,
            get content() {
              return (content ??= readFileSync(full, 'latin1'));
            },
          });
        }
      }
    }
  };
  walk('');
  return out;
}

/**
 * Every file of a side's attic (`.berth-sync/attic/<xx>/<digest>[.<random>]`) with its content.
 * A file already in `known` is not read again unless `verify` (sync never rewrites an attic file).
 */
export function atticFiles(
  root: string,
  known: ReadonlyMap<string, string>,
  verify: boolean,
): Map<string, string> {
  const attic = join(root, STATE, 'attic');
  const out = new Map<string, string>();
  let subs: string[];
  try {
    subs = readdirSync(attic);
  } catch {
    return out;
  }
  for (const sub of subs.sort()) {
    const dir = join(attic, sub);
    if (!lstatSync(dir).isDirectory()) continue;
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      let content = verify ? undefined : known.get(full);
      if (content === undefined) {
        if (!lstatSync(full).isFile()) continue;
        content = readFileSync(full, 'latin1');
      }
      out.set(full, content);
    }
  }
  return out;
}

/** The files of a side's attic that are named for `digest`, with their content. */
export function atticFilesOf(root: string, digest: string): Map<string, string> {
  const dir = join(root, STATE, 'attic', digest.slice(0, 2));
  const out = new Map<string, string>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names.sort()) {
    const full = join(dir, name);
    if (name.startsWith(digest) && isFile(full)) out.set(full, readFileSync(full, 'latin1'));
  }
  return out;
}

/** Whether a file is (still) there. */
export function isFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}
