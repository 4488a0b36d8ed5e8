import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { caBundleMounts, CONTAINER_CA_BUNDLE } from '../src/preview/ca-bundle.js';

const run = promisify(execFile);
/** The host's bundle: on this machine the only one that trusts the TLS-intercepting proxy. */
const HOST_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const IMAGES = ['berth-preview/node', 'berth-preview/python'];

let seq = 0;
/** Runs `script` in a throwaway container of `image` (its user is the image's own). */
async function inImage(
  image: string,
  script: string,
  extra: {
    mounts?: { source: string; target: string; readOnly?: boolean }[];
    env?: Record<string, string>;
  } = {},
): Promise<{ code: number; out: string }> {
  const args = ['run', '--rm', '--name', `berth-test-preview-image-${process.pid}-${seq++}`];
  args.push('--cap-drop', 'ALL', '--security-opt', 'no-new-privileges');
  for (const m of extra.mounts ?? []) args.push('-v', `${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`);
  for (const [k, v] of Object.entries(extra.env ?? {})) args.push('-e', `${k}=${v}`);
  args.push(image, 'sh', '-c', script);
  try {
    const { stdout, stderr } = await run('docker', args, { timeout: 120_000 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('the preview images', () => {
  it.each(IMAGES)(
    '%s exists after the bootstrap and runs as berth (uid 1000) with HOME /home/berth',
    async (image) => {
      await expect(run('docker', ['image', 'inspect', image])).resolves.toBeDefined();
      const r = await inImage(image, 'id -u; id -g; id -un; echo "$HOME"; test -w "$HOME" && echo writable');
      expect(r.code).toBe(0);
      expect(r.out.trim().split('\n')).toEqual(['1000', '1000', 'berth', '/home/berth', 'writable']);
    },
  );

  it('berth-preview/node has Node 20.19 or newer (current Vite and Next need it), npm, git and inotifywait', async () => {
    const r = await inImage(
      'berth-preview/node',
      'node --version && npm --version && git --version && command -v inotifywait',
    );
    expect(r.code, r.out).toBe(0);
    const [node, npm, git, inotify] = r.out.trim().split('\n');
    const [major, minor] = node!.replace(/^v/, '').split('.').map(Number) as [number, number];
    expect(major > 20 || (major === 20 && minor >= 19), `node ${node}`).toBe(true);
    expect(npm).toMatch(/^\d+\.\d+\.\d+$/);
    expect(git).toMatch(/^git version/);
    expect(inotify).toBe('/usr/bin/inotifywait');
  });

  it('berth-preview/python imports flask, django, fastapi and uvicorn, and has the uvicorn command', async () => {
    const r = await inImage(
      'berth-preview/python',
      `python3 -c 'import flask, django, fastapi, uvicorn; print("ok", django.get_version())' && uvicorn --version && command -v inotifywait`,
    );
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/^ok \d+\.\d+/m);
    expect(r.out).toMatch(/Running uvicorn \d+\.\d+/);
  });
});

describe.skipIf(!existsSync(HOST_BUNDLE))('the CA bundle in a preview container', () => {
  // retries off: without the bundle npm would retry for a minute before it fails
  const npmView = 'npm view react version --fetch-retries=0 --fetch-timeout=60000';

  it('lets npm reach the registry through the proxy, and npm fails without it', async () => {
    const ca = caBundleMounts(HOST_BUNDLE);
    expect(ca.mounts).toEqual([{ source: HOST_BUNDLE, target: CONTAINER_CA_BUNDLE, readOnly: true }]);
    const withBundle = await inImage('berth-preview/node', npmView, ca);
    expect(withBundle.code, withBundle.out).toBe(0);
    expect(withBundle.out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const without = await inImage('berth-preview/node', npmView);
    expect(without.code).not.toBe(0);
    expect(without.out).toMatch(/SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT|unable to verify/i);
  });

  it('lets Python verify the same TLS connection (SSL_CERT_FILE), and it fails without it', async () => {
    const script = `python3 -c 'import urllib.request; print(urllib.request.urlopen("https://registry.npmjs.org/react", timeout=60).status)'`;
    const withBundle = await inImage('berth-preview/python', script, caBundleMounts(HOST_BUNDLE));
    expect(withBundle.code, withBundle.out).toBe(0);
    expect(withBundle.out.trim()).toBe('200');
    const without = await inImage('berth-preview/python', script);
    expect(without.code).not.toBe(0);
    expect(without.out).toMatch(/CERTIFICATE_VERIFY_FAILED/);
  });

  it('refuses a bundle that is not a file, and adds nothing when none is configured', () => {
    expect(caBundleMounts(undefined)).toEqual({ mounts: [], env: {} });
    expect(() => caBundleMounts('/etc/ssl/certs')).toThrow(/is not a file/);
    expect(() => caBundleMounts('/nonexistent/ca.pem')).toThrow(/cannot be read \(ENOENT\)/);
    expect(() => caBundleMounts('certs/ca.pem')).toThrow(/absolute path/);
  });
});
