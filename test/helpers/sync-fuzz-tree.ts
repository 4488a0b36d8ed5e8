import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** What the fuzz sees at one path of a side (test-only: it walks its own temp folders). */
export type Seen =
  | { kind: 'file'; mode: number; content: string }
  | { kind: 'dir'; mode: number }
  | { kind: 'link'; target: string };

const STATE = '.berth-sync';

/** Every entry below `root` (the root itself and `.berth-sync` left out), parents first, sorted. */
export function walkSide(root: string): Map<string, Seen> {
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
      else if (st.isFile())
        out.set(path, { kind: 'file', mode: st.mode & 0o777, content: readFileSync(full, 'latin1') });
    }
  };
  walk('');
  return out;
}

/**
 * The content of every file in a side's attic (`.berth-sync/attic/<xx>/<digest>[.<random>]`).
 * Attic files are read once and remembered by name (sync never rewrites one); `verify` reads
 * them all again.
 */
export function atticContents(root: string, memo: Map<string, string>, verify = false): string[] {
  const attic = join(root, STATE, 'attic');
  const out: string[] = [];
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
      let content = verify ? undefined : memo.get(full);
      if (content === undefined) {
        if (!lstatSync(full).isFile()) continue;
        content = readFileSync(full, 'latin1');
        memo.set(full, content);
      }
      out.push(content);
    }
  }
  return out;
}
