import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A folder as a map from byte path (latin1) to a short description: `dir 755`, `file 644 <content>`,
 * `link <target>`. `.berth-sync` is left out. Test-only: it walks a test's own temp folders.
 */
export function dumpTree(root: string, { skipState = true } = {}): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: Buffer, rel: string) => {
    for (const name of readdirSync(dir, { encoding: 'buffer' })) {
      const text = name.toString('latin1');
      if (skipState && rel === '' && text === '.berth-sync') continue;
      const full = Buffer.concat([dir, Buffer.from('/'), name]);
      const path = rel === '' ? text : `${rel}/${text}`;
      const st = lstatSync(full);
      const mode = (st.mode & 0o777).toString(8);
      if (st.isDirectory()) {
        out.set(path, `dir ${mode}`);
        walk(full, path);
      } else if (st.isSymbolicLink())
        out.set(path, `link ${readlinkSync(full, { encoding: 'buffer' }).toString('latin1')}`);
      else out.set(path, `file ${mode} ${readFileSync(full).toString('latin1')}`);
    }
  };
  walk(Buffer.from(root), '');
  return out;
}

export function sortedEntries(tree: Map<string, string>): [string, string][] {
  return [...tree].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export const b = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
export const at = (root: string, path: string) => Buffer.from(join(root, path), 'utf8');
