import type { OpsPolicyConfig } from '../config/types.js';
import { BerthError } from '../errors.js';
import type { Target } from './target.js';

/** berth.yaml `ops:`: which targets the side-car may touch and which commands it refuses. */
export class OpsPolicy {
  private readonly deny: { source: string; re: RegExp }[];

  constructor(private readonly config: OpsPolicyConfig) {
    this.deny = config.denyCommands.map((source) => ({ source, re: new RegExp(source) }));
  }

  get maxConcurrent(): number {
    return this.config.maxConcurrent;
  }

  get defaultTimeoutMs(): number {
    return this.config.defaultTimeoutMs;
  }

  /** With no allow list: every berth project, and no Compose project. */
  checkTarget(t: Target): void {
    const allow = this.config.allowTargets;
    const allowed =
      t.kind === 'project'
        ? allow === undefined || allow.includes('project:*') || allow.includes(`project:${t.name}`)
        : allow !== undefined &&
          (allow.includes(`compose:${t.project}`) || allow.includes(`service:${t.project}/${t.service}`));
    if (!allowed) {
      const what = t.kind === 'project' ? `project "${t.name}"` : `Compose project "${t.project}"`;
      throw new BerthError(
        'POLICY_DENIED',
        `${what} is not in ops.allow_targets; add it to berth.yaml to allow runs there`,
      );
    }
  }

  checkCommand(commandLine: string): void {
    const hit = this.deny.find((d) => d.re.test(commandLine));
    if (hit) {
      throw new BerthError(
        'POLICY_DENIED',
        `the command matches ops.deny_commands pattern /${hit.source}/ and was not run`,
      );
    }
  }
}
