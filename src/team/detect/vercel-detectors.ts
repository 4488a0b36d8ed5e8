import { frameworks } from '@vercel/frameworks';
import type { PackageFacts } from './package-facts.js';
import { join, shown, type RepoReader } from './repo-reader.js';

/** One `@vercel/frameworks` record that matched a folder, with what made it match. */
export interface VercelMatch {
  slug: string;
  name: string;
  /** `settings.devCommand.value`, e.g. "vite --port $PORT"; null for server frameworks. */
  devCommand: string | null;
  evidence: string[];
}

interface Detector {
  path?: string;
  matchContent?: string;
  matchPackage?: string;
}

interface FrameworkRecord {
  slug: string | null;
  name: string;
  detectors?: { every?: Detector[]; some?: Detector[] };
  settings?: { devCommand?: { value?: string | null } };
  supersedes?: string[];
}

const RECORDS = frameworks as readonly FrameworkRecord[];
const compiled = new Map<string, RegExp>();

/**
 * Evaluates every Vercel framework record on one folder the way @vercel/fs-detectors does:
 * all `every` detectors and at least one `some` detector must match (`matchPackage` against
 * package.json's dependencies, `path` for presence, `matchContent` as a multiline regex on the
 * file). Records superseded by another match are dropped; the rest keep the table's order,
 * which is its order of precedence.
 */
export function vercelMatches(
  reader: RepoReader,
  folder: string,
  pkg: PackageFacts | undefined,
): VercelMatch[] {
  const matched: (VercelMatch & { supersedes: string[] })[] = [];
  for (const record of RECORDS) {
    if (record.slug === null || !record.detectors) continue;
    const { every = [], some = [] } = record.detectors;
    if (every.length === 0 && some.length === 0) continue;
    const evidence: string[] = [];
    if (!every.every((d) => check(reader, folder, pkg, d, record.name, evidence))) continue;
    if (some.length > 0 && !some.some((d) => check(reader, folder, pkg, d, record.name, evidence))) continue;
    matched.push({
      slug: record.slug,
      name: record.name,
      devCommand: record.settings?.devCommand?.value ?? null,
      evidence,
      supersedes: record.supersedes ?? [],
    });
  }
  const superseded = new Set(matched.flatMap((m) => m.supersedes));
  return matched
    .filter((m) => !superseded.has(m.slug))
    .map(({ slug, name, devCommand, evidence }) => ({ slug, name, devCommand, evidence }));
}

function check(
  reader: RepoReader,
  folder: string,
  pkg: PackageFacts | undefined,
  d: Detector,
  framework: string,
  evidence: string[],
): boolean {
  if (d.matchPackage !== undefined) {
    const version = pkg?.deps.get(d.matchPackage);
    if (version === undefined) return false;
    evidence.push(`package.json depends on ${d.matchPackage}@${shown(version)}`);
    return true;
  }
  if (d.path === undefined) return false;
  const path = join(folder, d.path);
  if (d.matchContent === undefined) {
    if (reader.kind(path) === undefined) return false;
    evidence.push(`${d.path} present`);
    return true;
  }
  const text = d.path === 'package.json' ? pkg?.dependencyText : reader.readHead(path);
  if (text === undefined || !regex(d.matchContent).test(text)) return false;
  evidence.push(`${d.path} matches the ${framework} content rule of @vercel/frameworks`);
  return true;
}

function regex(source: string): RegExp {
  let re = compiled.get(source);
  if (!re) compiled.set(source, (re = new RegExp(source, 'm')));
  return re;
}
