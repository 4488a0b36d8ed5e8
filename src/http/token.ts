import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The stored token in BERTH_HOME/<name>, or a new 256-bit one written with mode 0600. */
export function loadOrCreateToken(home: string, name = 'mcp-token'): { token: string; created: boolean } {
  const file = join(home, name);
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 32) return { token, created: false };
  } catch {
    // none yet
  }
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, created: true };
}

/**
 * Compares in constant time whatever the lengths: both sides are hashed first, so neither the
 * content nor the length of the expected token leaks through timing.
 */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token from `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer ([^\s]+)$/i.exec(header?.trim() ?? '');
  return match?.[1];
}
