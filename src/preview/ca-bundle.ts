import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { BerthError, errnoOf } from '../errors.js';
import type { BindMount } from '../runtime/container-spec.js';

/** Where a preview container finds the CA bundle (read-only). */
export const CONTAINER_CA_BUNDLE = '/etc/berth/ca-bundle.crt';

/** What a container needs to trust a CA bundle: the file, and the variables its tools read. */
export interface CaBundleMounts {
  mounts: BindMount[];
  env: Record<string, string>;
}

/**
 * The CA bundle named by BERTH_CA_BUNDLE, for users behind a TLS-intercepting proxy (the
 * `ca_bundle` config value, once the config has one, should win over this).
 */
export function caBundleFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env.BERTH_CA_BUNDLE?.trim();
  return value ? value : undefined;
}

/**
 * Mount and environment that make a container trust the PEM bundle at `hostPath`. Give a whole
 * bundle (the proxy's CA together with the public roots, as the host's
 * /etc/ssl/certs/ca-certificates.crt is): `SSL_CERT_FILE` and `REQUESTS_CA_BUNDLE` replace the
 * container's own roots rather than adding to them. Node adds `NODE_EXTRA_CA_CERTS` to its
 * built-in roots, which is what npm uses; `PIP_CERT` is pip's. No path: nothing to add.
 */
export function caBundleMounts(hostPath: string | undefined): CaBundleMounts {
  if (hostPath === undefined) return { mounts: [], env: {} };
  if (!isAbsolute(hostPath)) {
    throw new BerthError('CONFIG_INVALID', `the CA bundle must be an absolute path, not '${hostPath}'`, {
      caBundle: hostPath,
    });
  }
  let isFile: boolean;
  try {
    isFile = statSync(hostPath).isFile();
  } catch (err) {
    const code = errnoOf(err);
    if (code !== 'ENOENT' && code !== 'EACCES' && code !== 'ENOTDIR') throw err;
    throw new BerthError(
      'CONFIG_INVALID',
      `the CA bundle ${hostPath} cannot be read (${code}): set BERTH_CA_BUNDLE (or ca_bundle) to a PEM file`,
      {
        caBundle: hostPath,
        errno: code,
      },
    );
  }
  if (!isFile) {
    throw new BerthError(
      'CONFIG_INVALID',
      `the CA bundle ${hostPath} is not a file: it must be one PEM file of certificates`,
      {
        caBundle: hostPath,
      },
    );
  }
  return {
    mounts: [{ source: hostPath, target: CONTAINER_CA_BUNDLE, readOnly: true }],
    env: {
      NODE_EXTRA_CA_CERTS: CONTAINER_CA_BUNDLE,
      SSL_CERT_FILE: CONTAINER_CA_BUNDLE,
      REQUESTS_CA_BUNDLE: CONTAINER_CA_BUNDLE,
      PIP_CERT: CONTAINER_CA_BUNDLE,
    },
  };
}
