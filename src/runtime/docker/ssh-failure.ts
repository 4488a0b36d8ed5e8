import { BerthError } from '../../errors.js';

/** What ssh printed and how it ended, when a dial gave the Engine API not one byte. */
export interface SshDialEnd {
  /** The endpoint as `ssh://user@host:port` (no secret in it). */
  endpoint: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** BERTH_SSH_KEY, when berth chose the key. */
  keyPath: string | undefined;
}

/**
 * A sentence for people from ssh's exit and its last words: ssh (and its remote shell) say what
 * went wrong only as text on stderr, with exit code 255 for its own failures and the remote
 * command's code otherwise (127: no such command).
 */
export function sshDialFailure(end: SshDialEnd): BerthError {
  const said = lastWords(end.stderr);
  const details = { endpoint: end.endpoint, exitCode: end.exitCode, ssh: said };
  const at = `the engine at ${end.endpoint}`;
  const key = end.keyPath
    ? `the key BERTH_SSH_KEY=${end.keyPath}`
    : 'the keys ssh offers (its agent, ~/.ssh/config, ~/.ssh/id_*; set BERTH_SSH_KEY to choose one)';
  const text = end.stderr;
  if (
    /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed|host key for .* has changed/i.test(
      text,
    )
  )
    return new BerthError(
      'ENGINE_UNREACHABLE',
      `${at} cannot be reached: ssh could not verify the server's host key (${said}). Check the key ` +
        "with the server's owner, then add it to known_hosts (for example by running `ssh` to it once, " +
        'or with ssh-keyscan), or point BERTH_SSH_KNOWN_HOSTS at a file that holds it.',
      details,
    );
  if (/Permission denied|Too many authentication failures|no mutual signature|not accessible/i.test(text))
    return new BerthError(
      'ENGINE_UNREACHABLE',
      `${at} refused the login (${said}). berth logs in with ${key}; the server must accept it ` +
        '(authorized_keys), and an encrypted key must be in the ssh agent.',
      details,
    );
  if (
    /Connection refused|Connection timed out|timed out during banner|No route to host|Could not resolve hostname|Network is unreachable|Connection closed by|Connection reset/i.test(
      text,
    )
  )
    return new BerthError(
      'ENGINE_UNREACHABLE',
      `${at} cannot be reached: ssh could not connect (${said}). Check the host, the port and that sshd runs there.`,
      details,
    );
  if (end.exitCode === 127 || /command not found|docker: not found|No such file or directory/i.test(text))
    return new BerthError(
      'ENGINE_UNREACHABLE',
      `${at}: the ssh login works but the remote has no docker CLI (${said}). berth runs ` +
        '`docker system dial-stdio` there, as the docker CLI does: install the docker CLI on the remote.',
      details,
    );
  if (/Cannot connect to the Docker daemon|permission denied while trying to connect/i.test(text))
    return new BerthError(
      'ENGINE_UNREACHABLE',
      `${at}: the ssh login works but the remote docker CLI cannot reach its engine (${said}). ` +
        'Start the engine there, or give the login user access to its socket.',
      details,
    );
  const how = end.signal ? `was ended by ${end.signal}` : `exited with code ${String(end.exitCode)}`;
  return new BerthError(
    'ENGINE_UNREACHABLE',
    `${at} did not answer: ssh ${how}${said ? ` (${said})` : ' and said nothing'}.`,
    details,
  );
}

/** ssh's last meaningful lines, joined, short: enough to show what it said, never a page. */
function lastWords(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^@+$/.test(line));
  return lines.slice(-3).join(' ').slice(0, 400);
}
