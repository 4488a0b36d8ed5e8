import { describe, expect, it } from 'vitest';
import {
  describeSshEndpoint,
  parseSshHost,
  sshDialArgs,
  sshExitArgs,
} from '../src/runtime/docker/ssh-endpoint.js';
import { sshDialFailure } from '../src/runtime/docker/ssh-failure.js';

describe('DOCKER_HOST=ssh://… as berth reads it', () => {
  it('takes user, host and port, each optional but the host', () => {
    expect(parseSshHost('ssh://root@127.0.0.1:2222')).toEqual({
      user: 'root',
      host: '127.0.0.1',
      port: 2222,
    });
    expect(parseSshHost('ssh://build-box.example')).toEqual({
      user: undefined,
      host: 'build-box.example',
      port: undefined,
    });
    expect(parseSshHost('ssh://me@[::1]:22')).toEqual({ user: 'me', host: '::1', port: 22 });
    expect(describeSshEndpoint(parseSshHost('ssh://me@[::1]:22'))).toBe('ssh://me@[::1]:22');
  });

  it.each([
    ['ssh://root@host/var/run/docker.sock', /has a path/],
    ['ssh://root@host?x=1', /has a path or query/],
    ['ssh://root:hunter2@host', /password/],
    ['ssh://-oProxyCommand=x@host', /user name/],
    ['ssh://root@-oProxyCommand=x', /host|not a URL/],
    ['ssh://', /host|not a URL/],
  ])('refuses %s, and never repeats a password', (host, why) => {
    let err: unknown;
    try {
      parseSshHost(host);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(why) });
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('asks ssh for the remote docker CLI, never a prompt, with the chosen key and known_hosts only', () => {
    const args = sshDialArgs(
      { user: 'root', host: '127.0.0.1', port: 2222 },
      { BERTH_SSH_KEY: '/k/id', BERTH_SSH_KNOWN_HOSTS: '/k/known' },
      '/tmp/berth-ssh-x/c',
    );
    expect(args.slice(-6)).toEqual(['root', '--', '127.0.0.1', 'docker', 'system', 'dial-stdio']);
    const text = args.join(' ');
    expect(text).toContain('-o BatchMode=yes');
    expect(text).toContain('-i /k/id -o IdentitiesOnly=yes');
    expect(text).toContain('-o UserKnownHostsFile=/k/known');
    expect(text).toContain('-o ControlPath=/tmp/berth-ssh-x/c');
    expect(text).toContain('-p 2222 -l root');
    expect(text).not.toMatch(/StrictHostKeyChecking=(no|accept-new)/);
    // without BERTH_SSH_*: ssh's own keys, agent and known_hosts
    expect(sshDialArgs({ user: undefined, host: 'h', port: undefined }, {}).join(' ')).not.toMatch(
      /-i |IdentitiesOnly|UserKnownHostsFile|ControlPath|-p |-l /,
    );
    expect(sshExitArgs({ user: 'u', host: 'h', port: 2 }, '/c')).toEqual([
      '-o',
      'BatchMode=yes',
      '-o',
      'ControlPath=/c',
      '-O',
      'exit',
      '-p',
      '2',
      '-l',
      'u',
      '--',
      'h',
    ]);
  });
});

describe('what ssh said, as a sentence', () => {
  const end = { endpoint: 'ssh://root@h:22', signal: null, keyPath: '/k/id' };
  it.each([
    [
      'root@h: Permission denied (publickey).',
      255,
      /refused the login \(root@h: Permission denied \(publickey\)\.\).*BERTH_SSH_KEY=\/k\/id/,
    ],
    ['Host key verification failed.', 255, /could not verify the server's host key/],
    ['@@@@@@@\n@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @\n@@@@@@@', 255, /host key/],
    ['ssh: connect to host h port 22: Connection refused', 255, /could not connect \(.*Connection refused\)/],
    ['ssh: Could not resolve hostname h: Name or service not known', 255, /could not connect/],
    ['bash: docker: command not found', 127, /the ssh login works but the remote has no docker CLI/],
    [
      'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
      1,
      /the remote docker CLI cannot reach its engine/,
    ],
    ['', 3, /ssh exited with code 3 and said nothing/],
  ])('%s (exit %d)', (stderr, exitCode, sentence) => {
    const err = sshDialFailure({ ...end, stderr, exitCode });
    expect(err.code).toBe('ENGINE_UNREACHABLE');
    expect(err.message).toMatch(sentence);
    expect(err.message).toContain('ssh://root@h:22');
  });
});
