import { join, type RepoReader } from './repo-reader.js';

/** What berth uses from a package.json; every field is checked, since the file is untrusted. */
export interface PackageFacts {
  /** dependencies and devDependencies: name → version range. */
  deps: Map<string, string>;
  scripts: Map<string, string>;
  /** The `workspaces` globs (npm/yarn), when this is a workspace root. */
  workspaces: string[];
  /**
   * The dependency fields re-serialized compactly: the text Vercel's package.json content rules
   * run on. On the raw file their `[^}]*` backtracks quadratically (minutes on a hostile 1 MiB
   * file); here each field is one short object.
   */
  dependencyText: string;
}

/** Reads `<folder>/package.json`; undefined when absent, refused, or not a JSON object. */
export function readPackage(reader: RepoReader, folder: string): PackageFacts | undefined {
  const path = join(folder, 'package.json');
  const text = reader.readText(path);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    reader.note(`${path}: is not valid JSON (${(err as Error).message}); its dependencies were not read`);
    return undefined;
  }
  if (!isRecord(json)) {
    reader.note(`${path}: is not a JSON object; its dependencies were not read`);
    return undefined;
  }
  const deps = new Map<string, string>();
  const fields: Record<string, Record<string, string>> = {};
  for (const field of ['dependencies', 'devDependencies']) {
    const entries = stringEntries(json[field]);
    fields[field] = Object.fromEntries(entries);
    for (const [name, version] of entries) deps.set(name, version);
  }
  const rawWorkspaces = json.workspaces;
  const globs = Array.isArray(rawWorkspaces)
    ? rawWorkspaces
    : isRecord(rawWorkspaces) && Array.isArray(rawWorkspaces.packages)
      ? rawWorkspaces.packages
      : [];
  return {
    deps,
    scripts: new Map(stringEntries(json.scripts)),
    workspaces: globs.filter((g): g is string => typeof g === 'string'),
    dependencyText: JSON.stringify(fields),
  };
}

/** The `packages:` list of a pnpm-workspace.yaml (a small YAML subset: one glob per `- ` line). */
export function readPnpmWorkspace(reader: RepoReader, folder: string): string[] {
  const text = reader.readText(join(folder, 'pnpm-workspace.yaml'));
  if (text === undefined) return [];
  const out: string[] = [];
  let inPackages = false;
  for (const line of text.split('\n')) {
    if (/^packages\s*:/.test(line)) {
      inPackages = true;
      continue;
    }
    if (/^\S/.test(line)) inPackages = false;
    const item = inPackages ? /^\s+-\s*['"]?([^'"#]+?)['"]?\s*(#.*)?$/.exec(line) : null;
    if (item) out.push(item[1]!);
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringEntries(value: unknown): [string, string][] {
  if (!isRecord(value)) return [];
  return Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string');
}
