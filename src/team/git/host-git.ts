import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthError } from '../../errors.js';
import { removePath } from '../../workspace/path-ops.js';
import { ALLOWED_TRANSPORTS } from './git-url.js';
import { ProgressLines } from './progress-lines.js';

/**
 * The only place in src/team that starts git on the host, and only for two things: the clone
 * (into a workspace no container has seen yet) and fetches into the team's git folder, which
 * lives outside the workspace and is never mounted into a preview or agent container. Anything
 * that reads or writes the work tree runs in a container instead (work-tree-git.ts).
 *
 * Unlike a session's git (sessions/sandbox-git.ts) this one reads the user's own global and
 * system config and uses their ssh agent: credential helpers, `url.insteadOf` and ssh keys are
 * the user's and trusted. What is not trusted is kept out: hooks, fsmonitor, submodules, every
 * transport but the five berth allows, git variables of berth's own environment that would point
 * git somewhere else, and any prompt (git runs in a session of its own, with no terminal).
 */
export const HOST_GIT_CONFIG: readonly string[] = [
  'core.hooksPath=/dev/null',
  'core.fsmonitor=false',
  'core.pager=cat',
  'submodule.recurse=false',
  'fetch.recurseSubmodules=false',
  'protocol.allow=never',
  ...ALLOWED_TRANSPORTS.map((t) => `protocol.${t}.allow=always`),
];

/** Variables of berth's environment that stay: how the user reaches ssh. Every other GIT_* goes. */
const KEPT_GIT_VARS = new Set(['GIT_SSH', 'GIT_SSH_COMMAND', 'GIT_SSH_VARIANT']);

/** Where the askpass script finds the secret (never on a command line, where `ps` shows it). */
const ASKPASS_USER_VAR = 'BERTH_GIT_ASKPASS_USERNAME';
const ASKPASS_PASSWORD_VAR = 'BERTH_GIT_ASKPASS_PASSWORD';
const ASKPASS_SCRIPT = `#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$${ASKPASS_USER_VAR}" ;;
  *) printf '%s\\n' "$${ASKPASS_PASSWORD_VAR}" ;;
esac
`;

export interface HostGitOptions {
  /** The team's git folder (uid 1000 owns it, hence safe.directory); absent for ls-remote. */
  gitDir?: string;
  /** Where git runs: a berth-owned folder (the git folder, or the workspace's parent). */
  cwd: string;
  /** Bounded time: past it git is killed and the error says so. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Given to git through GIT_ASKPASS; the user's credential helpers are off for this run. */
  credentials?: { username: string; password: string };
  /** git's stderr, line by line (progress meters), userinfo redacted. */
  onProgress?: (line: string) => void;
  /** Words for the error: what berth was doing ("cloning https://host/r.git"). */
  doing: string;
}

export interface HostGitResult {
  stdout: string;
  /** stderr's last lines, userinfo redacted. */
  stderr: string;
}

function hostGitEnv(options: HostGitOptions, askpass?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('GIT_') || KEPT_GIT_VARS.has(k)) env[k] = v;
  Object.assign(env, {
    GIT_TERMINAL_PROMPT: '0',
    GIT_ALLOW_PROTOCOL: ALLOWED_TRANSPORTS.join(':'),
    GIT_NO_REPLACE_OBJECTS: '1',
    GIT_PAGER: 'cat',
    GIT_EDITOR: 'false',
    LC_ALL: 'C',
  });
  if (options.gitDir !== undefined) {
    // the common dir is pinned too: a `commondir` file in the folder is never followed
    env.GIT_DIR = options.gitDir;
    env.GIT_COMMON_DIR = options.gitDir;
  }
  if (askpass !== undefined && options.credentials) {
    env.GIT_ASKPASS = askpass;
    env[ASKPASS_USER_VAR] = options.credentials.username;
    env[ASKPASS_PASSWORD_VAR] = options.credentials.password;
  } else {
    delete env.SSH_ASKPASS;
  }
  return env;
}

function hostGitArgs(options: HostGitOptions, args: string[]): string[] {
  const config = [...HOST_GIT_CONFIG];
  if (options.gitDir !== undefined) config.push(`safe.directory=${options.gitDir}`);
  // the URL's own secret is the one used, and no helper of the user's stores it
  if (options.credentials) config.push('credential.helper=');
  const base = options.gitDir !== undefined ? [`--git-dir=${options.gitDir}`] : [];
  return [...base, ...config.flatMap((kv) => ['-c', kv]), ...args];
}

/** Runs one git command on the host with the settings above; throws GIT_FAILED with git's words. */
export async function runHostGit(args: string[], options: HostGitOptions): Promise<HostGitResult> {
  const askpassDir = options.credentials ? mkdtempSync(join(tmpdir(), 'berth-askpass-')) : undefined;
  try {
    let askpass: string | undefined;
    if (askpassDir !== undefined) {
      askpass = join(askpassDir, 'askpass.sh');
      writeFileSync(askpass, ASKPASS_SCRIPT, { mode: 0o700 });
    }
    return await spawnGit(hostGitArgs(options, args), hostGitEnv(options, askpass), options);
  } finally {
    if (askpassDir !== undefined) removePath(askpassDir);
  }
}

function spawnGit(argv: string[], env: NodeJS.ProcessEnv, options: HostGitOptions): Promise<HostGitResult> {
  return new Promise((resolve, reject) => {
    // a session of its own: no terminal for ssh to ask a question on; killed as a group
    const child = spawn('git', argv, {
      cwd: options.cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const lines = new ProgressLines(options.onProgress);
    let ended: 'timeout' | 'aborted' | undefined;
    const kill = (why: 'timeout' | 'aborted') => {
      ended ??= why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => kill('timeout'), options.timeoutMs);
    const onAbort = () => kill('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
    const finish = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (err) => {
      finish();
      reject(
        new BerthError(
          'GIT_FAILED',
          `${options.doing}: git could not be started (${err.message}); is git installed?`,
        ),
      );
    });
    child.on('close', (code) => {
      finish();
      lines.end();
      const stderr = lines.tail();
      if (ended === 'aborted') {
        reject(new BerthError('CANCELLED', `${options.doing}: cancelled`));
      } else if (ended === 'timeout') {
        const said = stderr ? `; git said: ${stderr}` : '';
        reject(
          new BerthError(
            'GIT_FAILED',
            `${options.doing}: git did not finish within ${Math.round(options.timeoutMs / 1000)} s and was stopped (is the host reachable?)${said}`,
            { timeoutMs: options.timeoutMs },
          ),
        );
      } else if (code !== 0) {
        reject(
          new BerthError('GIT_FAILED', `${options.doing}: git failed: ${stderr || `exit code ${code}`}`, {
            exitCode: code,
            stderr,
          }),
        );
      } else {
        resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr });
      }
    });
  });
}
