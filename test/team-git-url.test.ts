import { describe, expect, it } from 'vitest';
import { checkGitUrl, parseGitUrl, redactUrl } from '../src/team/git/git-url.js';
import { ProgressLines } from '../src/team/git/progress-lines.js';

describe('checkGitUrl', () => {
  it.each([
    'https://github.com/acme/app.git',
    'http://127.0.0.1:8080/app.git',
    'ssh://git@host.example/acme/app.git',
    'git+ssh://host.example/app.git',
    'git://127.0.0.1:9418/app',
    'file:///srv/git/app.git',
    'git@github.com:acme/app.git',
    '/srv/git/app.git',
  ])('accepts %s', (url) => {
    expect(() => checkGitUrl(url)).not.toThrow();
  });

  it.each([
    ['--upload-pack=touch /tmp/pwned', /starts with "-"/],
    ['-u touch /tmp/x', /starts with "-"/],
    ['ext::sh -c touch% /tmp/pwned', /"ext::" is a git remote-helper transport/],
    ['fd::3', /"fd::"/],
    ['ssh://-oProxyCommand=touch /tmp/x/app', /host "-oProxyCommand=touch " starts with "-"/],
    ['ssh://git@-oProxyCommand=x/app', /host .* starts with "-"/],
    ['-oProxyCommand=x:app', /starts with "-"/],
    ['ftp://host/app.git', /transport "ftp" is not one of https, http, ssh, git, file/],
    ['relative/path', /must be absolute/],
    ['https://host/app\n.git', /control characters/],
    ['', /empty/],
    ['ssh://git:secret@host/app', /cannot carry a password/],
  ])('refuses %j', (url, why) => {
    let err: unknown;
    try {
      checkGitUrl(url);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((err as Error).message).toMatch(why);
  });

  it('splits the credentials off an https URL and never shows them in its error', () => {
    expect(parseGitUrl('https://alice:s3cr%40t@host.example/app.git')).toEqual({
      transport: 'https',
      clean: 'https://host.example/app.git',
      credentials: { username: 'alice', password: 's3cr@t' },
    });
    expect(parseGitUrl('https://ghp_token@host.example/app.git').credentials).toEqual({
      username: 'ghp_token',
      password: '',
    });
    expect(() => checkGitUrl('gopher://bob:hunter2@host/x')).toThrow(/^(?!.*hunter2)/);
  });
});

describe('redactUrl', () => {
  it('takes userinfo out of every URL in a text, leaving the rest', () => {
    expect(
      redactUrl(
        "fatal: unable to access 'https://bob:tok@en@host/r.git/': 401; also http://x@h2:1/a and git@host:r",
      ),
    ).toBe("fatal: unable to access 'https://host/r.git/': 401; also http://h2:1/a and git@host:r");
    expect(redactUrl('https://host/path@v1 stays')).toBe('https://host/path@v1 stays');
  });
});

describe('ProgressLines', () => {
  it('cuts meters and lines, redacts them, passes messages on and keeps a tail', () => {
    const seen: string[] = [];
    const p = new ProgressLines((l) => seen.push(l));
    p.push("Cloning into 'w'...\nremote: Counting objects:  50% (1/2)\rremote: Counting obj");
    p.push('ects: 100% (2/2), done.\r\nfatal: could not read https://u:secret@h/r\n');
    p.end();
    expect(seen).toEqual([
      "Cloning into 'w'...",
      'remote: Counting objects:  50% (1/2)',
      'remote: Counting objects: 100% (2/2), done.',
      'fatal: could not read https://h/r',
    ]);
    expect(p.tail()).toBe("Cloning into 'w'...; fatal: could not read https://h/r");
  });
});
