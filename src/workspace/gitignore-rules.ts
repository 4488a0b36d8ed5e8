import ignore, { type Ignore } from 'ignore';

/** The .gitignore files that apply at one folder: each with the folder it sits in. */
export class GitignoreRules {
  private constructor(private readonly layers: { base: string; rules: Ignore }[]) {}

  static empty(): GitignoreRules {
    return new GitignoreRules([]);
  }

  /** Rules for a subfolder at `base` (project-relative) whose own .gitignore is `text`. */
  with(base: string, text: string | undefined): GitignoreRules {
    if (text === undefined || text.trim() === '') return this;
    return new GitignoreRules([...this.layers, { base, rules: ignore().add(text) }]);
  }

  /** `path` is project-relative; folders are matched with a trailing slash, as git does. */
  ignores(path: string, isFolder: boolean): boolean {
    for (const { base, rules } of this.layers) {
      const relative =
        base === '' ? path : path.startsWith(`${base}/`) ? path.slice(base.length + 1) : undefined;
      if (relative === undefined || relative === '') continue;
      if (rules.ignores(isFolder ? `${relative}/` : relative)) return true;
    }
    return false;
  }
}
