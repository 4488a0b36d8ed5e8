import { existsSync, writeFileSync } from 'node:fs';
import { mustRun, runCommand, type ChildResult } from './child.js';
import { removeLabelled } from './fixture.js';
import { describe, log } from './report.js';

export const COMPOSE_BIN = '/usr/bin/docker-compose';

/**
 * Writes the compose file as generated. Only if docker-compose rejects it for an unescaped "$"
 * (Compose interpolates "$"; "$$" is its literal dollar) is it rewritten with every "$" doubled,
 * which yields the same containers. Returns a note saying which was used.
 */
export async function writeComposeFile(file: string, text: string): Promise<string> {
  writeFileSync(file, text);
  const check = await runCommand(COMPOSE_BIN, ['-f', file, 'config', '-q']);
  if (check.exitCode === 0) return 'composeFileFor() output, used as is';
  if (!check.stderr.includes('Invalid interpolation'))
    throw new Error(`docker-compose rejects the generated compose file: ${check.stderr.trim()}`);
  writeFileSync(
    file,
    text.replaceAll('$', () => '$$'),
  );
  return (
    'composeFileFor() output with every "$" written as "$$": as generated, docker-compose rejected it ' +
    `(${check.stderr.trim().split('\n')[0]})`
  );
}

/** One docker-compose (v1) project, addressed by a unique project name. */
export class ComposeProject {
  constructor(
    readonly name: string,
    readonly file: string,
  ) {}

  /** `up -d`; returns the wall time of the CLI process in ms. */
  async up(): Promise<number> {
    return (await mustRun(COMPOSE_BIN, this.args('up', '-d'))).ms;
  }

  /** `exec -T <service> <argv…>` (no TTY); a non-zero exit is an error. */
  exec(service: string, argv: string[]): Promise<ChildResult> {
    return mustRun(COMPOSE_BIN, this.args('exec', '-T', service, ...argv));
  }

  async down(): Promise<void> {
    await mustRun(COMPOSE_BIN, this.args('down', '--volumes', '--remove-orphans', '--timeout', '2'));
  }

  /** Ids of this project's running containers, sorted. */
  async runningIds(): Promise<string[]> {
    const { stdout } = await mustRun('docker', ['ps', '-q', '--no-trunc', '--filter', this.labelFilter()]);
    return stdout.split('\n').filter(Boolean).sort();
  }

  /** Best-effort removal of everything this project created; logs failures, never throws. */
  async remove(): Promise<void> {
    try {
      if (existsSync(this.file)) await this.down();
    } catch (err) {
      log(`docker-compose down failed (${describe(err)}); removing by label instead`);
    }
    await removeLabelled(this.labelFilter());
  }

  private args(...command: string[]): string[] {
    return ['-p', this.name, '-f', this.file, ...command];
  }

  private labelFilter(): string {
    return `label=com.docker.compose.project=${this.name}`;
  }
}
