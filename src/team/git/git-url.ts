import { isAbsolute } from 'node:path';
import { BerthError } from '../../errors.js';

/**
 * The transports a team may be cloned over. Everything else is refused before git runs: `ext::`
 * runs a command, `fd::` talks to a file descriptor, and any other `<helper>::` form starts a
 * remote helper berth does not know.
 */
export const ALLOWED_TRANSPORTS = ['https', 'http', 'ssh', 'git', 'file'] as const;

/** Git's own spellings of ssh:// (it accepts both). */
const SSH_ALIASES = new Set(['git+ssh', 'ssh+git']);

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
/** scp-like `[user@]host:path`: a colon before any slash (git's own rule for ssh short form). */
const SCP_LIKE = /^(?:[^@/:]+@)?([^/:]+):(?!\/\/)/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export interface ParsedGitUrl {
  transport: (typeof ALLOWED_TRANSPORTS)[number];
  /** The URL with its userinfo taken out: what the clone's config holds. */
  clean: string;
  /** The credentials the URL carried (http and https only), given to git through GIT_ASKPASS. */
  credentials?: { username: string; password: string };
}

function refuse(url: string, why: string): never {
  throw new BerthError('INVALID_ARGUMENT', `berth refuses the git URL ${redactUrl(url)}: ${why}`, {
    url: redactUrl(url),
  });
}

/** Throws INVALID_ARGUMENT, naming the reason, for any URL berth does not clone from. */
export function checkGitUrl(url: string): void {
  parseGitUrl(url);
}

/** Checks the URL (as checkGitUrl) and splits its credentials off. */
export function parseGitUrl(url: string): ParsedGitUrl {
  if (url.trim() === '') refuse(url, 'it is empty; give an https, ssh, git or file URL, or an absolute path');
  if (CONTROL.test(url)) refuse(url, 'it contains control characters (a newline or similar)');
  // a URL git would read as an option (`--upload-pack=...`, `-u ...`)
  if (url.startsWith('-')) refuse(url, 'it starts with "-", which git would read as an option');
  const scheme = SCHEME.exec(url);
  if (scheme) return parseSchemeUrl(url, scheme[1]!.toLowerCase());
  if (url.includes('::')) {
    const helper = url.slice(0, url.indexOf('::'));
    refuse(
      url,
      `"${helper}::" is a git remote-helper transport (ext:: and fd:: run commands); use one of ${ALLOWED_TRANSPORTS.join(', ')}`,
    );
  }
  if (isAbsolute(url)) return { transport: 'file', clean: url };
  const scp = SCP_LIKE.exec(url);
  if (scp) {
    const host = scp[1]!;
    if (host.startsWith('-'))
      refuse(url, `its host "${host}" starts with "-", which ssh would read as an option`);
    return { transport: 'ssh', clean: url };
  }
  refuse(url, 'a local path must be absolute (resolve it against the current folder first)');
}

function parseSchemeUrl(url: string, scheme: string): ParsedGitUrl {
  const transport = SSH_ALIASES.has(scheme) ? 'ssh' : scheme;
  if (!(ALLOWED_TRANSPORTS as readonly string[]).includes(transport))
    refuse(url, `the transport "${scheme}" is not one of ${ALLOWED_TRANSPORTS.join(', ')}`);
  const rest = url.slice(scheme.length + 3);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  const at = authority.lastIndexOf('@');
  const userinfo = at === -1 ? undefined : authority.slice(0, at);
  const host = authority.slice(at + 1);
  if (host.startsWith('-'))
    refuse(url, `its host "${host}" starts with "-", which ssh would read as an option`);
  if (transport !== 'file' && host === '') refuse(url, 'it names no host');
  const t = transport as ParsedGitUrl['transport'];
  if (userinfo === undefined) return { transport: t, clean: url };
  if (t === 'http' || t === 'https') {
    const colon = userinfo.indexOf(':');
    const username = decode(url, colon === -1 ? userinfo : userinfo.slice(0, colon));
    const password = colon === -1 ? '' : decode(url, userinfo.slice(colon + 1));
    const clean = `${url.slice(0, scheme.length + 3)}${rest.slice(at + 1)}`;
    return { transport: t, clean, credentials: { username, password } };
  }
  if (t === 'ssh') {
    // the user name is how ssh logs in and no secret; a password never belongs in an ssh URL
    if (userinfo.includes(':')) refuse(url, 'an ssh URL cannot carry a password; use your ssh agent or keys');
    if (userinfo.startsWith('-'))
      refuse(url, 'its user name starts with "-", which ssh would read as an option');
    return { transport: t, clean: url };
  }
  refuse(url, `a ${t}:// URL cannot carry a user name or password`);
}

function decode(url: string, part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    refuse(url, 'its user name or password is not valid percent-encoding');
  }
}

/** `scheme://userinfo@` anywhere in a text; the userinfo runs to the last `@` before the path. */
const USERINFO = /\b([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s/?#]*@/g;

/** The text with the userinfo (user name and password) taken out of every URL in it. */
export function redactUrl(text: string): string {
  return text.replace(USERINFO, '$1');
}
